"""The queue monitor and its actions against the real sandbox: every state and every fault."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from gatormail_helpers import LONG_NAME, GatorMailSandbox, start_gatormail

from recording_sink import RecordingSink
from store_backends import open_sqlite
from syncmonitor.app.config import MailshotSettings
from syncmonitor.connectors.http.retry import RetryPolicy
from syncmonitor.domain.mailshots.queue import QueueState
from syncmonitor.domain.mailshots.statuses import StatusRole
from syncmonitor.engine.mailshots.actions import (
    FixIncompleteError,
    MailshotActionError,
    cancel,
    fix_name,
    retry,
)
from syncmonitor.engine.mailshots.monitor import PollResult, QueueMonitor
from syncmonitor.sandbox.admin import AdminClient
from syncmonitor.store.database import Database
from syncmonitor.store.mailshots import load_mailshots, timeline

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(90)]
QUICK = RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.01)
SETTINGS = MailshotSettings(busy_poll_seconds=1.0, idle_poll_seconds=30.0)


@pytest.fixture
def gatormail() -> Iterator[GatorMailSandbox]:
    yield from start_gatormail()


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    db = open_sqlite(tmp_path / "cache.sqlite3")
    yield db
    db.close()


@pytest_asyncio.fixture
async def monitor(gatormail: GatorMailSandbox, database: Database) -> AsyncIterator[QueueMonitor]:
    sink = RecordingSink()
    queue = QueueMonitor(database, gatormail.remotes, settings=SETTINGS, sink=sink, policy=QUICK)
    queue.status_every = 0  # read the API key and the integration switch on every poll
    yield queue
    await queue.aclose()


def sink_of(monitor: QueueMonitor) -> RecordingSink:
    sink = monitor.notices.sink
    assert isinstance(sink, RecordingSink)
    return sink


def events(database: Database, mailshot_id: int) -> list[tuple[str, str]]:
    with database.engine.connect() as conn:
        return [(e.state, e.detail) for e in reversed(timeline(conn, mailshot_id))]


async def poll_until(monitor: QueueMonitor, check, timeout: float = 15.0) -> PollResult:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        result = await monitor.poll_once()
        if check(result):
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"never got there: {result.snapshot.items[:5]}")
        await asyncio.sleep(0.05)


def state_of(result: PollResult, mailshot_id: int) -> QueueState | None:
    item = result.snapshot.item(mailshot_id)
    return item.state if item else None


async def test_first_poll_shows_history_and_the_queue_with_preflight(
    gatormail: GatorMailSandbox, monitor: QueueMonitor, database: Database
) -> None:
    gatormail.settings(running=False, undocumented_reads=True)
    ids = gatormail.create(count=2)
    result = await monitor.poll_once()
    assert result.error is None
    assert [(i.id, i.position, i.state) for i in result.snapshot.in_queue] == [
        (ids[0], 1, QueueState.WAITING),
        (ids[1], 2, QueueState.WAITING),
    ]
    assert all(i.facts.audience is not None for i in result.snapshot.in_queue)
    arrived = [i for i in result.snapshot.items if i.state is QueueState.ARRIVED]
    assert len(arrived) >= 6 and all(i.facts.status == "Synchronised" for i in arrived)
    (first,) = events(database, ids[0])
    assert first[0] == "waiting" and "Preflight found" in first[1]
    assert "not running" in first[1]
    assert sink_of(monitor).events() == ["integration.stopped"]


async def test_by_default_key_and_integration_are_not_readable_and_never_polled(
    gatormail: GatorMailSandbox, monitor: QueueMonitor
) -> None:
    first = await monitor.poll_once()
    (note,) = [n for n in first.snapshot.notes if n.code == "unreadable"]
    assert "not readable through any API" in note.message
    assert "Start > Configuration > Automation > API Keys" in note.message
    assert "Tools > Integration > General" in note.message
    assert first.snapshot.key is None and first.snapshot.integration is None
    assert not any(
        r.name.startswith(("Workbooks admin", "Spotler GET /integration"))
        for r in first.snapshot.reads
    )
    before = gatormail.endpoints  # the probes are not repeated: later polls make fewer requests
    second = await monitor.poll_once()
    assert second.requests < first.requests and before is gatormail.endpoints


async def test_a_recorded_until_date_warns_7_days_ahead_and_an_expired_one_blocks(
    gatormail: GatorMailSandbox, monitor: QueueMonitor
) -> None:
    from syncmonitor.domain.timestamps import format_iso, utc_now
    from syncmonitor.store.mailshots import AdminCheck

    await monitor.poll_once()
    soon = utc_now() + timedelta(days=3)
    await monitor.record_check(AdminCheck("api_key", format_iso(utc_now()), format_iso(soon), True))
    result = await monitor.poll_once()
    assert result.snapshot.key is not None and "recorded by an admin" in result.snapshot.key.source
    codes = [n.code for n in result.snapshot.notes]
    assert "unreadable" not in codes and "integration_unreadable" in codes
    assert sink_of(monitor).events() == ["apikey.expiring"]
    past = utc_now() - timedelta(hours=1)
    await monitor.record_check(AdminCheck("api_key", format_iso(utc_now()), format_iso(past), True))
    gatormail.create()
    result = await monitor.poll_once()
    problem = result.snapshot.queue_problem
    assert problem is not None and problem.code == "api_key"
    assert "Until date you recorded" in problem.message


async def test_a_mailshot_goes_waiting_syncing_arrived_with_an_inferred_eta(
    gatormail: GatorMailSandbox, monitor: QueueMonitor, database: Database
) -> None:
    gatormail.settings(running=False, seconds_per_mailshot=0.8)
    first, second = gatormail.create(count=2)
    await poll_until(monitor, lambda r: state_of(r, first) is QueueState.WAITING)
    gatormail.settings(running=True)
    result = await poll_until(monitor, lambda r: state_of(r, first) is QueueState.SYNCING)
    waiting = result.snapshot.item(second)
    assert waiting is not None and waiting.position == 2
    await poll_until(monitor, lambda r: state_of(r, second) is QueueState.ARRIVED)
    states = [s for s, _ in events(database, first)]
    assert states == ["waiting", "syncing", "arrived"]
    assert "matched by name" in events(database, first)[-1][1]
    item = (await monitor.poll_once()).snapshot.item(first)
    assert item is not None and item.facts.matched_by is not None
    # Whichever of the two reads saw it first (both run in one poll), the exact name matched.
    assert item.facts.matched_by.startswith(
        ("Spotler GET /campaign/list, exact name, seen ", "Spotler GET /mailing, exact name, seen ")
    )
    assert sink_of(monitor).events().count("mailshot.arrived") == 2
    assert monitor.throughput.records_per_second() is not None


async def test_eta_is_given_once_arrivals_were_measured(
    gatormail: GatorMailSandbox, monitor: QueueMonitor
) -> None:
    # Seen queued first, so their arrivals can be timed; over a second each, because Workbooks and
    # Spotler give times in whole seconds.
    gatormail.settings(running=False, seconds_per_mailshot=1.1)
    gatormail.create(audience=100)
    gatormail.create(audience=2000)
    gatormail.create(audience=500)
    await poll_until(monitor, lambda r: len(r.snapshot.in_queue) == 3)
    gatormail.settings(running=True)
    await poll_until(monitor, lambda r: not r.snapshot.in_queue)
    assert monitor.throughput.records_per_second() is not None
    gatormail.settings(running=False)
    ids = gatormail.create(count=2)
    gatormail.settings(running=True, seconds_per_mailshot=2.0)
    result = await poll_until(monitor, lambda r: state_of(r, ids[0]) is QueueState.SYNCING)
    etas = [result.snapshot.item(i).eta_s for i in ids]  # type: ignore[union-attr]
    assert all(e is not None for e in etas) and etas[1] > etas[0]  # type: ignore[operator]


async def test_a_blocked_head_is_explained_and_told_once(
    gatormail: GatorMailSandbox, monitor: QueueMonitor
) -> None:
    (long_id,) = gatormail.create(name=LONG_NAME)
    gatormail.create(count=3)
    result = await poll_until(monitor, lambda r: state_of(r, long_id) is QueueState.BLOCKED)
    for _ in range(3):
        result = await monitor.poll_once()
    problem = result.snapshot.queue_problem
    assert problem is not None and problem.code == "blocked"
    assert problem.message.startswith(
        f'3 mailshots are waiting behind "{LONG_NAME[:59]}…": its name has 101 characters and '
        "GatorMail accepts at most 100."
    )
    assert sink_of(monitor).events().count("queue.blocked") == 1
    assert result.next_delay == 3.0  # stalled: 3x the busy interval (1 s)


@pytest.mark.parametrize(
    ("key", "words"),
    [
        ({"enabled": False}, "is disabled"),
        ({"valid_until": int(time.time()) - 60}, "expired on"),
        ({"valid_from": int(time.time()) + 86400}, "is not valid until"),
    ],
    ids=["disabled", "expired", "not-yet-valid"],
)
async def test_an_unusable_key_is_the_named_problem(
    gatormail: GatorMailSandbox,
    monitor: QueueMonitor,
    key: dict,
    words: str,  # type: ignore[type-arg]
) -> None:
    gatormail.settings(undocumented_reads=True)  # an account that offers admin/api_keys
    gatormail.api_key(**key)
    gatormail.create(count=2)
    result = await monitor.poll_once()
    problem = result.snapshot.queue_problem
    assert problem is not None and problem.code == "api_key" and words in problem.message
    assert sink_of(monitor).events() == ["queue.blocked"]


async def test_a_key_expiring_within_7_days_is_told_once(
    gatormail: GatorMailSandbox, monitor: QueueMonitor
) -> None:
    gatormail.settings(undocumented_reads=True)
    gatormail.api_key(valid_until=int(time.time()) + 3 * 86400)
    await monitor.poll_once()
    await monitor.poll_once()
    assert sink_of(monitor).events() == ["apikey.expiring"]


async def test_a_mailshot_deleted_while_queued_leaves_with_a_reason(
    gatormail: GatorMailSandbox, monitor: QueueMonitor, database: Database
) -> None:
    gatormail.settings(running=False)
    (doomed,) = gatormail.create()
    await monitor.poll_once()
    gatormail.delete(doomed)
    result = await monitor.poll_once()
    assert state_of(result, doomed) is QueueState.REMOVED
    with database.engine.connect() as conn:
        row = next(r for r in load_mailshots(conn) if r["id"] == doomed)
    assert row["state"] == "removed" and row["reason"] == "Deleted in Workbooks"
    assert events(database, doomed)[-1] == ("removed", "Deleted in Workbooks")


async def test_fix_name_makes_a_copy_deletes_the_original_and_the_queue_moves(
    gatormail: GatorMailSandbox, monitor: QueueMonitor, database: Database
) -> None:
    (long_id,) = gatormail.create(name=LONG_NAME, audience=42)
    behind = gatormail.create(count=2)
    await poll_until(monitor, lambda r: state_of(r, long_id) is QueueState.BLOCKED)
    outcome = await fix_name(monitor, long_id, "Autumn newsletter 🍂")
    assert outcome.copy_id is not None
    copy = gatormail.mailshot(outcome.copy_id)
    original = gatormail.mailshot(long_id)
    assert original["is_deleted"] is True
    assert copy["name"] == "Autumn newsletter 🍂" and copy["status"] in (
        "Queued",
        "Synchronising",
        "Synchronised",
    )
    # Its own mailing list (Workbooks makes one per mailshot), with the same 42 contacts.
    assert copy["mailing_list_id"] != original["mailing_list_id"]
    entries = gatormail.workbooks(
        "email/mailing_list_entries.api",
        [("_ff[]", "mailing_list_id"), ("_ft[]", "eq"), ("_fc[]", str(copy["mailing_list_id"]))],
    )
    assert entries["total"] == 42
    # It is in the queue at once, behind the two that waited, and the message says where.
    item = outcome.poll.snapshot.item(outcome.copy_id)
    assert item is not None and item.state.in_queue
    assert f"queued at position {item.position} of" in outcome.message
    assert "took the place" not in outcome.message
    result = await poll_until(
        monitor,
        lambda r: all(state_of(r, i) is QueueState.ARRIVED for i in [*behind, outcome.copy_id]),
    )
    assert state_of(result, long_id) is QueueState.REMOVED
    assert result.snapshot.queue_problem is None
    detail = events(database, long_id)[-1]
    assert (
        detail[0] == "removed" and f"Replaced by the shorter copy #{outcome.copy_id}" in detail[1]
    )
    assert any(
        "Created by Sync Monitor as a copy" in d for _, d in events(database, outcome.copy_id)
    )


@pytest.mark.parametrize("bad", ["", "   ", "x" * 101, "a" * 99 + "🎉"])
async def test_fix_name_refuses_a_bad_name_before_touching_workbooks(
    gatormail: GatorMailSandbox, monitor: QueueMonitor, bad: str
) -> None:
    (long_id,) = gatormail.create(name=LONG_NAME)
    await monitor.poll_once()
    before = gatormail.state()["mailshots"]
    with pytest.raises(MailshotActionError):
        await fix_name(monitor, long_id, bad)
    assert gatormail.state()["mailshots"] == before
    assert gatormail.mailshot(long_id)["is_deleted"] is False


async def test_a_refused_create_leaves_the_original_in_place(
    gatormail: GatorMailSandbox, monitor: QueueMonitor
) -> None:
    (long_id,) = gatormail.create(name=LONG_NAME)
    await monitor.poll_once()
    gatormail.settings(fail_next_create=1)
    with pytest.raises(MailshotActionError, match="did not create the copy") as caught:
        await fix_name(monitor, long_id, "Short")
    assert "NOT deleted" in caught.value.message
    assert gatormail.mailshot(long_id)["is_deleted"] is False
    assert gatormail.state()["queue"] == [long_id]


async def test_a_lost_create_answer_finds_the_copy_and_never_makes_two(
    gatormail: GatorMailSandbox, monitor: QueueMonitor
) -> None:
    (long_id,) = gatormail.create(name=LONG_NAME)
    await monitor.poll_once()
    before = gatormail.state()["mailshots"]
    gatormail.settings(lose_next_create=1)
    outcome = await fix_name(monitor, long_id, "Short")
    assert gatormail.state()["mailshots"] == before + 1  # exactly one copy
    assert gatormail.mailshot(long_id)["is_deleted"] is True
    assert (
        outcome.copy_id == before + 3000 + 1
        or gatormail.mailshot(outcome.copy_id)["name"] == "Short"
    )  # type: ignore[arg-type]


async def test_a_failed_delete_is_half_done_and_a_second_fix_finishes(
    gatormail: GatorMailSandbox, monitor: QueueMonitor, database: Database
) -> None:
    (long_id,) = gatormail.create(name=LONG_NAME, audience=5)
    await monitor.poll_once()
    before = gatormail.state()["mailshots"]
    gatormail.settings(fail_next_delete=3)  # the transport retries deletes: refuse them all
    with pytest.raises(FixIncompleteError) as caught:
        await fix_name(monitor, long_id, "Short")
    assert "exists and is queued" in caught.value.message
    assert f"delete #{long_id} in Workbooks" in caught.value.todo
    assert gatormail.mailshot(long_id)["is_deleted"] is False
    assert gatormail.state()["mailshots"] == before + 1
    gatormail.settings(fail_next_delete=0)
    outcome = await fix_name(monitor, long_id, "Another name")
    assert gatormail.state()["mailshots"] == before + 1  # the first copy was used
    assert gatormail.mailshot(outcome.copy_id)["name"] == "Short"  # type: ignore[arg-type]
    assert gatormail.mailshot(long_id)["is_deleted"] is True
    assert any("could not be deleted" in d for _, d in events(database, long_id))


async def test_a_spotler_error_mid_fix_changes_nothing(
    gatormail: GatorMailSandbox, monitor: QueueMonitor
) -> None:
    (long_id,) = gatormail.create(name=LONG_NAME)
    await monitor.poll_once()
    before = gatormail.state()["mailshots"]
    with AdminClient(gatormail.endpoints.admin_url) as admin:
        # Retry-After 1 s, not the sandbox's default 30: the client honours it before each retry
        admin.set_faults(target="spotler", fail_next=5, fail_status=503, retry_after=1)
        with pytest.raises(MailshotActionError, match="Nothing was changed"):
            await fix_name(monitor, long_id, "Short")
        admin.clear_faults()
    assert gatormail.state()["mailshots"] == before
    assert gatormail.mailshot(long_id)["is_deleted"] is False


async def test_retry_queues_a_failed_mailshot_again(
    gatormail: GatorMailSandbox, monitor: QueueMonitor
) -> None:
    gatormail.settings(fail_next=1)
    (shot,) = gatormail.create()
    result = await poll_until(monitor, lambda r: state_of(r, shot) is QueueState.FAILED)
    assert "Workbooks says “Failed”" in result.snapshot.item(shot).problems[0].message  # type: ignore[union-attr]
    await retry(monitor, shot)
    await poll_until(monitor, lambda r: state_of(r, shot) is QueueState.ARRIVED)


async def test_cancel_takes_a_waiting_mailshot_out_and_refuses_a_syncing_one(
    gatormail: GatorMailSandbox, monitor: QueueMonitor, database: Database
) -> None:
    (long_id,) = gatormail.create(name=LONG_NAME)
    (waiting,) = gatormail.create()
    await poll_until(monitor, lambda r: state_of(r, long_id) is QueueState.BLOCKED)
    outcome = await cancel(monitor, waiting)
    assert state_of(outcome.poll, waiting) is QueueState.CANCELLED
    assert gatormail.mailshot(waiting)["status"] == "Draft"
    assert events(database, waiting)[-1][1].startswith("Cancelled in Sync Monitor")
    # The queue shows the long name as blocking from its length alone; the integration marks it
    # Synchronising at its own next step: wait for that before trying to call it back.
    gatormail.wait_for(lambda: gatormail.mailshot(long_id)["status"] == "Synchronising")
    with pytest.raises(MailshotActionError, match="Only a waiting mailshot"):
        await cancel(monitor, long_id)


async def test_cancel_reads_again_once_when_the_mailshot_changed_in_between(
    gatormail: GatorMailSandbox, monitor: QueueMonitor, database: Database
) -> None:
    (long_id,) = gatormail.create(name=LONG_NAME)
    (waiting,) = gatormail.create()
    await poll_until(monitor, lambda r: state_of(r, long_id) is QueueState.BLOCKED)
    faults = {"target": "workbooks", "lock_conflict_next": 1}  # edited elsewhere, once
    gatormail.admin.put("/faults", json=faults).raise_for_status()
    try:
        outcome = await cancel(monitor, waiting)
    finally:
        gatormail.admin.delete("/faults").raise_for_status()
    assert state_of(outcome.poll, waiting) is QueueState.CANCELLED
    assert gatormail.mailshot(waiting)["status"] == "Draft"


async def test_a_regenerated_consumer_key_degrades_only_the_arrivals(
    gatormail: GatorMailSandbox, monitor: QueueMonitor
) -> None:
    await monitor.poll_once()
    gatormail.settings(oauth_keys_revoked=True)  # regenerated in Mail+: Spotler answers 401
    (shot,) = gatormail.create()
    result = await monitor.poll_once()
    assert result.error is None  # the Workbooks side still reads
    assert state_of(result, shot) in (QueueState.WAITING, QueueState.SYNCING)
    (line,) = [n.message for n in result.snapshot.notes if n.code == "read_failed"]
    assert line.startswith("Not updated: arrivals in GatorMail")
    assert "Spotler GET /campaign/list and Spotler GET /mailing failed" in line
    assert "consumer key" in line
    failed = {r.name for r in result.snapshot.reads if not r.ok}
    assert failed == {"Spotler GET /campaign/list", "Spotler GET /mailing"}
    gatormail.settings(oauth_keys_revoked=False)
    result = await poll_until(monitor, lambda r: state_of(r, shot) is QueueState.ARRIVED)
    assert not [n for n in result.snapshot.notes if n.code == "read_failed"]


async def test_a_migrating_workbooks_is_one_clear_line_and_the_rows_stay(
    gatormail: GatorMailSandbox, monitor: QueueMonitor
) -> None:
    first = await monitor.poll_once()
    gatormail.settings(workbooks_migrating=True)
    result = await monitor.poll_once()
    gatormail.settings(workbooks_migrating=False)
    assert result.error is not None
    (line,) = [n.message for n in result.snapshot.notes if n.code == "read_failed"]
    assert "database_being_migrated" in line and "Nothing is wrong with the API key" in line
    assert [i.id for i in result.snapshot.items] == [i.id for i in first.snapshot.items]


async def test_status_values_are_discovered_kept_and_an_unseen_one_is_shown_raw(
    gatormail: GatorMailSandbox, monitor: QueueMonitor, database: Database
) -> None:
    from syncmonitor.store.mailshots import load_statuses

    result = await monitor.poll_once()
    with database.engine.connect() as conn:
        kept = {r["value"]: r for r in load_statuses(conn)}
    assert {"Draft", "Queued", "Synchronising", "Synchronised", "Failed"} <= set(kept)
    assert kept["Queued"]["role"] == "queued" and not kept["Queued"]["confirmed"]
    assert "picklist" in kept["Queued"]["source"]
    guess = next(n for n in result.snapshot.notes if n.code == "status_guess")
    assert "Sync Monitor guessed" in guess.message and "Settings > Queue statuses" in guess.message
    # Someone adds a status to the picklist and uses it: shown as it is, never dropped.
    (shot,) = gatormail.create(status="Draft")
    gatormail.workbooks_write_status(shot, "Held for review")
    result = await monitor.poll_once()
    item = result.snapshot.item(shot)
    assert item is not None and item.state is QueueState.UNKNOWN
    assert item.facts.status == "Held for review"
    assert any(
        "“Held for review” is new to Sync Monitor" in n.message for n in result.snapshot.notes
    )
    await monitor.confirm_statuses(
        {"Held for review": StatusRole.QUEUED, "Queued": StatusRole.QUEUED}
    )
    result = await monitor.poll_once()
    assert state_of(result, shot) in (QueueState.WAITING, QueueState.SYNCING, QueueState.ARRIVED)
    assert not any(
        n.code == "status_guess"
        and "Synchronise was pressed" in n.message
        and "“Queued”" in n.message
        for n in result.snapshot.notes
    )


async def test_arrivals_are_matched_by_name_ignoring_case_and_spaces(
    gatormail: GatorMailSandbox, monitor: QueueMonitor
) -> None:
    await monitor.poll_once()
    gatormail.settings(running=False)
    (shot,) = gatormail.create(name="Winter   Digest UK")
    await monitor.poll_once()
    gatormail.admin.post("/gatormail/campaigns", json={"name": "winter digest uk"})
    result = await monitor.poll_once()
    item = result.snapshot.item(shot)
    assert item is not None and item.state is QueueState.ARRIVED
    assert "name ignoring case and spaces" in (item.facts.matched_by or "")
    gatormail.settings(running=True)


async def test_two_campaigns_with_one_name_are_not_guessed_between(
    gatormail: GatorMailSandbox, monitor: QueueMonitor, database: Database
) -> None:
    await monitor.poll_once()
    gatormail.settings(running=False)
    (shot,) = gatormail.create(name="Twin")
    await monitor.poll_once()
    for _ in range(2):
        gatormail.admin.post("/gatormail/campaigns", json={"name": "Twin"})
    result = await monitor.poll_once()
    item = result.snapshot.item(shot)
    assert item is not None and item.state.in_queue
    assert any("2 Spotler campaigns are named “Twin”" in p.message for p in item.problems)
    assert any("2 Spotler campaigns are named" in d for _, d in events(database, shot))
    gatormail.settings(running=True)


async def test_a_campaign_renamed_in_spotler_is_said_and_workbooks_decides(
    gatormail: GatorMailSandbox, monitor: QueueMonitor
) -> None:
    await monitor.poll_once()
    gatormail.settings(running=False)
    (shot,) = gatormail.create(name="Before the rename")
    await monitor.poll_once()
    gatormail.settings(running=True)
    gatormail.drain()
    campaign = gatormail.campaigns()[-1]
    gatormail.admin.put(f"/gatormail/campaigns/{campaign['encryptedId']}", json={"name": "Other"})
    result = await poll_until(monitor, lambda r: state_of(r, shot) is QueueState.ARRIVED)
    item = result.snapshot.item(shot)
    assert item is not None
    said = " ".join(p.message for p in item.problems)
    assert item.facts.campaign_id is None and "renamed in Spotler" in said


async def test_a_workbooks_outage_keeps_the_last_snapshot(
    gatormail: GatorMailSandbox, monitor: QueueMonitor
) -> None:
    first = await monitor.poll_once()
    with AdminClient(gatormail.endpoints.admin_url) as admin:
        admin.set_faults(target="workbooks", fail_next=10, fail_status=503, retry_after=1)
        result = await monitor.poll_once()
        admin.clear_faults()
    assert result.error is not None and "Workbooks is having trouble" in result.error.title
    assert [i.id for i in result.snapshot.items] == [i.id for i in first.snapshot.items]
    assert any(n.message.startswith("Not updated: names, statuses") for n in result.snapshot.notes)


async def test_polling_is_fast_in_flight_and_slow_when_idle(
    gatormail: GatorMailSandbox, database: Database
) -> None:
    settings = MailshotSettings(busy_poll_seconds=2.0, idle_poll_seconds=30.0)
    monitor = QueueMonitor(database, gatormail.remotes, settings=settings, policy=QUICK)
    monitor.status_every = 0
    try:
        idle = await monitor.poll_once()
        gatormail.settings(running=False)
        gatormail.create()
        busy = await monitor.poll_once()
    finally:
        await monitor.aclose()
    assert idle.next_delay == 30.0
    assert busy.next_delay == 1.0 * 2  # nothing says it is stopped: the busy rate
    # First poll: statuses (2 metadata + 1 picklist), mailshots, campaigns, and the two probes.
    assert idle.requests == 7
    # Then: mailshots, the new list's audience and campaigns (no probe again; mailings only back
    # the campaigns up when they cannot tell).
    assert busy.requests == 3


async def test_a_restart_keeps_states_and_timeline_without_repeating_them(
    gatormail: GatorMailSandbox, monitor: QueueMonitor, database: Database
) -> None:
    gatormail.settings(running=False, seconds_per_mailshot=1.1)  # times come in whole seconds
    ids = gatormail.create(count=2)
    await poll_until(monitor, lambda r: state_of(r, ids[1]) is QueueState.WAITING)
    gatormail.settings(running=True)
    await poll_until(monitor, lambda r: not r.snapshot.in_queue)
    assert monitor.throughput.records_per_second() is not None
    with database.engine.connect() as conn:
        before = {r["id"]: r["state"] for r in load_mailshots(conn)}
        count = sum(len(timeline(conn, i)) for i in before)
    again = QueueMonitor(database, gatormail.remotes, settings=SETTINGS, policy=QUICK)
    try:
        result = await again.poll_once()
    finally:
        await again.aclose()
    assert result.changes == []
    with database.engine.connect() as conn:
        assert sum(len(timeline(conn, i)) for i in before) == count
    assert again.throughput.records_per_second() is not None


async def test_a_mailshot_deleted_in_the_middle_of_a_fix_loses_nothing(
    gatormail: GatorMailSandbox, monitor: QueueMonitor, database: Database
) -> None:
    (long_id,) = gatormail.create(name=LONG_NAME, audience=12)
    await poll_until(monitor, lambda r: state_of(r, long_id) is QueueState.BLOCKED)
    add_entries = monitor.workbooks.add_entries

    async def someone_deletes_it_meanwhile(*args, **kwargs):  # type: ignore[no-untyped-def]
        gatormail.delete(long_id)  # a colleague deletes the original in Workbooks, now
        return await add_entries(*args, **kwargs)

    monitor.workbooks.add_entries = someone_deletes_it_meanwhile  # type: ignore[method-assign]
    outcome = await fix_name(monitor, long_id, "Shorter")
    assert "already been deleted in Workbooks by someone else" in outcome.message
    assert outcome.copy_id is not None
    assert gatormail.mailshot(outcome.copy_id)["name"] == "Shorter"
    said = [d for _, d in events(database, long_id)]
    assert any("making a copy" in d for d in said)
    assert any("already deleted in Workbooks by someone else" in d for d in said)
    assert any(
        "Created by Sync Monitor as a copy" in d for _, d in events(database, outcome.copy_id)
    )
