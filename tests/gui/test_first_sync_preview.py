"""The window's first two-way sync preview: with a real account's write gate it shows what the
sync would write and asks; Confirm lets the syncs write (and starts one), Not now keeps them
reading; in sandbox mode (no gate) nothing is asked."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from gui_fakes import eventually
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

sys.path.insert(0, str(Path(__file__).parents[1] / "integration"))
from engine_helpers import Harness, make_harness

from syncmonitor.engine.runs.first_sync import WriteGate
from syncmonitor.sandbox.process import SandboxProcess
from syncmonitor.ui.runs.first_sync import FirstSyncPreview


class FakeController(QObject):
    services_ready = Signal(object)

    def __init__(self, service: object) -> None:
        super().__init__()
        self.service = service
        self.synced = 0

    def sync_now(self) -> None:
        self.synced += 1


@pytest.fixture
def h(tmp_path: Path) -> Iterator[Harness]:
    process = SandboxProcess(seed=31, people=30, tick=0)
    endpoints = process.start(timeout=60)
    made = make_harness(endpoints, tmp_path / "cache")
    try:
        yield made
    finally:
        made.admin.close()
        made.close()
        process.stop()


@pytest.mark.asyncio
async def test_the_plan_is_shown_and_confirm_lets_the_sync_write(qtbot: QtBot, h: Harness) -> None:
    h.service.write_gate = WriteGate(h.engine)
    window = QWidget()
    qtbot.addWidget(window)
    controller = FakeController(h.service)
    preview = FirstSyncPreview(controller, window)
    controller.services_ready.emit(None)
    await eventually(lambda: preview.dialog is not None)
    dialog = preview.dialog
    assert dialog is not None and not dialog.confirm_button.isEnabled()
    await eventually(lambda: dialog.confirm_button.isEnabled(), timeout=30)
    text = dialog.plan_view.toPlainText()
    assert "Workbooks" in text and "people updated" in text
    dialog.confirm_button.click()
    await eventually(lambda: controller.synced == 1)
    assert preview._confirming is not None
    assert h.service.writes_held() == frozenset()
    assert preview.dialog is None


@pytest.mark.asyncio
async def test_not_now_keeps_the_writes_held_and_sandbox_mode_asks_nothing(
    qtbot: QtBot, h: Harness
) -> None:
    window = QWidget()
    qtbot.addWidget(window)
    controller = FakeController(h.service)
    preview = FirstSyncPreview(controller, window)
    controller.services_ready.emit(None)  # no gate: the sandbox
    await eventually(lambda: preview._task is not None and preview._task.done())
    assert preview.dialog is None

    h.service.write_gate = WriteGate(h.engine)
    preview.review()
    await eventually(lambda: preview.dialog is not None)
    assert preview.dialog is not None
    preview.dialog.later_button.click()
    await eventually(lambda: preview.dialog is None)
    await eventually(lambda: preview._task is not None and preview._task.done())  # stopped
    assert h.service.writes_held() == {"outreach", "workbooks"} and controller.synced == 0
