"""The Qt bindings keep Python's reference counts: PySide6 6.12.0 on Python 3.11 did not.

Every Qt method that returns nothing (processEvents, update, setObjectName, ...) handed back None
without a new reference, so each call took one reference to None away. Python 3.12 and later do
not count references to None; on 3.11 None was freed after enough calls, and the interpreter
aborted with "Fatal Python error: none_dealloc" (exit 134), at the end of the unit suite and in a
long-running app. pyproject.toml keeps that version out; these tests fail on any that does it.
"""

from __future__ import annotations

import sys

import pytest
from PySide6.QtCore import QCoreApplication, QObject

from syncmonitor.ui.selftest import none_references_lost

pytestmark = pytest.mark.skipif(
    sys.version_info >= (3, 12), reason="None is immortal from Python 3.12: nothing to lose"
)


def test_a_qt_method_that_returns_nothing_leaves_none_alone() -> None:
    obj = QObject()
    before = sys.getrefcount(None)
    for _ in range(2000):
        obj.setObjectName("x")
    assert before - sys.getrefcount(None) < 100


def test_processing_events_leaves_none_alone(qapp: QCoreApplication) -> None:
    before = sys.getrefcount(None)
    for _ in range(2000):
        QCoreApplication.processEvents()
    assert before - sys.getrefcount(None) < 100


def test_the_self_test_check_sees_a_binding_that_loses_references() -> None:
    import ctypes

    none_count = ctypes.c_ssize_t.from_address(id(None))

    def leaky(_text: str) -> None:
        none_count.value -= 1  # what the faulty binding did on every call

    none_count.value += 10_000  # room for the check's calls, given back below
    try:
        assert none_references_lost(leaky, calls=1000) >= 1000
    finally:
        none_count.value -= 9_000  # the 1000 calls already took the rest
    assert none_references_lost(QObject().setObjectName) == 0
