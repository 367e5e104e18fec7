"""A watching desktop on a team store: every page follows what the server writes, live.

Once a second (off the GUI thread) the store's fingerprint is read (engine/team/watch.py); when it
changed, every page re-reads as after a run of its own. When the store stops answering, the status
bar says since when and the pages keep their last view; a login that can only watch is told so
and Sync now is off. The desktop's own scheduler is paused in team mode (ui/app.py): the server
syncs on its schedule, and Sync now becomes a request (engine/team/desktop.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import datetime
from typing import Any

from PySide6.QtCore import QObject, QTimer

from syncmonitor.engine.team import desktop as team_desktop
from syncmonitor.engine.team.changes import ChangeListener
from syncmonitor.engine.team.watch import (
    POLL_S,
    WATCH_ONLY_TEXT,
    Fingerprint,
    fingerprint,
    newest_run,
    unreachable_text,
)
from syncmonitor.ui.main_window import MainWindow
from syncmonitor.ui.sync_controller import Phase, SyncController

log = logging.getLogger(__name__)

MIN_GAP_S = 0.25  # re-read the pages at most 4 times a second while the server writes


class TeamWatch(QObject):
    """Polls a team store for the window; does nothing on a SQLite cache."""

    def __init__(
        self, window: MainWindow, controller: SyncController, *, poll_s: float = POLL_S
    ) -> None:
        super().__init__(window)
        self.window = window
        self.controller = controller
        # The store the services opened, handed to the engine's team reads as it is (the window
        # never reads it itself).
        self.database: Any = None
        self.last: Fingerprint | None = None
        self.unreachable_since: datetime | None = None
        self.watch_only = False
        self.refreshes = 0  # pages re-read because the store changed (tests, the benchmark)
        self._task: asyncio.Task[None] | None = None
        self._rights: asyncio.Future[None] | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(int(poll_s * 1000))
        self._timer.timeout.connect(self.poll)
        controller.services_ready.connect(self._ready)
        controller.phase_changed.connect(self._keep_actions_off)
        controller.phase_changed.connect(self._stop_when_quitting)
        self.listener: ChangeListener | None = None
        self._last_poll = 0.0
        self._changed = False

    def _ready(self, services: Any) -> None:
        database = getattr(services, "database", None)
        if database is None or not database.shared:
            return
        self.database = database
        self._rights = asyncio.ensure_future(self._check_rights(database))
        self._timer.start()
        # Pushed too: a commit on the store wakes this desktop at once (the poll stays, for a
        # missed notice and to notice a store that stopped answering).
        loop = asyncio.get_running_loop()

        def wake() -> None:  # on the listener's thread
            with contextlib.suppress(RuntimeError):  # the loop has closed: the app is quitting
                loop.call_soon_threadsafe(self._notified)

        self.listener = ChangeListener(database.engine.url, wake)
        self.listener.start()

    async def _check_rights(self, database: Any) -> None:
        try:
            allowed = await asyncio.to_thread(team_desktop.can_request, database)
        except Exception:
            log.warning("could not read this login's rights on the team store", exc_info=True)
            return
        self.watch_only = not allowed
        if self.watch_only:
            self.controller.message.emit(WATCH_ONLY_TEXT)
            self._keep_actions_off()

    def _keep_actions_off(self) -> None:
        if self.watch_only:
            self.window.sync_action.setEnabled(False)
            self.window.sync_action.setToolTip(WATCH_ONLY_TEXT)

    def _notified(self) -> None:
        """The store said something was committed: re-read even if the fingerprint (which
        does not cover every table, e.g. a renamed prospect) looks the same."""
        self._changed = True
        self.poll()

    def poll(self) -> None:
        """Read the fingerprint unless a read is still out (a slow store is not piled on), and
        at most every MIN_GAP_S when woken by the store (a sync commits many pages a second)."""
        if time.monotonic() - self._last_poll < MIN_GAP_S:
            return
        if self.database is not None and self._task is None:
            self._last_poll = time.monotonic()
            self._task = asyncio.ensure_future(self._poll(self.database))
            self._task.add_done_callback(self._polled)

    async def _poll(self, database: Any) -> None:
        try:
            now = await asyncio.to_thread(fingerprint, database.engine)
        except Exception:
            if self.unreachable_since is None:
                self.unreachable_since = datetime.now().astimezone()
                log.warning("the team store stopped answering", exc_info=True)
                self.window.status.show_error(
                    "Team store unreachable", unreachable_text(self.unreachable_since)
                )
            return
        if self.unreachable_since is not None:
            self.unreachable_since = None
            self.window.status.dismiss_error()
            self.controller.message.emit("The team store answers again.")
        if now == self.last and not self._changed:
            return
        self._changed = False
        # The first answer too: the pages may have loaded before the server's last commit.
        self.last = now
        result = await asyncio.to_thread(newest_run, database)
        if result is None:
            return
        self.refreshes += 1
        for page in self.window.built_pages():
            page.sync_finished(result)

    def _polled(self, task: asyncio.Task[None]) -> None:
        if self._task is task:
            self._task = None
        if not task.cancelled() and task.exception() is not None:
            log.error("the team store watch failed", exc_info=task.exception())

    def _stop_when_quitting(self) -> None:
        if self.controller.phase is Phase.STOPPED:
            self.stop()

    def stop(self) -> None:
        self._timer.stop()
        if self.listener is not None:
            self.listener.stop()
