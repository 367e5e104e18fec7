"""The tray icon: the app's face while the window is closed. Only where the desktop has a tray."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from syncmonitor import APP_NAME
from syncmonitor.engine.events import RunOutcome
from syncmonitor.ui.resources import tray_icon
from syncmonitor.ui.sync_controller import Phase, SyncController


def tray_available() -> bool:
    """True when the desktop shows tray icons (some Linux desktops do not)."""
    return QSystemTrayIcon.isSystemTrayAvailable()


class TrayIcon(QSystemTrayIcon):
    """Sync now (or Cancel sync), Open, Quit; a left click opens the window."""

    def __init__(
        self,
        controller: SyncController,
        *,
        open_window: Callable[[], None],
        quit_app: Callable[[], None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._controller = controller
        self._open_window = open_window
        menu = QMenu()
        self.sync_action = QAction("Sync now", menu)
        self.sync_action.triggered.connect(self._sync_or_cancel)
        self.open_action = QAction(f"Open {APP_NAME}", menu)
        self.open_action.triggered.connect(open_window)
        self.quit_action = QAction("Quit", menu)
        self.quit_action.triggered.connect(quit_app)
        menu.addAction(self.open_action)
        menu.addAction(self.sync_action)
        menu.addSeparator()
        menu.addAction(self.quit_action)
        self._menu = menu  # the tray does not own its menu
        self.setContextMenu(menu)
        self.activated.connect(self._on_activated)
        controller.phase_changed.connect(self._update)
        controller.run_finished.connect(lambda _result: self._update())
        self._update()

    def _on_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (
            QSystemTrayIcon.ActivationReason.Trigger,
            QSystemTrayIcon.ActivationReason.DoubleClick,
        ):
            self._open_window()

    def _sync_or_cancel(self) -> None:
        if self._controller.phase is Phase.SYNCING:
            self._controller.cancel()
        else:
            self._controller.sync_now()

    def _update(self) -> None:
        controller = self._controller
        phase = controller.phase
        last = controller.last_result
        failed = phase is Phase.START_FAILED or (
            last is not None and last.outcome is RunOutcome.FAILED
        )
        if controller.running:
            self.setIcon(tray_icon("syncing"))
            self.setToolTip(f"{APP_NAME}: syncing…")
        elif failed:
            self.setIcon(tray_icon("error"))
            self.setToolTip(f"{APP_NAME}: the last sync failed. Open the window for details.")
        else:
            self.setIcon(tray_icon("idle"))
            self.setToolTip(f"{APP_NAME}: {last.summary if last else 'idle'}")
        self.sync_action.setText("Cancel sync" if phase is Phase.SYNCING else "Sync now")
        self.sync_action.setEnabled(phase in (Phase.IDLE, Phase.SYNCING))
