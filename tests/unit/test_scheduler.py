"""The scheduler with a clock the tests move by hand: intervals, sleep and wake, catch-up,
coalescing, cancel, backoff, pause, and a next-run time that is never in the past."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta

import pytest

from syncmonitor.domain.timestamps import format_iso
from syncmonitor.engine.runs.events import CancelToken, ProgressCallback, RunOutcome, RunResult
from syncmonitor.engine.runs.kinds import SyncKind
from syncmonitor.engine.runs.scheduler import (
    ALL_RECORDS,
    CATCH_UP_DELAY,
    PERSON,
    ForceOutcome,
    RunRequest,
    Scheduler,
    State,
    Target,
    Trigger,
)

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
RECENT = {SyncKind.FULL: T0, SyncKind.INBOUND: T0}  # both just ran: nothing due
INTERVALS = {SyncKind.INBOUND: timedelta(hours=2), SyncKind.FULL: timedelta(minutes=30)}


class FakeClock:
    """Wall and monotonic time that only move when told; `sleep` moves the wall clock alone,
    as a suspended laptop does."""

    def __init__(self) -> None:
        self.wall = T0
        self.mono = 1000.0

    def now(self) -> datetime:
        return self.wall

    def monotonic(self) -> float:
        return self.mono

    def advance(self, delta: timedelta) -> None:
        self.wall += delta
        self.mono += delta.total_seconds()

    def sleep(self, delta: timedelta) -> None:
        self.wall += delta


class FakeRunner:
    """Records each request; can hold a run until released; fails on request."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.requests: list[RunRequest] = []
        self.hold = False
        self.fail: str | None = None  # error_kind of the failure, e.g. "offline"
        self.release = asyncio.Event()
        self.cancelled: list[RunRequest] = []

    async def __call__(
        self, request: RunRequest, progress: ProgressCallback, cancel: CancelToken
    ) -> RunResult:
        self.requests.append(request)
        while self.hold and not self.release.is_set() and not cancel.cancelled:
            await asyncio.sleep(0)
        self.release.clear()
        now = format_iso(self.clock.now())
        if cancel.cancelled:
            self.cancelled.append(request)
            return RunResult(0, RunOutcome.CANCELLED, now, now, 0.0)
        if self.fail is not None:
            return RunResult(
                0, RunOutcome.FAILED, now, now, 0.0, error_title="Offline", error_kind=self.fail
            )
        return RunResult(0, RunOutcome.SUCCEEDED, now, now, 0.0)

    def kinds(self) -> list[tuple[str, str, str]]:
        return [(r.target.type, r.target.kind.value, r.trigger.value) for r in self.requests]


async def settle() -> None:
    for _ in range(50):
        await asyncio.sleep(0)


def make(
    last: dict[SyncKind, datetime | None] | None = None,
) -> tuple[Scheduler, FakeClock, FakeRunner]:
    """A started scheduler; with `last=None` nothing ever ran, so a full run is due at once."""
    clock = FakeClock()
    runner = FakeRunner(clock)
    scheduler = Scheduler(INTERVALS, clock=clock)
    scheduler.register(ALL_RECORDS, runner)
    scheduler.register(PERSON, runner)
    scheduler.start(last or {})
    return scheduler, clock, runner


async def tick(scheduler: Scheduler, clock: FakeClock, total: timedelta) -> None:
    """Let time pass in poll-sized steps, as the driver would."""
    end = clock.wall + total
    while clock.wall < end:
        step = min(timedelta(seconds=scheduler.seconds_to_next_poll()), end - clock.wall)
        clock.advance(step)
        scheduler.poll()
        await settle()


@pytest.mark.asyncio
async def test_first_start_runs_full_at_once_then_each_kind_on_its_interval() -> None:
    scheduler, clock, runner = make()
    scheduler.poll()
    await settle()
    # Both kinds are due; full covers inbound, so only one run.
    assert runner.kinds() == [("all", "full", "scheduled")]
    await tick(scheduler, clock, timedelta(hours=2, minutes=1))
    kinds = [k for _t, k, _g in runner.kinds()]
    # Every 30 min a full run; inbound never needs its own run since each full run covers it.
    assert kinds == ["full"] * 5


@pytest.mark.asyncio
async def test_inbound_runs_alone_when_its_interval_is_shorter() -> None:
    clock = FakeClock()
    runner = FakeRunner(clock)
    scheduler = Scheduler(
        {SyncKind.INBOUND: timedelta(minutes=15), SyncKind.FULL: timedelta(hours=1)}, clock=clock
    )
    scheduler.register(ALL_RECORDS, runner)
    scheduler.start({})
    scheduler.poll()
    await settle()
    await tick(scheduler, clock, timedelta(minutes=61))
    kinds = [k for _t, k, _g in runner.kinds()]
    assert kinds == ["full", "inbound", "inbound", "inbound", "full"]


@pytest.mark.asyncio
async def test_a_run_missed_while_the_app_was_closed_is_caught_up_after_the_network_delay() -> None:
    scheduler, clock, runner = make(
        {SyncKind.FULL: T0 - timedelta(hours=5), SyncKind.INBOUND: T0 - timedelta(hours=5)}
    )
    scheduler.poll()
    await settle()
    assert runner.requests == []  # not at once: the network may not be up yet
    assert scheduler.state() is State.WAITING
    nxt = scheduler.next_run()
    assert nxt is not None and nxt[0] == T0 + CATCH_UP_DELAY
    await tick(scheduler, clock, CATCH_UP_DELAY + timedelta(seconds=1))
    assert runner.kinds() == [("all", "full", "catch-up")]


@pytest.mark.asyncio
async def test_sleep_is_detected_by_the_clock_jump_and_missed_runs_catch_up_once() -> None:
    scheduler, clock, runner = make()
    scheduler.poll()
    await settle()
    assert len(runner.requests) == 1
    clock.advance(timedelta(minutes=10))
    scheduler.poll()
    await settle()
    clock.sleep(timedelta(hours=7))  # the lid closed: the monotonic clock did not move
    scheduler.poll()
    await settle()
    assert len(runner.requests) == 1, "no run the instant the machine wakes"
    assert scheduler.state() is State.WAITING
    nxt = scheduler.next_run()
    assert nxt is not None and nxt[0] >= clock.now()
    await tick(scheduler, clock, CATCH_UP_DELAY + timedelta(seconds=1))
    # One catch-up run, not one per missed interval (14 were missed).
    assert runner.kinds()[1:] == [("all", "full", "catch-up")]
    await tick(scheduler, clock, timedelta(minutes=29))
    assert len(runner.requests) == 2


@pytest.mark.asyncio
async def test_a_wake_without_missed_runs_runs_nothing_extra() -> None:
    scheduler, clock, runner = make()
    scheduler.poll()
    await settle()
    clock.sleep(timedelta(minutes=5))
    scheduler.poll()
    await settle()
    await tick(scheduler, clock, timedelta(minutes=20))
    assert len(runner.requests) == 1


@pytest.mark.asyncio
async def test_forcing_during_a_run_queues_one_run_however_often_it_is_pressed() -> None:
    scheduler, _clock, runner = make(RECENT)
    runner.hold = True
    assert scheduler.force(Target.sync_of()) is ForceOutcome.STARTED
    await settle()
    # Sync now during a sync: one more run after it (the running one may have read past the
    # change), however often it is pressed.
    assert scheduler.force(Target.sync_of()) is ForceOutcome.QUEUED
    for _ in range(5):
        assert scheduler.force(Target.sync_of()) is ForceOutcome.ALREADY_QUEUED
    person = Target.person(42, "Ada Lovelace")
    assert scheduler.force(person) is ForceOutcome.QUEUED
    assert scheduler.force(Target.person(42)) is ForceOutcome.ALREADY_QUEUED
    assert [r.target.key for r in scheduler.queued] == ["", "42"]
    for _ in range(3):
        runner.release.set()
        await settle()
    assert [(r.target.type, r.target.key, r.trigger.value) for r in runner.requests] == [
        ("all", "", "forced"),
        ("all", "", "forced"),
        ("person", "42", "forced"),
    ]
    assert scheduler.running is None and scheduler.queued == []


@pytest.mark.asyncio
async def test_cancel_stops_the_run_drops_the_queue_and_says_so() -> None:
    scheduler, _clock, runner = make(RECENT)
    runner.hold = True
    scheduler.force(Target.sync_of())
    await settle()
    scheduler.force(Target.person(7, "Grace"))
    message = scheduler.cancel()
    assert message == "Cancelling the full sync; 1 queued sync dropped."
    await settle()
    assert [r.target.type for r in runner.cancelled] == ["all"]
    assert [r.target.type for r in runner.requests] == ["all"]  # the queued one never ran
    assert scheduler.running is None
    assert scheduler.last_result is not None
    assert scheduler.last_result.outcome is RunOutcome.CANCELLED
    assert scheduler.failures == 0  # a cancel is not a failure
    assert scheduler.cancel() == "Nothing to cancel."


@pytest.mark.asyncio
async def test_offline_fails_once_then_backs_off_exponentially_with_a_cap() -> None:
    scheduler, clock, runner = make()
    runner.fail = "offline"
    scheduler.poll()
    await settle()
    starts: list[datetime] = [clock.now()]
    for _ in range(60 * 24):  # a day offline, polled every minute at most
        before = len(runner.requests)
        clock.advance(timedelta(minutes=1))
        scheduler.poll()
        await settle()
        if len(runner.requests) > before:
            starts.append(clock.now())
        nxt = scheduler.next_run()
        assert nxt is not None and nxt[0] >= clock.now()
    gaps = [(b - a).total_seconds() / 60 for a, b in itertools.pairwise(starts)]
    assert gaps[:7] == [2, 4, 8, 16, 32, 64, 120]
    assert set(gaps[6:]) == {120}, "capped at 2 h"
    assert len(starts) < 20, "no storm of failures"
    assert scheduler.state() in (State.BACKING_OFF, State.IDLE)
    runner.fail = None
    # Sync now still runs at once while backing off, and a success ends the backoff.
    assert scheduler.force(Target.sync_of()) is ForceOutcome.STARTED
    await settle()
    assert scheduler.failures == 0 and scheduler.backoff_until is None
    nxt = scheduler.next_run()
    assert nxt is not None and nxt[0] == clock.now() + timedelta(minutes=30)


@pytest.mark.asyncio
async def test_pause_stops_scheduled_runs_but_not_sync_now_and_resume_catches_up() -> None:
    scheduler, clock, runner = make()
    scheduler.poll()
    await settle()
    scheduler.pause()
    assert scheduler.state() is State.PAUSED and scheduler.next_run() is None
    await tick(scheduler, clock, timedelta(hours=3))
    assert len(runner.requests) == 1
    scheduler.force(Target.person(3))
    await settle()
    assert runner.requests[-1].target.type == "person"
    scheduler.resume()
    await settle()
    assert runner.kinds()[-1] == ("all", "full", "scheduled")


@pytest.mark.asyncio
async def test_next_run_is_never_in_the_past_when_overdue_or_the_clock_goes_back() -> None:
    scheduler, clock, runner = make({SyncKind.FULL: T0 - timedelta(minutes=10)})
    runner.hold = True
    scheduler.poll()
    await settle()
    for _ in range(300):  # polled every 30 s, as the driver promises
        clock.advance(timedelta(seconds=30))
        scheduler.poll()
        await settle()
        nxt = scheduler.next_run()
        assert nxt is not None and nxt[0] >= clock.now()
    runner.hold = False
    runner.release.set()
    await settle()
    clock.wall -= timedelta(days=2)  # the clock was set back
    scheduler.poll()
    await settle()
    nxt = scheduler.next_run()
    assert nxt is not None
    assert clock.now() <= nxt[0] <= clock.now() + timedelta(hours=2)


@pytest.mark.asyncio
async def test_new_intervals_apply_from_the_last_run() -> None:
    scheduler, _clock, _runner = make()
    scheduler.poll()
    await settle()
    scheduler.set_intervals(
        {SyncKind.FULL: timedelta(hours=4), SyncKind.INBOUND: timedelta(hours=1)}
    )
    nxt = scheduler.next_run()
    assert nxt == (T0 + timedelta(hours=1), SyncKind.INBOUND)


@pytest.mark.asyncio
async def test_a_registered_target_type_can_be_forced_and_an_unknown_one_is_refused() -> None:
    scheduler, clock, runner = make(RECENT)
    mailshots: list[str] = []

    async def send_mailshot(
        request: RunRequest, progress: ProgressCallback, cancel: CancelToken
    ) -> RunResult:
        mailshots.append(request.target.key)
        now = format_iso(clock.now())
        return RunResult(0, RunOutcome.SUCCEEDED, now, now, 0.0)

    scheduler.register("mailshot", send_mailshot, "mailshot")
    assert (
        scheduler.force(Target("mailshot", "9", label="November newsletter"))
        is ForceOutcome.STARTED
    )
    await settle()
    assert mailshots == ["9"]
    assert runner.requests == []  # the mailshot run did not count as a sync of everything
    with pytest.raises(KeyError):
        scheduler.force(Target("salesforce", "1"))


@pytest.mark.asyncio
async def test_a_mailshot_read_neither_backs_the_syncs_off_nor_ends_their_backoff() -> None:
    scheduler, clock, runner = make(RECENT)
    outcome = RunOutcome.FAILED

    async def read_mailshot(
        request: RunRequest, progress: ProgressCallback, cancel: CancelToken
    ) -> RunResult:
        now = format_iso(clock.now())
        return RunResult(0, outcome, now, now, 0.0, error_title="Spotler is down")

    scheduler.register("mailshot", read_mailshot, "mailshot")
    scheduler.force(Target("mailshot", "9"))
    await settle()
    assert scheduler.failures == 0 and scheduler.backoff_until is None  # Spotler is not the sync

    runner.fail = "offline"
    scheduler.force(Target.sync_of())
    await settle()
    assert scheduler.failures == 1 and scheduler.backoff_until is not None
    outcome = RunOutcome.SUCCEEDED
    scheduler.force(Target("mailshot", "9"))
    await settle()
    assert scheduler.failures == 1, "a mailshot read that worked says nothing about the sync"


@pytest.mark.asyncio
async def test_a_runner_that_raises_is_recorded_as_a_failure_and_the_scheduler_carries_on() -> None:
    scheduler, _clock, _runner = make()

    async def broken(
        request: RunRequest, progress: ProgressCallback, cancel: CancelToken
    ) -> RunResult:
        raise RuntimeError("boom")

    scheduler.register(ALL_RECORDS, broken)
    scheduler.force(Target.sync_of())
    await settle()
    assert scheduler.last_result is not None
    assert scheduler.last_result.outcome is RunOutcome.FAILED
    assert "boom" in (scheduler.last_result.error_message or "")
    assert scheduler.running is None and scheduler.failures == 1
    assert Trigger.FORCED.value == "forced"
