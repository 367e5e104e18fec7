"""Start-up: from process start to the main window on screen, against a bare Qt window.

    python bench/bench_startup.py [--runs 11]

Each run starts a fresh Python process (offscreen) and times from just before it is spawned to
the line it prints when its window is first painted:

- the app: `python -m syncmonitor` in sandbox mode, in a temporary SYNCMONITOR_HOME of its own
  per run (so every run creates and migrates a new cache, as a first start does), with
  SYNCMONITOR_STARTUP_PROBE=quit: it prints on the window's first paint, then quits;
- the bare window: a process that imports PySide6.QtWidgets, qasync, httpx and sqlalchemy,
  shows an empty QMainWindow on a qasync loop and prints on its first paint.

The two alternate run by run, so both see the same machine. Reported: every time, the medians
and the ratio app / bare. Target: the app within 1.5x of the bare window.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SHOWN = "startup-probe: window shown"

BARE = f"""
import sys
import PySide6.QtWidgets, qasync, httpx, sqlalchemy
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow

class FirstPaint(QObject):
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint:
            watched.removeEventFilter(self)
            print({SHOWN!r}, flush=True)
            QTimer.singleShot(0, app.quit)
        return False

app = QApplication(sys.argv)
window = QMainWindow()
window.resize(1100, 700)
probe = FirstPaint(window)
window.installEventFilter(probe)
window.show()
with qasync.QEventLoop(app) as loop:
    app.exec()
"""


def time_to_window(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    child = subprocess.Popen(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    assert child.stdout is not None
    shown = None
    for line in child.stdout:
        if line.strip() == SHOWN:
            shown = time.perf_counter() - started
            break
    child.stdout.close()
    if child.wait(timeout=60) != 0 or shown is None:
        raise SystemExit(f"{argv} did not show its window and exit cleanly ({child.returncode})")
    return shown


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11)
    args = parser.parse_args()
    base = {k: v for k, v in os.environ.items() if not k.startswith("SYNCMONITOR_")}
    base.update(QT_QPA_PLATFORM="offscreen", PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    app_times: list[float] = []
    bare_times: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        for run in range(args.runs + 1):  # run 0 warms the disk cache and is not counted
            home = Path(tmp) / f"home{run}"
            (home / "config").mkdir(parents=True)
            (home / "config" / "config.toml").write_text(
                "[sandbox]\npeople = 50\ntick_seconds = 0\n", encoding="utf-8"
            )
            env = {**base, "SYNCMONITOR_HOME": str(home), "SYNCMONITOR_STARTUP_PROBE": "quit"}
            bare = time_to_window([sys.executable, "-c", BARE], base)
            app = time_to_window([sys.executable, "-m", "syncmonitor"], env)
            if run:
                bare_times.append(bare)
                app_times.append(app)
                print(f"run {run:2d}: app {app * 1000:5.0f} ms   bare window {bare * 1000:5.0f} ms")
    app_median, bare_median = statistics.median(app_times), statistics.median(bare_times)
    print(
        f"median of {args.runs}: app {app_median * 1000:.0f} ms, bare window "
        f"{bare_median * 1000:.0f} ms, ratio {app_median / bare_median:.2f} (target <= 1.50)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
