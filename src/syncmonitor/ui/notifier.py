"""Desktop notifications, behind a small protocol so tests can record them.

The engine posts `Notice`s; the notification policy (engine/notify_policy.py) decides *whether*
and in what shape they are told (toggles, de-duplication, batching, snooze); a notifier only
decides *how*: a tray balloon, the log, or a list in a test.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import ClassVar, Protocol

from PySide6.QtWidgets import QSystemTrayIcon

from syncmonitor.engine.runs.notices import Notice, NoticeLevel

log = logging.getLogger(__name__)

Level = NoticeLevel  # the levels: ERROR (always shown), ISSUE, INFO


class Notifier(Protocol):
    """Something that can tell the person about a notice outside the window."""

    def notify(self, notice: Notice) -> None: ...


class TrayNotifier:
    """Notifications as tray balloons (the desktop's notification centre where there is one)."""

    _ICONS: ClassVar[dict[NoticeLevel, QSystemTrayIcon.MessageIcon]] = {
        NoticeLevel.INFO: QSystemTrayIcon.MessageIcon.Information,
        NoticeLevel.ISSUE: QSystemTrayIcon.MessageIcon.Warning,
        NoticeLevel.ERROR: QSystemTrayIcon.MessageIcon.Critical,
    }

    def __init__(self, tray: QSystemTrayIcon, timeout_ms: int = 10_000) -> None:
        self._tray = tray
        self._timeout_ms = timeout_ms

    def notify(self, notice: Notice) -> None:
        # News the engine logged itself is in the log once already.
        log.log(
            logging.DEBUG if notice.logged else logging.INFO,
            "Notification (%s): %s: %s",
            notice.level.value,
            notice.title,
            notice.message,
        )
        if self._tray.isVisible() and QSystemTrayIcon.supportsMessages():
            self._tray.showMessage(
                notice.title, notice.message, self._ICONS[notice.level], self._timeout_ms
            )


class LogNotifier:
    """Without a tray the status bar already shows everything; notifications go to the log."""

    def notify(self, notice: Notice) -> None:
        level = logging.ERROR if notice.level is NoticeLevel.ERROR else logging.INFO
        log.log(logging.DEBUG if notice.logged else level, "%s: %s", notice.title, notice.message)


@dataclass(frozen=True)
class Notification:
    """One recorded notification."""

    level: NoticeLevel
    title: str
    message: str
    event: str = ""
    count: int = 1


class RecordingNotifier:
    """Keeps every notification in a list, for tests."""

    def __init__(self) -> None:
        self.sent: list[Notification] = []

    def notify(self, notice: Notice) -> None:
        self.sent.append(
            Notification(notice.level, notice.title, notice.message, notice.event, notice.count)
        )
