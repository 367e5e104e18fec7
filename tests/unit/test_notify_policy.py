"""The notification policy: errors always, toggles, de-duplication, batching, snooze."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from syncmonitor.engine.runs.notices import Notice, NoticeLevel, RecordingSink
from syncmonitor.engine.runs.notify_policy import (
    EVENT_TYPES,
    EventType,
    NotificationPolicy,
    register_event_type,
)

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def make() -> tuple[NotificationPolicy, RecordingSink, Clock]:
    sink, clock = RecordingSink(), Clock()
    return NotificationPolicy(sink.post, clock=clock), sink, clock


def opted_out(pid: int) -> Notice:
    return Notice(
        "people.opted_out", NoticeLevel.ISSUE, "A person opted out", f"P{pid} opted out", str(pid)
    )


def failed(title: str = "Outreach refused the token") -> Notice:
    return Notice("sync.failed", NoticeLevel.ERROR, title, "Sign in again.", key=title)


def test_a_runs_notices_of_one_event_become_one_summary() -> None:
    policy, sink, _ = make()
    policy.begin_batch()
    for pid in range(12):
        policy.post(opted_out(pid))
    assert sink.posted == []  # nothing pops up while the run goes on
    policy.end_batch()
    assert len(sink.posted) == 1
    summary = sink.posted[0]
    assert summary.title == "People opted out"
    assert summary.message == "12 people opted out in the last run."
    assert summary.count == 12


def test_a_single_notice_in_a_batch_is_told_as_itself_and_errors_are_not_held() -> None:
    policy, sink, _ = make()
    policy.begin_batch()
    policy.post(opted_out(1))
    policy.post(failed())
    assert [n.event for n in sink.posted] == ["sync.failed"]  # at once
    policy.end_batch()
    assert sink.posted[-1].message == "P1 opted out"


def test_repeats_with_the_same_event_and_key_are_told_once_until_forgotten_or_expired() -> None:
    policy, sink, clock = make()
    for _ in range(5):
        policy.post(failed())
    assert len(sink.posted) == 1
    policy.post(failed("Workbooks is down"))  # different news
    assert len(sink.posted) == 2
    policy.forget("sync.failed")  # it worked again: the next failure is news
    policy.post(failed())
    assert len(sink.posted) == 3
    clock.now += timedelta(hours=25)
    policy.post(opted_out(1))
    policy.post(opted_out(1))
    assert len(sink.posted) == 4


def test_snooze_holds_back_the_low_levels_but_never_errors() -> None:
    policy, sink, clock = make()
    until = policy.snooze(timedelta(minutes=30))
    assert until == T0 + timedelta(minutes=30) and policy.snoozed
    policy.post(opted_out(1))
    policy.post(Notice("sync.recovered", NoticeLevel.INFO, "Sync works again", "ok"))
    policy.post(failed())
    assert [n.event for n in sink.posted] == ["sync.failed"]
    assert policy.suppressed == 2
    clock.now += timedelta(minutes=31)
    assert not policy.snoozed
    policy.post(opted_out(2))
    assert sink.posted[-1].key == "2"


def test_toggles_switch_event_types_off_but_errors_cannot_be_switched_off() -> None:
    policy, sink, _ = make()
    policy.set_enabled("people.opted_out", False)
    policy.set_enabled("sync.failed", False)
    policy.post(opted_out(1))
    policy.post(failed())
    assert [n.event for n in sink.posted] == ["sync.failed"]
    assert not policy.is_enabled("people.opted_out") and policy.is_enabled("sync.failed")
    policy.set_enabled("people.opted_out", True)
    policy.post(opted_out(2))
    assert sink.posted[-1].event == "people.opted_out"


def test_other_modules_register_their_event_types_with_label_level_and_default() -> None:
    previous = EVENT_TYPES.get("mailshot.arrived")  # the queue's own, when it is loaded
    kind = register_event_type(
        EventType(
            "mailshot.arrived",
            "A mailshot arrived",
            NoticeLevel.INFO,
            "{count} mailshots arrived.",
            enabled_by_default=False,
        )
    )
    try:
        policy, sink, _ = make()
        assert EVENT_TYPES["mailshot.arrived"] is kind
        policy.post(Notice("mailshot.arrived", NoticeLevel.INFO, "Mailshot", "x", "9"))
        assert sink.posted == []  # off by default
        policy.set_enabled("mailshot.arrived", True)
        policy.begin_batch()
        policy.post(Notice("mailshot.arrived", NoticeLevel.INFO, "Mailshot", "x", "10"))
        policy.post(Notice("mailshot.arrived", NoticeLevel.INFO, "Mailshot", "y", "11"))
        policy.end_batch()
        assert sink.posted[0].message == "2 mailshots arrived."
    finally:  # later tests in this process see the registry as it was
        if previous is None:
            del EVENT_TYPES["mailshot.arrived"]
        else:
            EVENT_TYPES["mailshot.arrived"] = previous
