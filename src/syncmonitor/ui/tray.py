"""The tray icon: the app's face while the window is closed.

The object exists even where the desktop has no tray (offscreen, some Linux desktops): then it is
never shown, but its menu and actions still work, so tests drive them and nothing else changes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from syncmonitor import APP_NAME
from syncmonitor.domain.timestamps import utc_now
from syncmonitor.engine.runs.notify_policy import SNOOZE_CHOICES, NotificationPolicy
from syncmonitor.ui.resources import tray_icon
from syncmonitor.ui.status_text import last_sync_text, next_sync_text, status_line, tray_state
from syncmonitor.ui.sync_controller import Phase, SyncController

REFRESH_MS = 30_000


def tray_available() -> bool:
    """True when the desktop shows tray icons (some Linux desktops do not)."""
    return QSystemTrayIcon.isSystemTrayAvailable()


def _snooze_label(duration: timedelta) -> str:
    minutes = int(duration.total_seconds() // 60)
    return (
        f"{minutes} minutes"
        if minutes < 60
        else f"{minutes // 60} hour" + ("s" if minutes >= 120 else "")
    )


class TrayIcon(QSystemTrayIcon):
    """Status line, Sync now, Pause/Resume, Show issues (N), Snooze, Open, Quit."""

    def __init__(
        self,
        controller: SyncController,
        policy: NotificationPolicy,
        *,
        open_window: Callable[[], None],
        show_issues: Callable[[], None],
        quit_app: Callable[[], None],
        on_pause_changed: Callable[[bool], None] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._controller = controller
        self._policy = policy
        self._open_window = open_window
        self._on_pause_changed = on_pause_changed
        self.state = "idle"
        menu = QMenu()
        self.status_action = QAction("", menu)
        self.status_action.setEnabled(False)  # a line of text, not a command
        self.sync_action = QAction("Sync now", menu)
        self.sync_action.triggered.connect(lambda: controller.sync_now())
        self.cancel_action = QAction("Cancel sync", menu)
        self.cancel_action.triggered.connect(controller.cancel)
        self.pause_action = QAction("Pause syncing", menu)
        self.pause_action.triggered.connect(self._toggle_pause)
        self.issues_action = QAction("Show issues", menu)
        self.issues_action.triggered.connect(show_issues)
        self.snooze_menu = QMenu("Snooze notifications", menu)
        self.snooze_actions: list[QAction] = []
        for duration in SNOOZE_CHOICES:
            action = QAction(_snooze_label(duration), self.snooze_menu)
            action.triggered.connect(lambda _=False, d=duration: self.snooze(d))
            self.snooze_menu.addAction(action)
            self.snooze_actions.append(action)
        self.snooze_menu.addSeparator()
        self.unsnooze_action = QAction("Turn notifications back on", self.snooze_menu)
        self.unsnooze_action.triggered.connect(self.unsnooze)
        self.snooze_menu.addAction(self.unsnooze_action)
        self.open_action = QAction(f"Open {APP_NAME}", menu)
        self.open_action.triggered.connect(open_window)
        self.quit_action = QAction(f"Quit {APP_NAME}", menu)
        self.quit_action.triggered.connect(quit_app)
        for item in (self.status_action, None, self.sync_action, self.cancel_action):
            menu.addSeparator() if item is None else menu.addAction(item)
        menu.addAction(self.pause_action)
        menu.addSeparator()
        menu.addAction(self.issues_action)
        menu.addMenu(self.snooze_menu)
        menu.addSeparator()
        menu.addAction(self.open_action)
        menu.addAction(self.quit_action)
        self._menu = menu  # the tray does not own its menu
        self.setContextMenu(menu)
        self.activated.connect(self._on_activated)
        controller.phase_changed.connect(self.update_state)
        controller.run_finished.connect(lambda _result: self.update_state())
        controller.issues_changed.connect(lambda _n: self.update_state())
        # Relative times in the tooltip ("3 min ago") must not go stale.
        self._clock = QTimer(self)
        self._clock.setInterval(REFRESH_MS)
        self._clock.timeout.connect(self.update_state)
        self._clock.start()
        self.update_state()

    @property
    def menu(self) -> QMenu:
        return self._menu

    def _on_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (
            QSystemTrayIcon.ActivationReason.Trigger,
            QSystemTrayIcon.ActivationReason.DoubleClick,
        ):
            self._open_window()

    def _toggle_pause(self) -> None:
        paused = self._controller.scheduler.paused
        if paused:
            self._controller.resume()
        else:
            self._controller.pause()
        if self._on_pause_changed is not None:
            self._on_pause_changed(not paused)

    def snooze(self, duration: timedelta) -> None:
        self._policy.snooze(duration)
        self.update_state()

    def unsnooze(self) -> None:
        self._policy.unsnooze()
        self.update_state()

    def update_state(self) -> None:
        controller = self._controller
        now = utc_now()
        self.state = tray_state(controller)
        self.setIcon(tray_icon(self.state))
        parts = [p for p in (last_sync_text(controller, now), next_sync_text(controller, now)) if p]
        if controller.issue_count:
            parts.append(f"{controller.issue_count} issues to review")
        self.setToolTip(f"{APP_NAME}: " + (" · ".join(parts) or status_line(controller, now)))
        self.status_action.setText(status_line(controller, now))
        ready = controller.phase in (Phase.IDLE, Phase.SYNCING, Phase.CANCELLING)
        queued = bool(controller.queued)
        self.sync_action.setText("Sync queued" if queued else "Sync now")
        self.sync_action.setEnabled(ready or controller.phase is Phase.START_FAILED)
        self.cancel_action.setVisible(controller.running or queued)
        self.cancel_action.setEnabled(controller.phase is not Phase.CANCELLING)
        self.cancel_action.setText(
            "Cancelling…" if controller.phase is Phase.CANCELLING else "Cancel sync"
        )
        paused = controller.scheduler.paused
        self.pause_action.setText("Resume syncing" if paused else "Pause syncing")
        self.pause_action.setEnabled(ready)
        self.issues_action.setText(f"Show issues ({controller.issue_count})")
        snoozed = self._policy.snoozed
        until = self._policy.snoozed_until
        self.snooze_menu.setTitle(
            f"Notifications snoozed until {until.astimezone():%H:%M}"
            if snoozed and until is not None
            else "Snooze notifications"
        )
        self.unsnooze_action.setVisible(snoozed)
