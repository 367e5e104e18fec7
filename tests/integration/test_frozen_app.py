"""The PyInstaller one-folder build starts and passes its own self-test (installer/)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXE = "SyncMonitor.exe" if sys.platform == "win32" else "SyncMonitor"


@pytest.mark.slow
@pytest.mark.timeout(1200)  # the build's own limit is 900 s, the self-test's 180 s
def test_the_frozen_app_passes_its_self_test(tmp_path: Path) -> None:
    pytest.importorskip("PyInstaller", reason="PyInstaller comes with the test extra")
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--log-level",
            "WARN",
            "--distpath",
            str(tmp_path / "dist"),
            "--workpath",
            str(tmp_path / "build"),
            str(ROOT / "installer" / "syncmonitor.spec"),
        ],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    app = tmp_path / "dist" / "SyncMonitor" / EXE
    assert app.exists()
    if sys.platform.startswith("linux"):  # the excludes in the spec keep it small (bench/README)
        files = (p for p in app.parent.rglob("*") if p.is_file() and not p.is_symlink())
        megabytes = sum(p.stat().st_size for p in files) / 2**20
        assert megabytes <= 150, f"the one-folder app grew to {megabytes:.0f} MB"

    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.pop("QT_QPA_PLATFORM", None)
    env["SYNCMONITOR_HOME"] = str(tmp_path / "untouched")
    done = subprocess.run(
        [str(app), "--self-test"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1] == "Self-test passed."
    assert "ok   sync:" in done.stdout
    assert not (tmp_path / "untouched").exists()
