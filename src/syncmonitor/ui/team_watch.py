"""A watching desktop on a team store: every page follows what the server writes, live.

Once a second (off the GUI thread) the store's fingerprint is read (engine/team/watch.py); when it
changed, every page re-reads as after a run of its own. When the store stops answering, the status
bar says since when and the pages keep their last view; a login that can only watch is told so,
and Sync now and every other action (the buttons marked with ui/acts.py) are off, with the
reason. The other actions say on the status bar where they are ("sent to the team server",
"done", "failed: why"): the engine's services carry them out as requests. The desktop's own
scheduler is paused in team mode (ui/app.py): the server syncs on its schedule, and Sync now
becomes a request (engine/team/desktop.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import datetime
from typing import Any

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QAbstractButton

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
from syncmonitor.ui.acts import ACTS
from syncmonitor.ui.main_window import MainWindow
from syncmonitor.ui.sync_controller import Phase, SyncController

log = logging.getLogger(__name__)

IMPORT_ON_SERVER_TEXT = (
    "On a team store the Salesmate import runs on the server, which writes the store: "
    "`syncmonitor import salesmate FILE` there (docs/team-mode.md)."
)

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
        window.pages_built.connect(self._keep_actions_off)  # a page built on its first visit
        controller.phase_changed.connect(self._stop_when_quitting)
        self.listener: ChangeListener | None = None
        self._kept_off: set[QAbstractButton] = set()  # the actions a watch-only login may not use
        self._held_actions: set[QAction] = set()
        self._last_poll = 0.0
        self._changed = False

    def _ready(self, services: Any) -> None:
        database = getattr(services, "database", None)
        if database is None or not database.shared:
            return
        self.database = database
        service: Any = getattr(services, "service", None)
        if hasattr(service, "tell"):  # the actions the server carries out say where they are
            service.tell = self.controller.message.emit
        self._keep_actions_off()
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
        if self.database is not None:  # any desktop on a team store: the server imports
            self._hold_off(self.window.import_salesmate_action, IMPORT_ON_SERVER_TEXT)
        if self.watch_only:
            self.window.sync_action.setEnabled(False)
            self.window.sync_action.setToolTip(WATCH_ONLY_TEXT)
            window = self.window
            for action in (
                window.sync_person_action,
                window.scope_action,
                window.save_mappings_action,
            ):
                self._hold_off(action, WATCH_ONLY_TEXT)
            for button in self.window.findChildren(QAbstractButton):
                if button.property(ACTS) and button not in self._kept_off:
                    self._kept_off.add(button)
                    button.installEventFilter(self)
                    button.setToolTip(WATCH_ONLY_TEXT)
                    button.setEnabled(False)

    def _hold_off(self, action: QAction, why: str) -> None:
        """Off now and whenever something turns it on again (a person selected, edits made)."""
        action.setToolTip(why)
        action.setEnabled(False)
        if action not in self._held_actions:
            self._held_actions.add(action)
            action.changed.connect(lambda a=action: a.isEnabled() and a.setEnabled(False))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """A page turning one of its actions back on (a selection changed), or giving it its
        own tooltip: off again, and still saying why."""
        if isinstance(watched, QAbstractButton):
            if event.type() == QEvent.Type.EnabledChange and watched.isEnabled():
                watched.setEnabled(False)
            elif event.type() == QEvent.Type.ToolTipChange and watched.toolTip() != WATCH_ONLY_TEXT:
                watched.setToolTip(WATCH_ONLY_TEXT)
        return False

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
