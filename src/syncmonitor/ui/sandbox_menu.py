"""The Sandbox menu: each of the seeds' stories in one click, in sandbox mode only.

The stories and the HTTP calls behind them are the engine's (engine/sandbox_controls.py); this
menu lists them, plays one off the GUI thread, says what happened in the status bar, and then
makes the app look: the Queue page reads the queue again, and a story about people (opt-out,
bounce) runs an inbound sync, so the result is on screen without another click.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu

from syncmonitor.engine.runs.kinds import SyncKind

if TYPE_CHECKING:
    from syncmonitor.engine.sandbox_controls import SandboxControls, StoryOutcome
    from syncmonitor.ui.main_window import MainWindow

log = logging.getLogger(__name__)

QUEUE_STORIES = {"block_queue", "expire_key", "disable_key", "stop_integration", "reset"}
PEOPLE_STORIES = {"opt_out", "bounce"}
SYNC_STORIES = {"rate_limit", "revoke_scope", "slow_workbooks"}


class SandboxMenu(QMenu):
    """Filled once the services are up and only when they run against the sandbox."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__("San&dbox", window)
        self.setObjectName("sandboxMenu")
        self.window_ = window
        self.controls: SandboxControls | None = None
        self.story_actions: dict[str, QAction] = {}
        self.last_outcome: StoryOutcome | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.menuAction().setVisible(False)
        window.controller.services_ready.connect(lambda _db: self.offer())

    def offer(self) -> None:
        """Show the menu when the running services have a sandbox to drive."""
        services = self.window_.controller.services
        controls: Any = getattr(services, "sandbox_controls", None)
        self.controls = controls
        self.menuAction().setVisible(controls is not None)
        if controls is None or self.story_actions:
            return
        for story in controls.stories:
            self._add(story.key, story.title, story.explains)
        self.addSeparator()
        reset = controls.reset_story
        self._add(reset.key, reset.title, reset.explains)
        self.addSeparator()
        where = self.addAction(f"Admin switches: {controls.admin_url}")
        where.setEnabled(False)  # the address, for scripts and curl

    def _add(self, key: str, title: str, explains: str) -> None:
        action = self.addAction(title)
        action.setObjectName(f"sandbox_{key}")
        action.setToolTip(explains)
        action.setStatusTip(explains)
        action.triggered.connect(lambda _checked=False, k=key: self.play(k))
        self.story_actions[key] = action

    def play(self, key: str) -> asyncio.Task[None] | None:
        if self.controls is None:
            return None
        task = asyncio.get_running_loop().create_task(self._play(self.controls, key))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _play(self, controls: SandboxControls, key: str) -> None:
        action = self.story_actions.get(key)
        if action is not None:
            action.setEnabled(False)
        try:
            outcome = await controls.play(key)
        finally:
            if action is not None:
                action.setEnabled(True)
        self.last_outcome = outcome
        window = self.window_
        window.controller.message.emit(outcome.message)
        if not outcome.ok:
            return
        if key in QUEUE_STORIES:
            window.show_page(window.queue)
            if window.queue.read_now.isEnabled():
                window.queue.read_now.click()
        elif key in PEOPLE_STORIES:
            window.show_page(window.people)
            window.controller.sync_now(SyncKind.INBOUND)
        elif key in SYNC_STORIES:
            window.controller.sync_now()
