"""Start-up: from process start to the main window on screen, against a bare Qt window.

    python bench/bench_startup.py [--runs 11]

Each run starts a fresh Python process (offscreen) and times from just before it is spawned to
the line it prints when its window is first painted:

- the app: `python -m syncmonitor` in sandbox mode, in a temporary SYNCMONITOR_HOME of its own
  per run (so every run creates and migrates a new cache, as a first start does), with
  SYNCMONITOR_STARTUP_PROBE=quit: it prints on the window's first paint (toolbar, sidebar,
  status bar, a placeholder where the page goes), again once the People page, built just after
  that paint, has been painted, then quits;
- the bare window: a process that imports PySide6.QtWidgets, qasync, httpx and sqlalchemy,
  shows an empty QMainWindow on a qasync loop and prints on its first paint.

The two alternate run by run, so both see the same machine. Reported: every time, the medians
and the ratios app / bare for the window and for the page. Target: the window within 1.5x of
the bare window.
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
PAGE = "startup-probe: page shown"

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


def time_to_lines(argv: list[str], env: dict[str, str], lines: tuple[str, ...]) -> list[float]:
    """Seconds from the spawn to each of `lines` on the child's stdout."""
    started = time.perf_counter()
    child = subprocess.Popen(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    assert child.stdout is not None
    seen: dict[str, float] = {}
    for line in child.stdout:
        if line.strip() in lines:
            seen[line.strip()] = time.perf_counter() - started
            if len(seen) == len(lines):
                break
    child.stdout.close()
    if child.wait(timeout=60) != 0 or len(seen) != len(lines):
        raise SystemExit(f"{argv} did not show {lines} and exit cleanly ({child.returncode})")
    return [seen[line] for line in lines]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11)
    args = parser.parse_args()
    # PYTHONDONTWRITEBYTECODE left out: an installed app (and the bundle) runs from compiled
    # bytecode, and so does the bare window's site-packages; with it set, every run of the app
    # compiled its whole source again (about a second) and the ratio measured the compiler.
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("SYNCMONITOR_") and k != "PYTHONDONTWRITEBYTECODE"
    }
    base.update(QT_QPA_PLATFORM="offscreen", PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    app_times: list[float] = []
    page_times: list[float] = []
    bare_times: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        for run in range(args.runs + 1):  # run 0 warms the disk and bytecode caches, not counted
            home = Path(tmp) / f"home{run}"
            (home / "config").mkdir(parents=True)
            (home / "config" / "config.toml").write_text(
                "[sandbox]\npeople = 50\ntick_seconds = 0\n", encoding="utf-8"
            )
            env = {**base, "SYNCMONITOR_HOME": str(home), "SYNCMONITOR_STARTUP_PROBE": "quit"}
            [bare] = time_to_lines([sys.executable, "-c", BARE], base, (SHOWN,))
            app, page = time_to_lines([sys.executable, "-m", "syncmonitor"], env, (SHOWN, PAGE))
            if run:
                bare_times.append(bare)
                app_times.append(app)
                page_times.append(page)
                print(
                    f"run {run:2d}: app window {app * 1000:5.0f} ms, its People page "
                    f"{page * 1000:5.0f} ms   bare window {bare * 1000:5.0f} ms   "
                    f"ratios {app / bare:.2f} / {page / bare:.2f}"
                )
    app_median, bare_median = statistics.median(app_times), statistics.median(bare_times)
    page_median = statistics.median(page_times)
    ratios = sorted(a / b for a, b in zip(app_times, bare_times, strict=True))
    print(
        f"median of {args.runs}: app window {app_median * 1000:.0f} ms, People page "
        f"{page_median * 1000:.0f} ms, bare window {bare_median * 1000:.0f} ms; ratio of the "
        f"medians {app_median / bare_median:.2f} (target <= 1.50), page "
        f"{page_median / bare_median:.2f}; median of the per-run ratios "
        f"{statistics.median(ratios):.2f} (range {ratios[0]:.2f}-{ratios[-1]:.2f})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
