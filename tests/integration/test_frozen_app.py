"""The PyInstaller one-folder build starts and passes its own self-test (installer/).

The build is about a minute of CPU and its result depends only on its inputs: the spec and entry
script, the app's source and resources, this Python and the exact versions of every installed
distribution. So it is kept under build/frozen-app/<hash of those inputs>/ and built again only
when one of them changes (any edit of a source file, spec, resource or dependency gives a new
hash); the self-test and the size check run on every run. SYNCMONITOR_TEST_REBUILD_FROZEN=1
forces a fresh build. Not in the hash: the system libraries PyInstaller copies in (libc, X11 and
friends); a system upgrade between runs needs the variable.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXE = "SyncMonitor.exe" if sys.platform == "win32" else "SyncMonitor"
CACHE = ROOT / "build" / "frozen-app"
REBUILD_ENV = "SYNCMONITOR_TEST_REBUILD_FROZEN"
INPUTS = ("installer", "src", "resources", "pyproject.toml")
DONE = "build-complete"


def _input_files(root: Path) -> list[Path]:
    files: list[Path] = []
    for name in INPUTS:
        top = root / name
        found = [top] if top.is_file() else sorted(p for p in top.rglob("*") if p.is_file())
        files += [p for p in found if "__pycache__" not in p.parts and p.suffix != ".pyc"]
    return files


def _installed() -> list[str]:
    return sorted(f"{d.metadata['Name']}=={d.version}" for d in importlib.metadata.distributions())


def build_key(root: Path = ROOT, installed: list[str] | None = None) -> str:
    """A hash of everything the bundle is built from (see the module's docstring)."""
    digest = hashlib.sha256()
    digest.update(f"{sys.version}|{sys.executable}|{platform.platform()}\n".encode())
    for dist in _installed() if installed is None else installed:
        digest.update(f"{dist}\n".encode())
    for path in _input_files(root):
        digest.update(f"{path.relative_to(root).as_posix()}\n".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:20]


def _build(target: Path) -> None:
    """Run PyInstaller into `target`; only a finished build gets the completion mark."""
    shutil.rmtree(CACHE, ignore_errors=True)  # older builds: at most one kept, ~150 MB
    target.mkdir(parents=True)
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--log-level",
            "WARN",
            "--distpath",
            str(target / "dist"),
            "--workpath",
            str(target / "work"),
            str(ROOT / "installer" / "syncmonitor.spec"),
        ],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    shutil.rmtree(target / "work", ignore_errors=True)
    (target / DONE).write_text("ok\n", encoding="utf-8")


def test_a_kept_bundle_is_rebuilt_when_any_input_changes(tmp_path: Path) -> None:
    """Reusing the bundle is only honest while the hash sees every change to what it is built
    from: an edited source file, spec or resource, a new module, another dependency version."""
    root = tmp_path / "tree"
    for name in INPUTS:
        source, copy = ROOT / name, root / name
        if source.is_file():
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy)
        else:
            shutil.copytree(source, copy, ignore=shutil.ignore_patterns("__pycache__"))
    installed = _installed()
    keys = {build_key(root, installed)}
    assert build_key(root, installed) in keys, "the same inputs must find the kept bundle"

    for edited in (
        "installer/syncmonitor.spec",
        "installer/entry.py",
        "src/syncmonitor/__init__.py",
        "resources/icons/app.ico",
        "pyproject.toml",
    ):
        with (root / edited).open("ab") as file:
            file.write(b"\n")
        key = build_key(root, installed)
        assert key not in keys, f"an edit of {edited} must give a new build"
        keys.add(key)
    (root / "src" / "syncmonitor" / "new_module.py").write_text("X = 1\n", encoding="utf-8")
    keys.add(key := build_key(root, installed))
    assert len(keys) == 7, "a new module must give a new build"
    upgraded = [*installed[1:], "PySide6==0.0.1"]
    assert build_key(root, upgraded) not in keys, "another dependency must give a new build"
    (root / "src" / "syncmonitor" / "__pycache__").mkdir(exist_ok=True)
    (root / "src" / "syncmonitor" / "__pycache__" / "x.pyc").write_bytes(b"compiled")
    assert build_key(root, installed) == key, "byte-code the tests leave behind is no input"


@pytest.mark.slow
@pytest.mark.timeout(1200)  # the build's own limit is 900 s, the self-test's 180 s
def test_the_frozen_app_passes_its_self_test(tmp_path: Path) -> None:
    pytest.importorskip("PyInstaller", reason="PyInstaller comes with the test extra")
    target = CACHE / build_key()
    if os.environ.get(REBUILD_ENV) == "1" or not (target / DONE).exists():
        _build(target)
    app = target / "dist" / "SyncMonitor" / EXE
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
