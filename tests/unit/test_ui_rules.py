"""Rules for Qt code that a review can miss and a crash report cannot explain."""

from __future__ import annotations

import ast
from pathlib import Path

UI = Path(__file__).resolve().parents[2] / "src" / "syncmonitor" / "ui"


def test_every_single_shot_timer_has_a_context_object() -> None:
    """QTimer.singleShot(ms, callable) outlives its widget and fires into freed memory (it crashed
    the test suite); singleShot(ms, context, callable) is cancelled when the context dies."""
    offenders = []
    for path in UI.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "singleShot"
                and len(node.args) < 3
            ):
                offenders.append(f"{path.relative_to(UI)}:{node.lineno}")
    assert not offenders, f"give these QTimer.singleShot calls a context object: {offenders}"


# The layers' arrows, "no Qt outside ui/" among them, are checked in test_architecture.py.
