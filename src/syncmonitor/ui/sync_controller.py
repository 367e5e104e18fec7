"""The bridge between the engine's scheduler and the widgets.

The scheduler (engine/scheduler.py) decides what runs when and knows nothing of Qt. This object
starts the services off the GUI thread, drives the scheduler from one Qt timer (re-armed for the
next due time, 30 s at most, so a clock jump after a suspend is seen), turns its callbacks into Qt
signals, and posts notices through the notification policy. The window, the tray and the status
bar all read the same state from here, so they never disagree.
"""

from __future__ import annotations

import asyncio
import enum
import functools
import logging
import sys
from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from syncmonitor.app.errors import UserFacingError
from syncmonitor.domain.timestamps import parse_iso
from syncmonitor.engine.runs.events import (
    RunResult,
    SyncProgress,
    writes_back,
)
from syncmonitor.engine.runs.kinds import SyncKind
from syncmonitor.engine.runs.notices import Notice, NoticeLevel, NoticeSink
from syncmonitor.engine.runs.runners import RunNotices, register_sync_runners, schedule_intervals
from syncmonitor.engine.runs.scheduler import (
    ForceOutcome,
    Listener,
    RunRequest,
    Scheduler,
    State,
    Target,
)
from syncmonitor.ui.service_protocols import ServicesLike, ServicesStarter, SyncServiceLike

log = logging.getLogger(__name__)

__all__ = [
    "Phase",
    "ServicesLike",
    "ServicesStarter",
    "SyncController",
    "SyncServiceLike",
    "schedule_intervals",
]

HARD_CANCEL_AFTER_S = 20.0  # a cancel the engine has not honoured by then stops the task itself


class Phase(enum.Enum):
    STARTING = "starting"
    START_FAILED = "start failed"
    IDLE = "idle"
    SYNCING = "syncing"
    CANCELLING = "cancelling"
    STOPPED = "stopped"


DEFAULT_INTERVALS = {SyncKind.INBOUND: timedelta(hours=2), SyncKind.FULL: timedelta(minutes=30)}


class SyncController(QObject):
    """Starts the services and drives the scheduler: one run at a time, forced or scheduled."""

    phase_changed = Signal()
    services_ready = Signal(object)  # ServicesLike: the engine's facade
    services_failed = Signal(str, str)  # title, message
    progress = Signal(object)  # SyncProgress
    run_started = Signal(object)  # RunRequest
    run_finished = Signal(object)  # RunResult
    message = Signal(str)  # a short status message ("1 queued sync dropped")
    issues_changed = Signal(int)  # how many issues the Issues list shows

    def __init__(
        self,
        starter: ServicesStarter,
        *,
        intervals: dict[SyncKind, timedelta] | None = None,
        notices: NoticeSink,
        starting_message: str = "Starting…",
        paused: bool = False,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._starter = starter
        self.notices = notices
        self.starting_message = starting_message
        self.phase = Phase.STARTING
        self.services: ServicesLike | None = None
        self.start_error: tuple[str, str] | None = None
        self.last_result: RunResult | None = None
        self.current: RunRequest | None = None
        self._start_task: asyncio.Task[None] | None = None
        self.run_notices = RunNotices(notices)  # failure and recovery notices, per run
        self.issue_count = 0
        # True while the running sync writes to Workbooks or Outreach (Cancel asks first then)
        self.writing_back = False
        self.scheduler = Scheduler(
            dict(intervals or DEFAULT_INTERVALS),
            listener=Listener(
                changed=self._on_changed,
                started=self._on_started,
                finished=self._on_finished,
                progress=self._on_progress,
            ),
        )
        register_sync_runners(self.scheduler, lambda: self.service)
        # One timer drives the scheduler: armed for the next due time, never longer than the
        # scheduler's poll limit, so after a suspend the clock jump is noticed within 30 s.
        self._poll = QTimer(self)
        self._poll.setSingleShot(True)
        self._poll.timeout.connect(self._on_poll)
        if paused:  # after the timer exists: pausing tells the listener, which re-arms it
            self.scheduler.pause()

    # Lifecycle ----------------------------------------------------------------------------------

    @property
    def service(self) -> SyncServiceLike | None:
        return self.services.service if self.services else None

    @property
    def running(self) -> bool:
        return self.phase in (Phase.SYNCING, Phase.CANCELLING)

    def start(self) -> None:
        """Start the services in a worker thread (the sandbox takes a few seconds)."""
        if self.phase not in (Phase.STARTING, Phase.START_FAILED) or self._start_task:
            return
        self.start_error = None
        self._set_phase(Phase.STARTING)
        self._start_task = self._spawn(self._start())

    async def _start(self) -> None:
        try:
            services = await asyncio.to_thread(self._starter)
            # Both read the cache: off the GUI thread.
            last = await asyncio.to_thread(_last_runs, services.service)
            last_result = await asyncio.to_thread(services.service.last_run)
        except UserFacingError as exc:
            self._start_failed(exc.title, exc.message)
            return
        except Exception as exc:
            log.exception("The services did not start")
            self._start_failed(
                "Sync Monitor could not start syncing",
                f"{type(exc).__name__}: {exc}. Details are in the log. Press Retry to try again.",
            )
            return
        finally:
            self._start_task = None
        if self.phase is Phase.STOPPED:  # quit while starting
            await asyncio.to_thread(services.close)
            return
        self.services = services
        services.service.notices = self.notices
        self.last_result = last_result
        self._set_phase(Phase.IDLE)
        self.services_ready.emit(services)
        self.scheduler.start(last)
        self._on_poll()
        self.refresh_issue_count()

    def _start_failed(self, title: str, message: str) -> None:
        self.start_error = (title, message)
        self._set_phase(Phase.START_FAILED)
        self.services_failed.emit(title, message)
        self.notices.post(Notice("sync.failed", NoticeLevel.ERROR, title, message, key=title))

    async def shutdown(self, before_close: Callable[[], object] | None = None) -> None:
        """Cancel a running sync, wait for it to stop, and close the services.

        `before_close` runs in a worker thread just before the services close (the pages use it
        to let their reads of the cache finish).
        """
        self._poll.stop()
        self.phase = Phase.STOPPED
        await self.scheduler.stop(HARD_CANCEL_AFTER_S / 2)
        if before_close is not None:
            await asyncio.to_thread(before_close)
        if self.services is not None:
            services, self.services = self.services, None
            await asyncio.to_thread(services.close)
        self.phase_changed.emit()

    def close_now(self) -> None:
        """The last resort when the loop is already gone: cancel and close without waiting."""
        self._poll.stop()
        self.phase = Phase.STOPPED
        self.scheduler.cancel()
        if self.services is not None:
            services, self.services = self.services, None
            try:
                services.close()
            except Exception:
                log.exception("Closing the services failed")

    # Syncing ------------------------------------------------------------------------------------

    def sync_now(self, kind: SyncKind = SyncKind.FULL) -> ForceOutcome | None:
        """Start a full sync now (or of `kind`), or after the running one (coalesced, never
        twice)."""
        if self.phase is Phase.START_FAILED:
            self.start()
            return None
        return self.force(Target.sync_of(kind))

    def force(self, target: Target) -> ForceOutcome | None:
        """Force one target (every record, a person, a mailshot) now or after the running run."""
        if self.service is None or self.phase is Phase.STOPPED:
            return None
        outcome = self.scheduler.force(target)
        log.info("Asked to sync: the %s (%s)", target.describe(), outcome.value)
        if outcome is ForceOutcome.QUEUED:
            self.message.emit(f"Queued: the {target.describe()} runs after this one.")
        elif outcome is ForceOutcome.ALREADY_QUEUED:
            self.message.emit(f"The {target.describe()} is already queued.")
        return outcome

    def cancel(self) -> None:
        """Stop the running sync at its next safe point and drop the queued ones."""
        if not self.running and not self.scheduler.queued:
            return
        text = self.scheduler.cancel()
        log.info("Cancel pressed: %s", text)
        if self.phase is Phase.SYNCING:
            self._set_phase(Phase.CANCELLING)
            self.progress.emit(SyncProgress("cancel", f"{text[:-1]}: stopping after this page…"))
            request = self.current
            # With `self` as the context the timer dies with the controller.
            QTimer.singleShot(
                int(HARD_CANCEL_AFTER_S * 1000), self, functools.partial(self._hard_cancel, request)
            )
        self.message.emit(text)

    def _hard_cancel(self, request: RunRequest | None) -> None:
        if request is not None and self.current is request:
            log.warning("The sync did not stop after a cancel; stopping its task")
            self.scheduler.abort()

    def pause(self) -> None:
        log.info("Scheduled syncs paused (Sync now still works)")
        self.scheduler.pause()

    def resume(self) -> None:
        log.info("Scheduled syncs resumed")
        self.scheduler.resume()

    def set_intervals(self, intervals: dict[SyncKind, timedelta]) -> None:
        self.scheduler.set_intervals(intervals)
        self._arm()

    @property
    def queued(self) -> list[RunRequest]:
        return self.scheduler.queued

    @property
    def next_due(self) -> datetime | None:
        """When the next scheduled sync starts (never in the past), None while paused."""
        if self.service is None:
            return None
        nxt = self.scheduler.next_run()
        return nxt[0] if nxt else None

    @property
    def next_kind(self) -> SyncKind | None:
        nxt = self.scheduler.next_run()
        return nxt[1] if nxt else None

    def state(self) -> State:
        return self.scheduler.state()

    # Scheduler callbacks ------------------------------------------------------------------------

    def _on_poll(self) -> None:
        if self.phase is Phase.STOPPED:
            return
        self.scheduler.poll()
        self._arm()

    def _arm(self) -> None:
        if self.phase is not Phase.STOPPED:
            self._poll.start(int(self.scheduler.seconds_to_next_poll() * 1000) + 5)

    def _on_changed(self) -> None:
        self._arm()
        self.phase_changed.emit()

    def _on_progress(self, progress: SyncProgress) -> None:
        if progress.phase != "cancel":
            self.writing_back = writes_back(progress.phase)
        self.progress.emit(progress)

    def _on_started(self, request: RunRequest) -> None:
        self.current = request
        self.run_notices.started()
        self.writing_back = False
        self._set_phase(Phase.SYNCING)
        self.run_started.emit(request)

    def _on_finished(self, request: RunRequest, result: RunResult) -> None:
        self.current = None
        self.writing_back = False
        if self.phase is Phase.STOPPED:
            return
        self.last_result = result
        self.run_notices.finished(result)
        self._set_phase(Phase.IDLE)
        self.run_finished.emit(result)
        self.refresh_issue_count()

    def refresh_issue_count(self) -> None:
        """Re-count the open issues off the GUI thread (after a run, a dismiss, a retry)."""
        if self.services is not None:
            self._spawn(self._count_issues(self.services))

    async def _count_issues(self, services: ServicesLike) -> None:
        try:
            count = await services.issues.count_async()
        except Exception:  # a closed cache while quitting: nothing to show any more
            log.debug("Counting issues failed", exc_info=True)
            return
        if count != self.issue_count:
            self.issue_count = count
            self.issues_changed.emit(count)
            self.phase_changed.emit()

    # Helpers ------------------------------------------------------------------------------------

    def _set_phase(self, phase: Phase) -> None:
        if phase is not self.phase:
            self.phase = phase
            self.phase_changed.emit()

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(coro)
        task.add_done_callback(_report_crash)
        return task


def _last_runs(service: SyncServiceLike) -> dict[SyncKind, datetime | None]:
    """When each kind last ended (a service without per-kind records: its last run)."""
    by_kind = getattr(service, "last_finished_by_kind", None)
    if by_kind is not None:
        return dict(by_kind())
    last = service.last_run()
    when = parse_iso(last.finished_at) if last else None
    return {SyncKind.FULL: when, SyncKind.INBOUND: when}


def _report_crash(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        exc = task.exception()
        assert exc is not None
        sys.excepthook(type(exc), exc, exc.__traceback__)
