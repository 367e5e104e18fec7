"""Run the real app (`syncmonitor` with no arguments) and quit it the way a person would.

`python app_quit_driver.py close|tray`: once the window is on screen and the engine has started,
close the window (the app has no tray offscreen, so closing it quits) or choose Quit in the tray
menu. Nothing else is changed: the process then exits with whatever the app returns.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QTimer

from syncmonitor.cli import main
from syncmonitor.ui import app as ui_app

HOW = sys.argv[1]
_start = ui_app.SyncMonitorApp.start


def _start_then_quit(self: ui_app.SyncMonitorApp) -> None:
    def act() -> None:
        print(f"driver: quitting by {HOW}", flush=True)
        if HOW == "close":
            self.window.close()
        elif HOW == "tray":
            self.tray.quit_action.trigger()
        else:
            raise SystemExit(f"unknown way to quit: {HOW}")

    self.controller.services_ready.connect(lambda _db: QTimer.singleShot(100, self, act))
    _start(self)


ui_app.SyncMonitorApp.start = _start_then_quit  # type: ignore[method-assign]
sys.exit(main([]))
