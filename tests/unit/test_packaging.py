"""What a non-editable install ships: every subpackage, the migrations and the icons."""

from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _listed_packages() -> set[str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return set(data["tool"]["setuptools"]["packages"])


def test_every_subpackage_is_listed_in_pyproject() -> None:
    src = ROOT / "src"
    found = {".".join(init.parent.relative_to(src).parts) for init in src.rglob("__init__.py")}
    missing = found - _listed_packages()
    assert not missing, f"add these to [tool.setuptools] packages in pyproject.toml: {missing}"


@pytest.mark.slow
def test_the_wheel_carries_migrations_and_icons(tmp_path: Path) -> None:
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stderr[-2000:]
    (wheel,) = tmp_path.glob("syncmonitor-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    versions = {p.name for p in (ROOT / "src/syncmonitor/store/migrations/versions").glob("*.py")}
    assert {f"syncmonitor/store/migrations/versions/{v}" for v in versions} <= names
    assert "syncmonitor/store/migrations/env.py" in names
    icons = {p.name for p in (ROOT / "resources/icons").glob("*.svg")}
    assert icons and {f"syncmonitor/resources/icons/{i}" for i in icons} <= names
