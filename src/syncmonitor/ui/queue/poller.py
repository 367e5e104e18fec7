"""Drives the engine's QueueMonitor from the Qt event loop: polls on a timer, runs actions, and
turns the results into signals.

While the Queue page is on screen the poller follows the monitor's suggestion (fast while
mailshots move, slower while stalled or idle). While the window shows another page it keeps
watching at the idle rate, so notifications still come. One poll or action at a time: a request to
poll during another one runs right after it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import time
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal

from syncmonitor.app.errors import UserFacingError
from syncmonitor.domain.mailshots.statuses import StatusRole
from syncmonitor.engine.mailshots.actions import ActionOutcome, cancel, fix_name, retry
from syncmonitor.engine.mailshots.monitor import PollResult, QueueMonitor
from syncmonitor.engine.mailshots.recorded import ServerQueue

if TYPE_CHECKING:
    from syncmonitor.engine.services.queue import QueueService

log = logging.getLogger(__name__)

STOP_WAIT_S = 15.0


class QueuePoller(QObject):
    """Polls a QueueMonitor and runs its actions; everything arrives as signals."""

    polled = Signal(object)  # PollResult
    action_started = Signal(str)  # what is being done, for the page
    action_finished = Signal(str)  # what was done
    action_failed = Signal(str, str, bool)  # title, message, half done (the fix needs finishing)
    copy_made = Signal(int)  # Fix name made this copy: the page selects it

    def __init__(self, monitor: QueueMonitor | ServerQueue, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.monitor = monitor
        # On a desktop watching a team store, the queue's actions are requests the server
        # carries out through this service (engine/team/asking.py); None: not offered here.
        self.service: QueueService | None = None
        self.visible = False
        self.last_result: PollResult | None = None
        self.polls = 0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.poll_now)
        self._task: asyncio.Task[None] | None = None
        self._again = False
        self._stopped = False
        self._due_at = 0.0
        app = QCoreApplication.instance()
        if app is not None:  # quitting: no new poll may start against closing services
            app.aboutToQuit.connect(self.halt)

    # control ------------------------------------------------------------------------------------

    def start(self) -> None:
        self.poll_now()

    def set_visible(self, visible: bool) -> None:
        """The page came on screen (poll soon at the suggested rate) or went away (idle rate)."""
        if visible == self.visible:
            return
        self.visible = visible
        far_off = self._due_at - time.monotonic() > self.monitor.settings.busy_poll_seconds
        if visible and self.last_result is not None and far_off:
            self.poll_now()  # back on screen after an idle-rate wait: look now

    @property
    def busy(self) -> bool:
        return self._task is not None and not self._task.done()

    def poll_now(self) -> None:
        if self._stopped:
            return
        if self.busy:
            self._again = True
            return
        self._timer.stop()
        self._run(self._poll())

    def halt(self) -> None:
        """Stop polling now (no new poll starts); `stop()` also waits and closes connections."""
        self._stopped = True
        self._timer.stop()

    async def stop(self) -> None:
        """Stop polling and close the monitor's connections."""
        self._stopped = True
        self._timer.stop()
        if self._task is not None and not self._task.done():
            # Let a poll or an action finish rather than cut a request (or a fix) in half.
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(self._task, timeout=STOP_WAIT_S)
        await self.monitor.aclose()

    # actions ------------------------------------------------------------------------------------

    @property
    def watching(self) -> bool:
        """The queue as the team server read it: this desktop reads the store, asks no remote."""
        return isinstance(self.monitor, ServerQueue)

    @property
    def _server(self) -> QueueService | None:
        """On a desktop watching a team store, the service whose queue actions are requests the
        server carries out; None when this desktop acts (or refuses) itself."""
        service = self.service
        return service if self.watching and service is not None and service.watching else None

    def _live(self, doing: str) -> QueueMonitor | None:
        """The live monitor, or None after telling why a watching desktop does not do this."""
        monitor = self.monitor
        if isinstance(monitor, ServerQueue):
            error = monitor.refuse(doing)
            self.action_failed.emit(error.title, error.message, False)
            return None
        return monitor

    def fix_name(self, mailshot_id: int, new_name: str) -> None:
        if (server := self._server) is not None:  # a request the team server carries out
            self._act(
                "Sending Fix name to the team server…",
                server.fix_name(None, mailshot_id, new_name),
            )
        elif (monitor := self._live("Fix name")) is not None:
            self._act(
                "Making the copy and deleting the original…",
                fix_name(monitor, mailshot_id, new_name),
            )

    def retry(self, mailshot_id: int) -> None:
        if (server := self._server) is not None:
            self._act("Sending Queue again to the team server…", server.retry(None, mailshot_id))
        elif (monitor := self._live("Queue again")) is not None:
            self._act("Queueing it again…", retry(monitor, mailshot_id))

    def cancel(self, mailshot_id: int) -> None:
        if (server := self._server) is not None:
            self._act("Sending Cancel to the team server…", server.cancel(None, mailshot_id))
        elif (monitor := self._live("Cancel")) is not None:
            self._act("Taking it out of the queue…", cancel(monitor, mailshot_id))

    def record_key_check(self, until: datetime | None, enabled: bool) -> None:
        """What an admin saw of the GatorMail API key (no API reads it), then read again."""
        if (server := self._server) is not None:  # recorded by the team server, where it reads

            async def ask() -> None:
                await self._ask_server(server.record_key_check(None, until, enabled))

            self._queue(ask)
            return
        if (monitor := self._live("recording a check")) is None:
            return

        async def record() -> None:
            await monitor.record_key_check(until, enabled)
            await self._poll_inline()

        self._queue(record)

    def record_integration_check(self, running: bool) -> None:
        if (server := self._server) is not None:

            async def ask() -> None:
                await self._ask_server(server.record_integration_check(None, running))

            self._queue(ask)
            return
        if (monitor := self._live("recording a check")) is None:
            return

        async def record() -> None:
            await monitor.record_integration_check(running)
            await self._poll_inline()

        self._queue(record)

    async def _ask_server(self, asked: Awaitable[None]) -> None:
        """A check sent to the team server: said on the page, then its next reading shown."""
        try:
            await asked
        except UserFacingError as error:
            self.action_failed.emit(error.title, error.message, False)
            return
        self.action_finished.emit("The team server recorded the check.")
        await self._poll_inline()

    def confirm_statuses(self, roles: dict[str, StatusRole]) -> None:
        """The admin's answer to "which status means what", then read again."""
        if (monitor := self._live("confirming what the statuses mean")) is None:
            return

        async def confirm() -> None:
            await monitor.confirm_statuses(roles)
            await self._poll_inline()

        self._queue(confirm)

    def refresh_one(self, mailshot_id: int) -> None:
        """Read one mailshot again now."""

        async def refresh() -> None:
            self._deliver(await self.monitor.refresh_mailshot(mailshot_id))

        self._queue(refresh)

    async def refresh_and_wait(self, mailshot_id: int) -> PollResult:
        """Read one mailshot again, after any poll under way, and return what was read (the
        scheduler's "sync this mailshot now")."""
        done: asyncio.Future[PollResult] = asyncio.get_running_loop().create_future()

        async def refresh() -> None:
            try:
                result = await self.monitor.refresh_mailshot(mailshot_id)
            except BaseException as exc:
                if not done.done():
                    done.set_exception(exc)
                raise
            self._deliver(result)
            if not done.done():
                done.set_result(result)

        self._queue(refresh)
        return await asyncio.wait_for(done, timeout=300)

    def _act(self, doing: str, action: Awaitable[ActionOutcome]) -> None:
        async def run() -> None:
            self.action_started.emit(doing)
            try:
                outcome = await action
            except UserFacingError as error:
                from syncmonitor.engine.mailshots.actions import FixIncompleteError

                self.action_failed.emit(
                    error.title, error.message, isinstance(error, FixIncompleteError)
                )
                await self._poll_inline()
                return
            if outcome.poll is not None:
                self._deliver(outcome.poll)
            if outcome.copy_id is not None:  # selected first: the message shows on its pane
                self.copy_made.emit(outcome.copy_id)
            self.action_finished.emit(outcome.message)

        self._queue(run)

    # running ------------------------------------------------------------------------------------

    def _queue(self, make: Callable[[], Coroutine[Any, Any, None]]) -> None:
        if self.busy:
            previous = self._task

            async def after() -> None:
                if previous is not None:
                    await asyncio.gather(previous, return_exceptions=True)
                await make()

            self._run(after())
        else:
            self._timer.stop()
            self._run(make())

    def _run(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_event_loop().create_task(coro)
        task.add_done_callback(self._done)
        self._task = task

    def _done(self, task: asyncio.Task[None]) -> None:
        if task.cancelled() or self._stopped:
            return
        exc = task.exception()
        if exc is not None:
            sys.excepthook(type(exc), exc, exc.__traceback__)
        if task is self._task and self._again:
            self._again = False
            self.poll_now()
        elif task is self._task:
            self._schedule()

    async def _poll(self) -> None:
        await self._poll_inline()

    async def _poll_inline(self) -> None:
        self._deliver(await self.monitor.poll_once())

    def _deliver(self, result: PollResult) -> None:
        self.last_result = result
        self.polls += 1
        self.polled.emit(result)

    def _schedule(self) -> None:
        if self._stopped:
            return
        result = self.last_result
        idle = self.monitor.settings.idle_poll_seconds
        delay = result.next_delay if result is not None else idle
        if not self.visible:
            delay = max(delay, idle)
        self._due_at = time.monotonic() + delay
        self._timer.start(int(delay * 1000))

    def next_poll_in(self) -> float | None:
        """Seconds until the next poll (None while one runs)."""
        if not self._timer.isActive():
            return None
        return max(0.0, self._due_at - time.monotonic())
