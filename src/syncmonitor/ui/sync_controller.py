"""The bridge between the sync engine and the widgets.

The engine knows nothing of Qt: it takes a progress callback and a cancel token. This object starts
the services off the GUI thread, runs one sync at a time (by hand or on the interval), turns the
engine's reports into Qt signals, and says whether the app is starting, idle, syncing or cancelling.
The window, the tray and the status bar all read the same state from here, so they never disagree.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import functools
import logging
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from PySide6.QtCore import QObject, QTimer, Signal

from syncmonitor.domain.timestamps import format_iso, parse_iso, utc_now
from syncmonitor.engine.events import (
    CancelToken,
    ProgressCallback,
    RunOutcome,
    RunResult,
    SyncProgress,
)
from syncmonitor.errors import UserFacingError
from syncmonitor.store.database import Database
from syncmonitor.ui.notifier import Level, Notifier

log = logging.getLogger(__name__)

HARD_CANCEL_AFTER_S = 20.0  # a cancel the engine has not honoured by then stops the task itself


class SyncServiceLike(Protocol):
    """What the GUI uses of `syncmonitor.engine.service.SyncService`."""

    database: Database
    sandbox_mode: bool

    @property
    def running(self) -> bool: ...

    async def sync_once(
        self,
        *,
        trigger: str = "forced",
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> RunResult: ...

    def last_run(self) -> RunResult | None: ...


class ServicesLike(Protocol):
    """What the GUI uses of `syncmonitor.engine.bootstrap.Services`."""

    @property
    def service(self) -> SyncServiceLike: ...

    def close(self) -> None: ...


ServicesStarter = Callable[[], ServicesLike]


class Phase(enum.Enum):
    STARTING = "starting"
    START_FAILED = "start failed"
    IDLE = "idle"
    SYNCING = "syncing"
    CANCELLING = "cancelling"
    STOPPED = "stopped"


class SyncController(QObject):
    """Starts the services and runs syncs: one at a time, cancellable, every `interval`."""

    phase_changed = Signal()
    services_ready = Signal(object)  # Database
    services_failed = Signal(str, str)  # title, message
    progress = Signal(object)  # SyncProgress
    run_finished = Signal(object)  # RunResult

    def __init__(
        self,
        starter: ServicesStarter,
        *,
        interval: timedelta,
        notifier: Notifier,
        starting_message: str = "Starting…",
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._starter = starter
        self.interval = interval
        self.notifier = notifier
        self.starting_message = starting_message
        self.phase = Phase.STARTING
        self.services: ServicesLike | None = None
        self.start_error: tuple[str, str] | None = None
        self.last_result: RunResult | None = None
        self.next_due: datetime | None = None
        self._task: asyncio.Task[None] | None = None
        self._start_task: asyncio.Task[None] | None = None
        self._token: CancelToken | None = None
        self._notified_error: str | None = None
        # A single-shot timer for the due time, and a slow tick as a backstop: after a suspend a
        # timer may fire late or not at all, while the tick compares with the wall clock.
        self._due_timer = QTimer(self)
        self._due_timer.setSingleShot(True)
        self._due_timer.timeout.connect(self._run_if_due)
        self._tick = QTimer(self)
        self._tick.setInterval(30_000)
        self._tick.timeout.connect(self._run_if_due)

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
        self.last_result = services.service.last_run()
        self._set_phase(Phase.IDLE)
        self.services_ready.emit(services.service.database)
        self._schedule_after(self.last_result)
        self._tick.start()

    def _start_failed(self, title: str, message: str) -> None:
        self.start_error = (title, message)
        self._set_phase(Phase.START_FAILED)
        self.services_failed.emit(title, message)
        self.notifier.notify(Level.ERROR, title, message)

    async def shutdown(self, before_close: Callable[[], object] | None = None) -> None:
        """Cancel a running sync, wait for it to stop, and close the services.

        `before_close` runs in a worker thread just before the services close (the pages use it
        to let their reads of the cache finish).
        """
        self._due_timer.stop()
        self._tick.stop()
        self.phase = Phase.STOPPED
        if self._token is not None:
            self._token.cancel()
        task = self._task
        if task is not None:
            with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(asyncio.shield(task), HARD_CANCEL_AFTER_S / 2)
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if before_close is not None:
            await asyncio.to_thread(before_close)
        if self.services is not None:
            services, self.services = self.services, None
            await asyncio.to_thread(services.close)
        self.phase_changed.emit()

    def close_now(self) -> None:
        """The last resort when the loop is already gone: cancel and close without waiting."""
        self._due_timer.stop()
        self._tick.stop()
        self.phase = Phase.STOPPED
        if self._token is not None:
            self._token.cancel()
        if self.services is not None:
            services, self.services = self.services, None
            try:
                services.close()
            except Exception:
                log.exception("Closing the services failed")

    # Syncing ------------------------------------------------------------------------------------

    def sync_now(self, trigger: str = "forced") -> None:
        """Run a sync now; does nothing while one runs (the button offers Cancel then)."""
        if self.phase is Phase.START_FAILED:
            self.start()
            return
        if self.phase is not Phase.IDLE or self.service is None:
            return
        self._token = CancelToken()
        self._set_phase(Phase.SYNCING)
        self._task = self._spawn(self._run(self.service, trigger, self._token))

    def cancel(self) -> None:
        """Ask the running sync to stop at its next safe point (between pages)."""
        if self.phase is not Phase.SYNCING or self._token is None:
            return
        self._token.cancel()
        self._set_phase(Phase.CANCELLING)
        self.progress.emit(SyncProgress("cancel", "Cancelling: stopping after the current page…"))
        task = self._task
        # With `self` as the context the timer dies with the controller: a bare lambda would
        # fire into whatever is left of it after the window closes.
        QTimer.singleShot(
            int(HARD_CANCEL_AFTER_S * 1000), self, functools.partial(self._hard_cancel, task)
        )

    def _hard_cancel(self, task: asyncio.Task[None] | None) -> None:
        if task is not None and task is self._task and not task.done():
            log.warning("The sync did not stop after a cancel; stopping its task")
            task.cancel()

    async def _run(self, service: SyncServiceLike, trigger: str, token: CancelToken) -> None:
        started = utc_now()
        try:
            result = await service.sync_once(
                trigger=trigger, progress=self.progress.emit, cancel=token
            )
        except asyncio.CancelledError:
            result = _synthetic(started, RunOutcome.CANCELLED)
        except Exception as exc:  # the engine reports remote failures; this is a bug
            log.exception("The sync stopped with an unexpected error")
            result = _synthetic(
                started,
                RunOutcome.FAILED,
                "The sync stopped unexpectedly",
                f"{type(exc).__name__}: {exc}. Details are in the log. Press Sync now to try "
                "again; if it keeps happening, send the log to support.",
            )
        self._task = None
        self._token = None
        if self.phase is Phase.STOPPED:
            return
        self.last_result = result
        self._set_phase(Phase.IDLE)
        self._schedule_after(result)
        self._notify(result)
        self.run_finished.emit(result)

    def _notify(self, result: RunResult) -> None:
        # One notification per failure streak (and per distinct error), not one per run.
        if result.outcome is RunOutcome.FAILED:
            key = f"{result.error_title}|{result.error_message}"
            if key != self._notified_error:
                self._notified_error = key
                self.notifier.notify(
                    Level.ERROR,
                    result.error_title or "The sync failed",
                    result.error_message or "See the status bar for details.",
                )
        elif result.ok and self._notified_error is not None:
            self._notified_error = None
            self.notifier.notify(Level.INFO, "Sync works again", result.summary)

    # Schedule -----------------------------------------------------------------------------------

    def _schedule_after(self, result: RunResult | None) -> None:
        """Next run one interval after the last one ended; a missed run happens now."""
        now = utc_now()
        finished = parse_iso(result.finished_at) if result else None
        due = (finished + self.interval) if finished else now
        self.next_due = max(due, now)
        self._due_timer.start(max(0, int((self.next_due - now).total_seconds() * 1000)))
        self.phase_changed.emit()

    def _run_if_due(self) -> None:
        if self.next_due is None or self.phase is not Phase.IDLE:
            return
        left = (self.next_due - utc_now()).total_seconds()
        if left <= 0:
            self.sync_now("scheduled")
        elif not self._due_timer.isActive():  # a coarse timer may fire a little early
            self._due_timer.start(int(left * 1000) + 5)

    # Helpers ------------------------------------------------------------------------------------

    def _set_phase(self, phase: Phase) -> None:
        if phase is not self.phase:
            self.phase = phase
            self.phase_changed.emit()

    def _spawn(self, coro: object) -> asyncio.Task[None]:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(coro)  # type: ignore[arg-type]
        task.add_done_callback(_report_crash)
        return task


def _report_crash(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        exc = task.exception()
        assert exc is not None
        sys.excepthook(type(exc), exc, exc.__traceback__)


def _synthetic(
    started: datetime, outcome: RunOutcome, title: str | None = None, message: str | None = None
) -> RunResult:
    """A RunResult for a run the engine could not report itself."""
    finished = utc_now()
    return RunResult(
        run_id=0,
        outcome=outcome,
        started_at=format_iso(started),
        finished_at=format_iso(finished),
        duration_s=(finished - started).total_seconds(),
        error_title=title,
        error_message=message,
    )
