"""What waits for the window's first paint: the engine's start, and the start-up probe.

The window shows first; the cache, its migrations, the sandbox and the engine's modules load only
once it has been painted, so they never hold the screen up (and never compete with it for the
interpreter while it is being built). A fallback timer starts them anyway should no paint come.

The page shown at start is built just after that first paint too (ui/page_stack.py): the first
frame has the toolbar, the sidebar, the status bar and a plain placeholder where the page goes.

`SYNCMONITOR_STARTUP_PROBE` is for the start-up benchmark (bench/bench_startup.py) and the tests
that quit a running app: set, the window's first paint prints `startup-probe: window shown` on
stdout (flushed), and the first paint of the page shown at start `startup-probe: page shown`;
with the value `quit`, the app then quits the orderly way (after both).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QWidget

PROBE_ENV = "SYNCMONITOR_STARTUP_PROBE"
SHOWN_LINE = "startup-probe: window shown"
PAGE_LINE = "startup-probe: page shown"
FALLBACK_MS = 2000


class _FirstPaint(QObject):
    """Runs its callbacks once, just after the window's first paint (or the fallback)."""

    def __init__(self, window: QWidget, callbacks: list[Callable[[], object]]) -> None:
        super().__init__(window)
        self._window = window
        self._callbacks = callbacks
        self._done = False
        window.installEventFilter(self)
        QTimer.singleShot(FALLBACK_MS, self, self._run)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and not self._done:
            QTimer.singleShot(0, self, self._run)  # after this paint has reached the screen
        return False

    def _run(self) -> None:
        if self._done:
            return
        self._done = True
        self._window.removeEventFilter(self)
        for callback in self._callbacks:
            callback()


def after_first_paint(window: QWidget, callback: Callable[[], object]) -> None:
    """Call `callback` once, just after `window`'s next paint (or the fallback's time)."""
    _FirstPaint(window, [callback])


def start_after_first_paint(
    window: QWidget, start: Callable[[], None], quit_app: Callable[[], None]
) -> None:
    """Call `start` once `window` has been painted; print and quit there when the probe asks."""
    value = os.environ.get(PROBE_ENV, "")
    callbacks: list[Callable[[], object]] = [start]
    if value:
        callbacks.insert(0, lambda: print(SHOWN_LINE, flush=True, file=sys.stdout))
        page_shown = getattr(window, "start_page_shown", None)  # MainWindow's signal
        if page_shown is not None:
            page_shown.connect(lambda: print(PAGE_LINE, flush=True, file=sys.stdout))
            if value == "quit":
                page_shown.connect(quit_app)
        elif value == "quit":
            callbacks.append(quit_app)
    _FirstPaint(window, callbacks)
