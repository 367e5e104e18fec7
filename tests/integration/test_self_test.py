"""`syncmonitor --self-test`: passes on a working installation, names the step that fails."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from syncmonitor.ui.selftest import run_self_test


def test_self_test_passes_with_no_display_and_leaves_the_users_folders_alone(
    tmp_path: Path,
) -> None:
    home = tmp_path / "users-home"
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.pop("QT_QPA_PLATFORM", None)  # the self-test must pick offscreen by itself
    env["SYNCMONITOR_HOME"] = str(home)
    done = subprocess.run(
        [sys.executable, "-m", "syncmonitor", "--self-test"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[-1] == "Self-test passed."
    for step in ("Qt", "cache and sandbox", "sync", "people"):
        assert any(line.startswith(f"ok   {step}:") for line in lines), done.stdout
    assert "platform offscreen" in done.stdout
    assert not home.exists()  # it worked in a temporary folder of its own


def test_a_failing_step_is_named_with_its_reason() -> None:
    ok, lines = run_self_test(
        people=20, sandbox_faults={"target": "outreach", "fail_next": 5, "fail_status": 401}
    )
    assert not ok
    failed = [line for line in lines if line.startswith("FAIL")]
    assert len(failed) == 1 and failed[0].startswith("FAIL sync:"), lines
    assert "Outreach" in failed[0]
    assert not any(line.startswith("ok   people") for line in lines)  # it stopped there
