"""The installer files still fit together (installer/, .github/workflows/installers.yml).

Inno Setup, hdiutil, codesign and notarytool do not run on Linux, and the real proof is a build:
tests/integration/test_frozen_app.py builds the one-folder app and runs its self-test, and the
workflow builds both installers. What is checked here is what breaks without anyone noticing
until release day: the version each file takes, the scripts still parsing, and the spec still
being Python that freezes the real entry point.
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import syncmonitor

ROOT = Path(__file__).resolve().parents[2]
ISS = ROOT / "installer" / "windows" / "syncmonitor.iss"
SPEC = ROOT / "installer" / "syncmonitor.spec"
ENTRY = ROOT / "installer" / "entry.py"
DMG_SCRIPT = ROOT / "installer" / "macos" / "build_dmg.sh"
WORKFLOW = ROOT / ".github" / "workflows" / "installers.yml"


def test_the_windows_installer_takes_the_version_the_workflow_passes() -> None:
    iss = ISS.read_text(encoding="utf-8")
    assert re.search(r"^AppVersion=\{#AppVersion\}$", iss, re.MULTILINE)
    yaml = pytest.importorskip("yaml")
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    for job in ("windows", "macos"):
        run = "\n".join(str(step.get("run", "")) for step in workflow["jobs"][job]["steps"])
        assert "syncmonitor.__version__" in run, f"the {job} job must read the app's version"
    windows = "\n".join(str(s.get("run", "")) for s in workflow["jobs"]["windows"]["steps"])
    assert "/DAppVersion=$env:APP_VERSION" in windows


def test_the_spec_is_python_that_freezes_the_command_and_reads_the_version() -> None:
    tree = ast.parse(SPEC.read_text(encoding="utf-8"), filename=str(SPEC))
    calls = {
        node.func.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }
    assert {"Analysis", "PYZ", "EXE", "COLLECT", "BUNDLE"} <= calls
    assert "entry.py" in SPEC.read_text(encoding="utf-8")
    entry = ast.parse(ENTRY.read_text(encoding="utf-8"))
    imported = [n for n in ast.walk(entry) if isinstance(n, ast.ImportFrom)]
    assert any(n.module == "syncmonitor.cli" and n.names[0].name == "main" for n in imported)
    # The macOS bundle's version comes from __init__.py through this pattern:
    pattern = re.search(r"re\.search\(r'(.+?)', _init", SPEC.read_text(encoding="utf-8"))
    assert pattern, "the spec must read __version__ from src/syncmonitor/__init__.py"
    init = (ROOT / "src" / "syncmonitor" / "__init__.py").read_text(encoding="utf-8")
    found = re.search(pattern.group(1), init, re.MULTILINE)
    assert found and found.group(1) == syncmonitor.__version__


def test_the_disk_image_script_parses() -> None:
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("bash is not installed")
    done = subprocess.run(
        [bash, "-n", str(DMG_SCRIPT)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
