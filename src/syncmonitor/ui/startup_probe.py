"""`SYNCMONITOR_STARTUP_PROBE`: say on stdout when the main window is first painted.

For the start-up benchmark (bench/bench_startup.py) and the tests that quit a running app: with
the variable set, the first paint of the window prints `startup-probe: window shown` (flushed);
with the value `quit`, the app then quits the orderly way, as a Quit from the tray would.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QWidget

PROBE_ENV = "SYNCMONITOR_STARTUP_PROBE"
SHOWN_LINE = "startup-probe: window shown"


class _FirstPaint(QObject):
    def __init__(self, window: QWidget, then: Callable[[], None] | None) -> None:
        super().__init__(window)
        self._then = then
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            watched.removeEventFilter(self)
            print(SHOWN_LINE, flush=True, file=sys.stdout)
            if self._then is not None:
                QTimer.singleShot(0, self, self._then)
        return False


def watch_first_paint(window: QWidget, quit_app: Callable[[], None]) -> None:
    """Install the probe on `window` when SYNCMONITOR_STARTUP_PROBE asks for it."""
    value = os.environ.get(PROBE_ENV, "")
    if value:
        _FirstPaint(window, quit_app if value == "quit" else None)
