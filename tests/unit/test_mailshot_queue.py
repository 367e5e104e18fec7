"""The queue as a person sees it: states, positions, head-of-line blocking, ETAs, notices."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from recording_sink import RecordingSink
from syncmonitor.domain.mailshots.queue import (
    IntegrationFacts,
    MailshotFacts,
    QueueState,
    Throughput,
    build_snapshot,
)
from syncmonitor.domain.mailshots.rules import ApiKeyFacts
from syncmonitor.domain.mailshots.statuses import guess_role
from syncmonitor.engine.mailshots.notices import QueueNotices, StateChange
from syncmonitor.engine.runs.notices import NoticeLevel

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
KEY = ApiKeyFacts("GatorMail", True, None, None)


def shot(
    mailshot_id: int,
    *,
    name: str | None = None,
    status: str = "Queued",
    queued: int = 0,
    audience: int | None = 100,
    **extra: object,
) -> MailshotFacts:
    return MailshotFacts(
        id=mailshot_id,
        name=name if name is not None else f"Mailshot {mailshot_id}",
        status=status,
        mailing_list_id=1,
        audience=audience,
        queued_at=NOW - timedelta(seconds=600 - queued),
        role=guess_role(status),
        **extra,  # type: ignore[arg-type]
    )


def snapshot(facts, *, key=KEY, running=True, throughput=None, since=None, previous=None):  # type: ignore[no-untyped-def]
    return build_snapshot(
        facts,
        now=NOW,
        key=key,
        integration=IntegrationFacts(running, "read") if running is not None else None,
        throughput=throughput or Throughput(),
        syncing_since=since or {},
        previous=previous or {},
    )


def test_queued_mailshots_wait_in_the_order_synchronise_was_pressed() -> None:
    snap = snapshot(
        [shot(3, queued=30), shot(1, status="Synchronising", queued=20), shot(2, queued=10)]
    )
    assert [(i.id, i.position, i.state) for i in snap.in_queue] == [
        (1, 1, QueueState.SYNCING),
        (2, 2, QueueState.WAITING),
        (3, 3, QueueState.WAITING),
    ]
    assert snap.in_queue[1].waiting_s == 590


def test_a_long_name_at_the_head_blocks_everything_behind_it_in_words() -> None:
    name = "X" * 123
    snap = snapshot([shot(1, name=name, status="Synchronising"), shot(2), shot(3), shot(4)])
    head = snap.in_queue[0]
    assert head.state is QueueState.BLOCKED
    assert snap.queue_problem is not None
    assert snap.queue_problem.message.startswith(
        f'3 mailshots are waiting behind "{name[:59]}…": its name has 123 characters and '
        "GatorMail accepts at most 100."
    )
    assert [i.state for i in snap.in_queue[1:]] == [QueueState.WAITING] * 3
    assert all(i.eta_s is None and "Held up behind" in i.eta_note for i in snap.in_queue[1:])
    assert [p.code for p in head.problems] == ["blocking_queue"]


def test_a_long_name_further_back_is_flagged_before_it_blocks() -> None:
    snap = snapshot([shot(1), shot(2, name="Y" * 101)])
    assert snap.queue_problem is None
    second = snap.in_queue[1]
    assert second.state is QueueState.WAITING
    assert second.problems[0].code == "name_too_long" and second.problems[0].blocking


def test_a_name_of_exactly_100_characters_does_not_block() -> None:
    snap = snapshot([shot(1, name="Z" * 100, status="Synchronising"), shot(2)])
    assert snap.in_queue[0].state is QueueState.SYNCING
    assert snap.queue_problem is None


def test_an_emoji_name_is_measured_in_utf16_units() -> None:
    snap = snapshot([shot(1, name="a" * 99 + "🎉", status="Synchronising")])
    assert snap.in_queue[0].state is QueueState.BLOCKED
    assert "its name has 101 characters" in snap.queue_problem.message  # type: ignore[union-attr]


def test_the_integration_stopped_comes_before_a_blocked_head() -> None:
    snap = snapshot([shot(1, name="X" * 120), shot(2)], running=False)
    assert snap.queue_problem is not None and snap.queue_problem.code == "integration_stopped"
    assert "Tools > Integration > General" in snap.queue_problem.message


def test_an_unusable_key_stops_the_whole_queue() -> None:
    expired = ApiKeyFacts("GatorMail", True, None, NOW - timedelta(hours=1))
    snap = snapshot([shot(1), shot(2)], key=expired)
    assert snap.queue_problem is not None and snap.queue_problem.code == "api_key"
    assert all(i.eta_s is None for i in snap.in_queue)


def test_empty_name_and_empty_audience_are_preflight_findings() -> None:
    snap = snapshot([shot(1, name=""), shot(2, audience=0)])
    assert [p.code for p in snap.in_queue[0].problems] == ["empty_name"]
    assert [p.code for p in snap.in_queue[1].problems] == ["empty_audience"]
    assert snap.queue_problem is None  # neither blocks the queue


def test_etas_add_up_along_the_queue_from_the_measured_throughput() -> None:
    rate = Throughput()
    rate.add(1000, 10.0)
    rate.add(3000, 30.0)  # 100 records per second, no fixed cost
    snap = snapshot(
        [shot(1, status="Synchronising", audience=1000), shot(2, audience=2000)],
        throughput=rate,
        since={1: NOW - timedelta(seconds=4)},
    )
    assert snap.throughput == 100
    assert [round(i.eta_s or 0) for i in snap.in_queue] == [6, 26]
    assert all(i.eta_note.startswith("Inferred") for i in snap.in_queue)


def test_without_arrivals_the_eta_is_not_guessed() -> None:
    snap = snapshot([shot(1)])
    assert snap.in_queue[0].eta_s is None
    assert snap.in_queue[0].eta_note == "Not known yet: no arrival measured"


def test_throughput_finds_a_fixed_cost_per_mailshot() -> None:
    rate = Throughput()
    for records in (0, 1000, 2000, 4000):
        rate.add(records, 2.0 + records / 500)
    assert rate.seconds_for(3000) == 8.0
    assert rate.records_per_second() == 500


def test_states_outside_the_queue() -> None:
    previous = {i: QueueState.WAITING for i in range(1, 6)}
    snap = snapshot(
        [
            shot(1, status="Synchronised", campaign_id="ic1", arrived_at=NOW),
            shot(2, status="Failed"),
            shot(3, status="Draft"),
            shot(4, deleted=True),
            shot(5, status="Draft", deleted=False),
            shot(6, status="Draft"),  # never queued: not shown
            shot(7, status="Held for review"),  # a value Sync Monitor cannot place: shown raw
        ],
        previous=previous,
    )
    states = {i.id: i.state for i in snap.items}
    assert states == {
        1: QueueState.ARRIVED,
        2: QueueState.FAILED,
        3: QueueState.CANCELLED,
        4: QueueState.REMOVED,
        5: QueueState.CANCELLED,
        7: QueueState.UNKNOWN,
    }
    failed = snap.item(2)
    assert failed is not None and "Workbooks says “Failed”" in failed.problems[0].message
    odd = snap.item(7)
    assert odd is not None and odd.facts.status == "Held for review"
    assert "“Held for review” is new to Sync Monitor" in odd.problems[0].message


def test_while_the_queue_is_stopped_no_row_says_syncing() -> None:
    snap = snapshot([shot(1, status="Synchronising"), shot(2)], running=False)
    assert snap.queue_problem is not None and snap.queue_problem.code == "integration_stopped"
    head = snap.in_queue[0]
    assert head.state is QueueState.WAITING
    assert head.eta_note.startswith("Workbooks says “Synchronising”, but nothing moves")


def test_without_a_syncing_status_the_head_is_taken_to_be_syncing() -> None:
    snap = build_snapshot(
        [shot(1), shot(2)],
        now=NOW,
        key=None,
        integration=None,
        throughput=Throughput(),
        syncing_since={},
        previous={},
        syncing_known=False,
    )
    assert [i.state for i in snap.in_queue] == [QueueState.SYNCING, QueueState.WAITING]


def test_notices_tell_a_blocking_episode_once() -> None:
    sink = RecordingSink()
    notices = QueueNotices(sink)
    blocked = snapshot([shot(1, name="X" * 120), shot(2)])
    for _ in range(5):
        notices.after_poll(blocked, [])
    assert sink.events() == ["queue.blocked"]
    assert sink.posted[0].level is NoticeLevel.ERROR
    notices.after_poll(snapshot([shot(2)]), [])  # fixed: the episode ends, told once
    notices.after_poll(snapshot([shot(2)]), [])
    notices.after_poll(blocked, [])  # blocked again: a new episode
    assert sink.events() == ["queue.blocked", "queue.recovered", "queue.blocked"]
    assert sink.posted[1].title == "The GatorMail queue moves again"
    assert "1 mailshot is in the queue" in sink.posted[1].message


def test_the_key_and_the_integration_coming_back_are_told_once_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="syncmonitor.engine.mailshots.notices")
    sink = RecordingSink()
    notices = QueueNotices(sink)
    expired = ApiKeyFacts("GatorMail", True, None, NOW - timedelta(hours=1))
    valid = ApiKeyFacts("GatorMail", True, None, NOW + timedelta(days=300))
    for _ in range(2):
        notices.after_poll(snapshot([shot(1)], key=expired), [])
    for _ in range(2):
        notices.after_poll(snapshot([shot(1)], key=valid), [])
    for _ in range(2):
        notices.after_poll(snapshot([shot(1)], key=valid, running=False), [])
    for _ in range(2):
        notices.after_poll(snapshot([shot(1)], key=valid, running=True), [])
    told = [(n.event, n.title) for n in sink.posted]
    assert told == [
        ("queue.blocked", "The GatorMail queue is blocked"),
        ("queue.recovered", "The GatorMail API key is valid again"),
        ("integration.stopped", "The GatorMail integration stopped"),
        ("queue.recovered", "The GatorMail integration runs again"),
    ]
    assert sink.posted[1].level is NoticeLevel.INFO
    lines = [r.getMessage() for r in caplog.records]
    assert sum("valid again" in line for line in lines) == 1
    assert sum("runs again" in line for line in lines) == 1
    assert any(r.levelno == logging.WARNING and "blocked" in r.getMessage() for r in caplog.records)


def test_notices_for_arrival_stopped_integration_and_expiring_key() -> None:
    sink = RecordingSink()
    notices = QueueNotices(sink)
    arrived = StateChange(7, "Spring", QueueState.SYNCING, QueueState.ARRIVED, "")
    history = StateChange(8, "Old", None, QueueState.ARRIVED, "")
    expiring = ApiKeyFacts("GatorMail", True, None, NOW + timedelta(days=3))
    stopped = snapshot([shot(1)], running=False, key=expiring)
    notices.after_poll(stopped, [arrived, history])
    notices.after_poll(stopped, [])
    assert sorted(sink.events()) == ["apikey.expiring", "integration.stopped", "mailshot.arrived"]
    levels = {n.event: n.level for n in sink.posted}
    assert levels == {
        "mailshot.arrived": NoticeLevel.INFO,
        "integration.stopped": NoticeLevel.ERROR,
        "apikey.expiring": NoticeLevel.ISSUE,
    }
    far = snapshot([shot(1)], key=ApiKeyFacts("GatorMail", True, None, NOW + timedelta(days=30)))
    QueueNotices(sink2 := RecordingSink()).after_poll(far, [])
    assert sink2.posted == []


def test_a_head_syncing_far_too_long_is_called_stuck_with_the_seeds_checks() -> None:
    rate = Throughput()
    rate.add(1000, 10.0)
    head = shot(1, status="Synchronising", audience=1000)
    fresh = snapshot([head, shot(2)], throughput=rate, since={1: NOW - timedelta(minutes=5)})
    assert fresh.queue_problem is None
    unknown_key = snapshot(
        [head, shot(2)],
        key=None,
        running=None,
        throughput=rate,
        since={1: NOW - timedelta(minutes=25)},
    )
    problem = unknown_key.queue_problem
    assert problem is not None and problem.code == "stalled"
    assert problem.message.startswith("Inferred: the integration has probably stopped.")
    assert "has been first in line for 25 min" in problem.message
    assert "1 mailshot waits behind it" in problem.message
    assert "API Keys" in problem.message and "Integration running" in problem.message


def test_a_head_that_never_starts_is_called_stuck_too() -> None:
    # No status says "synchronising" moves: the head has been first in line since it was queued.
    old = shot(1, queued=-3000)  # queued an hour ago
    snap = snapshot([old, shot(2)], key=None, running=None)
    assert snap.queue_problem is not None and snap.queue_problem.code == "stalled"
