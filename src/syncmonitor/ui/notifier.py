"""Desktop notifications, behind a small protocol so tests can record them.

The controller decides *when* to notify (one notification per failure streak, never one per run);
a notifier only decides *how*.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from typing import ClassVar, Protocol

from PySide6.QtWidgets import QSystemTrayIcon

log = logging.getLogger(__name__)


class Level(enum.Enum):
    """How much a notification matters."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


class Notifier(Protocol):
    """Something that can tell the person about an event outside the window."""

    def notify(self, level: Level, title: str, message: str) -> None: ...


class TrayNotifier:
    """Notifications as tray balloons (the desktop's notification centre where there is one)."""

    _ICONS: ClassVar[dict[Level, QSystemTrayIcon.MessageIcon]] = {
        Level.INFO: QSystemTrayIcon.MessageIcon.Information,
        Level.WARNING: QSystemTrayIcon.MessageIcon.Warning,
        Level.ERROR: QSystemTrayIcon.MessageIcon.Critical,
    }

    def __init__(self, tray: QSystemTrayIcon, timeout_ms: int = 10_000) -> None:
        self._tray = tray
        self._timeout_ms = timeout_ms

    def notify(self, level: Level, title: str, message: str) -> None:
        log.info("Notification (%s): %s: %s", level.value, title, message)
        if self._tray.isVisible() and QSystemTrayIcon.supportsMessages():
            self._tray.showMessage(title, message, self._ICONS[level], self._timeout_ms)


class LogNotifier:
    """Without a tray the status bar already shows everything; notifications go to the log."""

    def notify(self, level: Level, title: str, message: str) -> None:
        log.log(logging.ERROR if level is Level.ERROR else logging.INFO, "%s: %s", title, message)


@dataclass(frozen=True)
class Notification:
    """One recorded notification."""

    level: Level
    title: str
    message: str


class RecordingNotifier:
    """Keeps every notification in a list, for tests."""

    def __init__(self) -> None:
        self.sent: list[Notification] = []

    def notify(self, level: Level, title: str, message: str) -> None:
        self.sent.append(Notification(level, title, message))
