"""The scheduler: when each kind of sync runs, forced runs, pause, catch-up and backoff. No Qt.

It is driven from outside: the GUI calls `poll()` from a Qt timer, the daemon from an asyncio
loop, tests from a fake clock. `poll()` starts what is due; `force()` starts or queues a run at
once. Rules (from what users of other sync clients complain about):

- one run at a time; a force during a run queues one run after it, and forcing what is
  already queued adds nothing (coalesced);
- a cancel stops the running run and drops the queued ones, and says what it did;
- a wall-clock jump the monotonic clock did not see is a sleep: missed runs are caught up after
  a short delay that lets the network come back, and so is a missed run at start;
- a failure backs off exponentially (with a cap) instead of retrying in a storm;
- the next-run time it reports is never in the past.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from syncmonitor.domain.timestamps import format_iso
from syncmonitor.engine.runs.events import (
    CancelToken,
    RunOutcome,
    RunResult,
)
from syncmonitor.engine.runs.kinds import SyncKind
from syncmonitor.engine.runs.targets import (
    ALL_RECORDS,
    PERSON,
    Clock,
    ForceOutcome,
    Listener,
    Runner,
    RunRequest,
    State,
    SystemClock,
    Target,
    Trigger,
)

__all__ = [
    "ALL_RECORDS",
    "PERSON",
    "Clock",
    "ForceOutcome",
    "Listener",
    "RunRequest",
    "Runner",
    "Scheduler",
    "State",
    "SystemClock",
    "Target",
    "Trigger",
    "drive",
]

log = logging.getLogger(__name__)

MAX_POLL = timedelta(seconds=30)  # the driver polls at least this often
# A gap between polls this much longer than promised, or a wall clock that ran ahead of the
# monotonic one by this much, means the machine slept (or the process was frozen).
JUMP = timedelta(seconds=90)
CATCH_UP_DELAY = timedelta(seconds=20)  # after a wake or at start: let the network come back
BACKOFF_BASE = timedelta(minutes=2)
BACKOFF_CAP = timedelta(hours=2)


@dataclass
class _Running:
    request: RunRequest
    token: CancelToken
    task: asyncio.Task[None]


@dataclass
class _KindSchedule:
    interval: timedelta
    last: datetime | None = None  # when the last run of this kind (or a full one) ended
    due: datetime | None = None
    catch_up: bool = False  # the due run was missed (sleep, app closed)


class Scheduler:
    """Runs the sync kinds on their intervals and forced runs on request, one at a time."""

    def __init__(
        self,
        intervals: dict[SyncKind, timedelta],
        *,
        clock: Clock | None = None,
        listener: Listener | None = None,
        catch_up_delay: timedelta = CATCH_UP_DELAY,
        backoff_base: timedelta = BACKOFF_BASE,
        backoff_cap: timedelta = BACKOFF_CAP,
    ) -> None:
        self.clock: Clock = clock or SystemClock()
        self.listener = listener or Listener()
        self.catch_up_delay = catch_up_delay
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self._kinds = {k: _KindSchedule(v) for k, v in intervals.items()}
        self._runners: dict[str, Runner] = {}
        self._labels: dict[str, str] = {}
        self._queue: list[RunRequest] = []
        self._running: _Running | None = None
        self._paused = False
        self._started = False
        self._hold_until: datetime | None = None
        self.failures = 0
        self.backoff_until: datetime | None = None
        self.last_result: RunResult | None = None
        self.last_cancel_message = ""
        self._wall = self.clock.now()
        self._mono = self.clock.monotonic()

    # Setup --------------------------------------------------------------------------------------

    def register(self, target_type: str, runner: Runner, label: str = "") -> None:
        """Make a target type forceable: "all" and "person" by the app, "mailshot" by the queue."""
        self._runners[target_type] = runner
        self._labels[target_type] = label or target_type

    def start(self, last_runs: dict[SyncKind, datetime | None] | None = None) -> None:
        """Plan from when each kind last ran; a run missed while the app was closed is caught up
        after the short network delay."""
        now = self.clock.now()
        for kind, sched in self._kinds.items():
            sched.last = (last_runs or {}).get(kind)
        self._plan_all(now, catch_up_missed=True)
        self._started = True
        self._note_clocks(now)
        self.listener.changed()

    def set_intervals(self, intervals: dict[SyncKind, timedelta]) -> None:
        """New intervals take effect at once (counted from the last run)."""
        for kind, interval in intervals.items():
            self._kinds[kind].interval = interval
        self._plan_all(self.clock.now(), catch_up_missed=False)
        self.listener.changed()

    # State --------------------------------------------------------------------------------------

    @property
    def running(self) -> RunRequest | None:
        return self._running.request if self._running else None

    @property
    def queued(self) -> list[RunRequest]:
        return list(self._queue)

    @property
    def paused(self) -> bool:
        return self._paused

    def state(self) -> State:
        now = self.clock.now()
        if self._running is not None:
            return State.RUNNING
        if self._paused:
            return State.PAUSED
        if self.backoff_until is not None and self.backoff_until > now:
            return State.BACKING_OFF
        if self._hold_until is not None and self._hold_until > now:
            return State.WAITING
        return State.IDLE

    def next_run(self) -> tuple[datetime, SyncKind] | None:
        """When the next scheduled run starts and which kind; never in the past; None while
        paused or before start."""
        if self._paused or not self._started:
            return None
        now = self.clock.now()
        best: tuple[datetime, SyncKind] | None = None
        for kind, sched in self._kinds.items():
            if sched.due is not None and (best is None or sched.due < best[0]):
                best = (sched.due, kind)
        if best is None:
            return None
        return (max(best[0], now, self._gate(now)), best[1])

    def seconds_to_next_poll(self) -> float:
        """How long the driver may sleep before the next `poll()`."""
        nxt = self.next_run()
        now = self.clock.now()
        wait = MAX_POLL if nxt is None else min(MAX_POLL, nxt[0] - now)
        return max(wait.total_seconds(), 0.05)

    # Driving ------------------------------------------------------------------------------------

    def poll(self) -> None:
        """Notice sleeps and clock changes, then start what is due."""
        if not self._started:
            return
        now = self.clock.now()
        mono = self.clock.monotonic()
        wall_gap = now - self._wall
        mono_gap = timedelta(seconds=mono - self._mono)
        self._note_clocks(now, mono)
        if wall_gap - mono_gap > JUMP or wall_gap > MAX_POLL + JUMP:
            self._woke(now, wall_gap)
        elif wall_gap < -JUMP:  # the clock was set back: no wait may grow past its length
            if self._hold_until is not None:
                self._hold_until = min(self._hold_until, now + self.catch_up_delay)
            if self.backoff_until is not None:
                self.backoff_until = min(self.backoff_until, now + self.backoff_cap)
            self._plan_all(now, catch_up_missed=False)
            self.listener.changed()
        self._start_next(now)

    def _woke(self, now: datetime, gap: timedelta) -> None:
        log.info("The clock jumped %s ahead (sleep or suspend): catching up", gap)
        self._hold_until = now + self.catch_up_delay
        for sched in self._kinds.values():
            if sched.due is not None and sched.due <= now:
                sched.catch_up = True
        self.listener.changed()

    def force(self, target: Target) -> ForceOutcome:
        """Run `target` now, or after the running run; never twice."""
        if target.type not in self._runners:
            raise KeyError(f"No runner for {target.type!r}")
        running = self._running
        # The same work while it runs is queued once: the running run may already have read
        # past the change the person wants picked up. Any further force is coalesced into it.
        if any(r.target.same_work(target) for r in self._queue):
            return ForceOutcome.ALREADY_QUEUED
        self._queue.append(RunRequest(target, Trigger.FORCED))
        if running is None:
            self._start_next(self.clock.now())
            self.listener.changed()
            return ForceOutcome.STARTED
        self.listener.changed()
        return ForceOutcome.QUEUED

    def cancel(self) -> str:
        """Stop the running run at its next safe point and drop the queued ones; says what."""
        dropped = len(self._queue)
        self._queue.clear()
        parts = []
        if self._running is not None and not self._running.token.cancelled:
            self._running.token.cancel()
            parts.append(f"Cancelling the {self._running.request.target.describe()}")
        if dropped:
            parts.append(f"{dropped} queued {'sync' if dropped == 1 else 'syncs'} dropped")
        self.last_cancel_message = "; ".join(parts) + "." if parts else "Nothing to cancel."
        self.listener.changed()
        return self.last_cancel_message

    def abort(self) -> None:
        """Stop the running run's task outright (a cancel it did not honour in time)."""
        if self._running is not None and not self._running.task.done():
            self._running.task.cancel()

    def pause(self) -> None:
        """Scheduled runs stop (a forced run still runs: the person asked for it)."""
        self._paused = True
        self.listener.changed()

    def resume(self) -> None:
        self._paused = False
        now = self.clock.now()
        self._plan_all(now, catch_up_missed=False)
        self._start_next(now)
        self.listener.changed()

    async def stop(self, timeout: float = 10.0) -> None:
        """Cancel and wait for the running run (quitting)."""
        self._started = False
        self._queue.clear()
        running = self._running
        if running is None:
            return
        running.token.cancel()
        try:
            await asyncio.wait_for(asyncio.shield(running.task), timeout)
        except (TimeoutError, asyncio.CancelledError):
            running.task.cancel()

    # Internals ----------------------------------------------------------------------------------

    def _note_clocks(self, now: datetime, mono: float | None = None) -> None:
        self._wall = now
        self._mono = self.clock.monotonic() if mono is None else mono

    def _gate(self, now: datetime) -> datetime:
        """The earliest a scheduled run may start: after the wake delay and the backoff."""
        gate = now
        for t in (self._hold_until, self.backoff_until):
            if t is not None and t > gate:
                gate = t
        return gate

    def _plan_all(self, now: datetime, *, catch_up_missed: bool) -> None:
        for sched in self._kinds.values():
            if sched.last is None:
                sched.due = now
                sched.catch_up = False
            else:
                # min(): a clock set back must not push the next run an extra interval away.
                sched.due = min(sched.last + sched.interval, now + sched.interval)
                if catch_up_missed and sched.due <= now:
                    sched.catch_up = True
            if catch_up_missed and sched.due <= now and sched.last is not None:
                self._hold_until = now + self.catch_up_delay

    def _next_request(self, now: datetime) -> RunRequest | None:
        if self._queue:
            return self._queue.pop(0)
        if self._paused or now < self._gate(now):
            return None
        due = [(kind, s) for kind, s in self._kinds.items() if s.due is not None and s.due <= now]
        if not due:
            return None
        # A full run does everything an inbound one does: when both are due, run full only.
        kind, sched = max(due, key=lambda item: item[0] is SyncKind.FULL)
        trigger = Trigger.CATCH_UP if sched.catch_up else Trigger.SCHEDULED
        return RunRequest(Target.sync_of(kind), trigger)

    def _start_next(self, now: datetime) -> None:
        if self._running is not None or not self._started:
            return
        request = self._next_request(now)
        if request is None:
            return
        runner = self._runners.get(request.target.type)
        if runner is None:
            log.error("No runner registered for %s", request.target.type)
            return
        token = CancelToken()
        task = asyncio.get_running_loop().create_task(self._run(runner, request, token))
        self._running = _Running(request, token, task)
        self.listener.started(request)
        self.listener.changed()

    async def _run(self, runner: Runner, request: RunRequest, token: CancelToken) -> None:
        try:
            result = await runner(request, self.listener.progress, token)
        except asyncio.CancelledError:
            result = _synthetic(self.clock.now(), RunOutcome.CANCELLED)
        except Exception as exc:  # runners report failures as results; this is a bug
            log.exception("A sync runner raised")
            result = _synthetic(
                self.clock.now(),
                RunOutcome.FAILED,
                "The sync stopped unexpectedly",
                f"{type(exc).__name__}: {exc}. Details are in the log.",
            )
        self._finished(request, result)

    def _finished(self, request: RunRequest, result: RunResult) -> None:
        now = self.clock.now()
        self._running = None
        self.last_result = result
        target = request.target
        covered = [target.kind] + ([SyncKind.INBOUND] if target.kind is SyncKind.FULL else [])
        if target.type == ALL_RECORDS:
            for kind in covered:
                if kind in self._kinds:
                    sched = self._kinds[kind]
                    sched.last = now
                    sched.due = now + sched.interval
                    sched.catch_up = False
            self._hold_until = None
        # Backoff is about the sync connection: a mailshot read (Workbooks/Spotler, the queue's
        # own pace) neither backs the syncs off nor clears their failure streak.
        counts = target.type in (ALL_RECORDS, PERSON)
        if counts and result.outcome is RunOutcome.FAILED:
            self.failures += 1
            delay = min(self.backoff_base * 2 ** (self.failures - 1), self.backoff_cap)
            self.backoff_until = now + delay
            # The next try comes after the backoff, sooner than the interval at first (a blip
            # heals quickly), later than it after many failures (no storm against a remote
            # that is down or refuses the credentials).
            for kind, sched in self._kinds.items():
                retried = target.type == ALL_RECORDS and kind in covered
                if retried or (sched.due is not None and sched.due < self.backoff_until):
                    sched.due = self.backoff_until
            log.info("Run failed (%d in a row): next try in %s", self.failures, delay)
        elif counts and result.outcome in (RunOutcome.SUCCEEDED, RunOutcome.PARTLY_FAILED):
            # Partly failed: the remotes answered and most parts ran. Backing the whole sync off
            # for one part's lasting problem (a missing scope) would only delay the others.
            self.failures = 0
            self.backoff_until = None
        self.listener.finished(request, result)
        self._start_next(now)
        self.listener.changed()


def _synthetic(
    now: datetime, outcome: RunOutcome, title: str | None = None, message: str | None = None
) -> RunResult:
    """A result for a run the runner could not report itself."""
    return RunResult(
        run_id=0,
        outcome=outcome,
        started_at=format_iso(now),
        finished_at=format_iso(now),
        duration_s=0.0,
        error_title=title,
        error_message=message,
    )


async def drive(scheduler: Scheduler, stop: asyncio.Event) -> None:
    """Poll the scheduler until `stop` is set (the daemon's loop; the GUI uses a Qt timer)."""
    while not stop.is_set():
        scheduler.poll()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), scheduler.seconds_to_next_poll())
    await scheduler.stop()
