"""The app quits cleanly: exit 0 and no fatal error, from the window, the tray's Quit and SIGTERM.

Each test starts the real app as a child process (offscreen, its own sandbox and home), waits
until its window is on screen, quits it one way and reads its exit status and stderr: a crash
while Python shuts down shows only there. (The PySide6 6.12.0 fault that aborted the unit suite
needs more Qt calls than a short run makes: tests/unit/test_qt_bindings.py catches that one.)
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from syncmonitor.ui.startup_probe import PROBE_ENV, SHOWN_LINE

DRIVER = Path(__file__).with_name("app_quit_driver.py")
pytestmark = pytest.mark.timeout(120)


def _start(home: Path, *args: str) -> subprocess.Popen[str]:
    (home / "config").mkdir(parents=True)
    (home / "config" / "config.toml").write_text(
        "[sandbox]\npeople = 30\ntick_seconds = 0\n", encoding="utf-8"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNCMONITOR_")}
    env.update(
        SYNCMONITOR_HOME=str(home),
        QT_QPA_PLATFORM="offscreen",
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
        PYTHONFAULTHANDLER="1",
    )
    env[PROBE_ENV] = "1"
    return subprocess.Popen(
        [sys.executable, *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_until_shown(app: subprocess.Popen[str]) -> None:
    assert app.stdout is not None
    for line in app.stdout:  # the probe prints one line, on the window's first paint
        if line.strip() == SHOWN_LINE:
            return
    out, err = app.communicate(timeout=30)
    pytest.fail(f"the window never showed (exit {app.returncode}):\n{out}\n{err}")


def _assert_clean_exit(app: subprocess.Popen[str]) -> str:
    out, err = app.communicate(timeout=60)
    assert app.returncode == 0, f"exit {app.returncode}\n{out}\n{err}"
    assert "Fatal" not in err and "Traceback" not in err, err
    return out


@pytest.mark.parametrize("how", ["close", "tray"])
def test_closing_the_window_or_the_trays_quit_ends_the_app_with_exit_0(
    tmp_path: Path, how: str
) -> None:
    app = _start(tmp_path / "home", str(DRIVER), how)
    _wait_until_shown(app)
    out = _assert_clean_exit(app)
    assert f"driver: quitting by {how}" in out  # it quit the way asked, not some other way


def test_sigterm_ends_the_app_with_exit_0(tmp_path: Path) -> None:
    app = _start(tmp_path / "home", "-m", "syncmonitor")
    _wait_until_shown(app)
    app.send_signal(signal.SIGTERM)
    _assert_clean_exit(app)
