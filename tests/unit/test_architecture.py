"""The layers' arrows, checked on every import of every module (function-level ones too).

    ui, cli -> engine -> connectors, store -> domain -> app

- `ui/` and `cli/` reach the engine's services, never the store, a connector or the sandbox
  (the pure `domain/` types and the `app/` foundation they may use); neither touches SQLAlchemy.
- `engine/` uses connectors, store, domain and app; `connectors/` and `store/` only domain and
  app (never each other, the engine or the window); `domain/` only app; `app/` nothing.
- `sandbox/` imports nothing of the app outside itself: it shares no parsing with the connectors.
- No Qt (PySide6, qasync) outside `ui/`.

The root package (`syncmonitor/__init__.py`: the name and the version) may be imported by
anyone. A few deliberate exceptions are listed in ALLOWED with the reason.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"

# Which layers each layer may import (its own always).
MAY_IMPORT: dict[str, set[str]] = {
    "root": {"cli"},  # __main__.py runs the command
    "ui": {"engine", "domain", "app"},
    "cli": {"engine", "domain", "app"},
    "engine": {"connectors", "store", "domain", "app"},
    "connectors": {"domain", "app"},
    "store": {"domain", "app"},
    "domain": {"app"},
    "app": set(),
    "sandbox": set(),
}
QT = {"PySide6", "shiboken6", "qasync"}
NOT_FOR_THE_WINDOW = {"sqlalchemy", "alembic"}  # ui/ and cli/ read the cache through services

# (importing module, imported module prefix): why the arrow is allowed.
ALLOWED: dict[tuple[str, str], str] = {
    # The command line opens the window (no command) and runs the installed app's self-test.
    ("syncmonitor.cli", "syncmonitor.ui.app"): "launch the window",
    ("syncmonitor.cli", "syncmonitor.ui.selftest"): "--self-test",
    # `syncmonitor sandbox` serves the emulated remotes from the command line.
    ("syncmonitor.cli.sandbox", "syncmonitor.sandbox.server"): "the sandbox command",
    # The self-test can switch a sandbox fault on, so its tests prove a failing step is named.
    ("syncmonitor.ui.selftest", "syncmonitor.sandbox.admin"): "the self-test's fault switch",
    # The icons and style sheets ship as package data (no code in it).
    ("syncmonitor.ui.resources", "syncmonitor.resources"): "packaged icons",
    # In sandbox mode the engine starts the sandbox in its own process and talks to it over HTTP.
    ("syncmonitor.engine.bootstrap", "syncmonitor.sandbox.process"): "start the sandbox",
}


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer_of(module: str) -> str:
    parts = module.split(".")
    if len(parts) < 2 or parts[1] in ("__main__",):
        return "root"
    return parts[1]


def imports_of(tree: ast.AST, module: str, is_package: bool) -> Iterator[tuple[int, str]]:
    """Every module `tree` imports, anywhere in it, as an absolute name."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            yield node.lineno, target
            for alias in node.names:  # `from syncmonitor import store` imports a layer
                yield node.lineno, f"{target}.{alias.name}"


def violations(root: Path) -> list[str]:
    """Every import under `root/syncmonitor` that breaks a rule, as "file:line: why"."""
    found = []
    packages = {p.name for p in (root / "syncmonitor").iterdir() if p.is_dir()}
    for path in sorted((root / "syncmonitor").rglob("*.py")):
        module = module_name(root, path)
        layer = layer_of(module)
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        where = f"{path.relative_to(root)}"
        for line, target in imports_of(tree, module, path.name == "__init__.py"):
            top = target.split(".")[0]
            if top in QT and layer != "ui":
                found.append(f"{where}:{line}: Qt ({target}) outside ui/")
            if top in NOT_FOR_THE_WINDOW and layer in ("ui", "cli"):
                found.append(f"{where}:{line}: {layer}/ uses {top}: read through a service")
            if top != "syncmonitor" or target == "syncmonitor":
                continue
            other = layer_of(target)
            if other not in MAY_IMPORT and other not in packages:
                continue  # a name of the root package: `from syncmonitor import APP_NAME`
            if other == layer or other in MAY_IMPORT[layer]:
                continue
            if any(module.startswith(src) and target.startswith(dst) for src, dst in ALLOWED):
                continue
            found.append(f"{where}:{line}: {layer}/ imports {target} ({other}/)")
    return sorted(set(found))


def test_the_layers_arrows_hold() -> None:
    problems = violations(SRC)
    assert not problems, "imports against the arrows:\n" + "\n".join(problems)


def test_every_layer_is_known() -> None:
    """A new top-level package must say what it may import (or it would escape the rules)."""
    packages = {p.name for p in (SRC / "syncmonitor").iterdir() if (p / "__init__.py").exists()}
    assert packages <= set(MAY_IMPORT), f"add to MAY_IMPORT: {packages - set(MAY_IMPORT)}"


BAD_TREE = {
    "syncmonitor/__init__.py": "__version__ = '0'\n",
    "syncmonitor/app/__init__.py": "",
    "syncmonitor/app/config.py": "from syncmonitor.domain import states\n",
    "syncmonitor/domain/__init__.py": "",
    "syncmonitor/domain/states.py": "",
    "syncmonitor/store/__init__.py": "",
    "syncmonitor/store/people.py": "def later():\n    from syncmonitor.engine import jobs\n",
    "syncmonitor/connectors/__init__.py": "",
    "syncmonitor/connectors/x.py": "from ..store import people\nimport PySide6.QtCore\n",
    "syncmonitor/engine/__init__.py": "",
    "syncmonitor/engine/jobs.py": "from syncmonitor.store import people\n",
    "syncmonitor/ui/__init__.py": "",
    "syncmonitor/ui/page.py": "from syncmonitor.store.people import x\nimport sqlalchemy\n",
    "syncmonitor/cli/__init__.py": "from syncmonitor import connectors\n",
    "syncmonitor/sandbox/__init__.py": "",
    "syncmonitor/sandbox/server.py": "from syncmonitor.domain.states import S\n",
}


def test_the_check_finds_each_kind_of_wrong_arrow(tmp_path: Path) -> None:
    for name, text in BAD_TREE.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    problems = violations(tmp_path)
    expected = [
        "syncmonitor/app/config.py:1: app/ imports syncmonitor.domain",
        "syncmonitor/cli/__init__.py:1: cli/ imports syncmonitor.connectors",
        "syncmonitor/connectors/x.py:1: connectors/ imports syncmonitor.store",  # relative
        "syncmonitor/connectors/x.py:2: Qt (PySide6.QtCore) outside ui/",
        "syncmonitor/sandbox/server.py:1: sandbox/ imports syncmonitor.domain",
        "syncmonitor/store/people.py:2: store/ imports syncmonitor.engine",  # in a function
        "syncmonitor/ui/page.py:1: ui/ imports syncmonitor.store",
        "syncmonitor/ui/page.py:2: ui/ uses sqlalchemy",
    ]
    for wanted in expected:
        assert any(p.startswith(wanted) for p in problems), (wanted, problems)
    # engine -> store is an allowed arrow: not reported.
    assert not any(p.startswith("syncmonitor/engine/") for p in problems), problems


@pytest.mark.parametrize("layer", sorted(MAY_IMPORT))
def test_no_layer_may_import_the_window_but_the_command_line(layer: str) -> None:
    """Only cli/ reaches ui/, and only through ALLOWED (to open the window)."""
    assert "ui" not in MAY_IMPORT[layer] or layer == "ui"
