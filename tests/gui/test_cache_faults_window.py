"""A damaged cache in the window: told as damaged, with what to do (review-reliability.md #79),
never as the "Unexpected error" crash dialog."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from gui_cache import build_cache
from gui_fakes import FakeServices, FakeSyncService, eventually, succeeded_run
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget
from pytestqt.qtbot import QtBot

from syncmonitor.app.config import Config
from syncmonitor.store.cache_faults import disk_full
from syncmonitor.store.database import open_database
from syncmonitor.ui.app import SyncMonitorApp
from syncmonitor.ui.crash import CrashReporter
from syncmonitor.ui.notifier import RecordingNotifier


def clipped_labels(window: QWidget) -> list[str]:
    """The visible one-line labels whose text is wider than the label (cut off on screen)."""
    cut = []
    for label in window.findChildren(QLabel):
        text = label.text()
        if not label.isVisible() or label.wordWrap() or not text or "<" in text:
            continue
        if label.fontMetrics().horizontalAdvance(text) > label.contentsRect().width() + 1:
            cut.append(f"{label.objectName() or type(label.parent()).__name__}: {text}")
    return cut


def damaged_cache(folder: Path) -> Path:
    path = folder / "cache.sqlite3"
    database = open_database(path)
    with database.engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE filler (x TEXT)")
        for _ in range(50):
            conn.exec_driver_sql("INSERT INTO filler VALUES (?)", ("x" * 3000,))
    database.close()
    size = path.stat().st_size
    with path.open("r+b") as file:
        file.seek(size // 2 // 4096 * 4096)
        file.write(b"\xa5" * 4096 * 3)
    return path


@pytest.mark.asyncio
async def test_a_damaged_cache_is_told_in_the_window(qtbot: QtBot, tmp_path: Path) -> None:
    path = damaged_cache(tmp_path)
    notifier = RecordingNotifier()
    gui = SyncMonitorApp(
        Config(),
        lambda: open_database(path),
        use_tray=False,
        notifier=notifier,  # type: ignore[arg-type,return-value]
    )
    qtbot.addWidget(gui.window)
    gui.window.show()
    gui.controller.start()
    await eventually(lambda: bool(gui.window.status.error_text))
    text = gui.window.status.error_text
    assert "The local cache is damaged" in text
    assert "rename cache.sqlite3 to cache.sqlite3.damaged" in text
    assert "Unexpected error" not in text
    # Readable whole: the status bar has the short form, the banner every word, wrapped.
    status, banner = gui.window.status, gui.window.problem_banner
    assert status.error_label.text() == "The local cache is damaged"
    await eventually(lambda: banner.isVisible())
    assert banner.message_label.wordWrap()
    assert "rename cache.sqlite3 to cache.sqlite3.damaged" in banner.text
    assert str(path) in banner.text  # the file, to find it
    assert banner.message_label.width() <= gui.window.width()
    gui.window.resize(1024, 700)
    await eventually(lambda: gui.window.width() == 1024)
    assert clipped_labels(gui.window) == []
    qtbot.mouseClick(banner.hide_button, Qt.MouseButton.LeftButton)
    assert not banner.isVisible()
    qtbot.mouseClick(status.details_button, Qt.MouseButton.LeftButton)  # one click away
    assert banner.isVisible() and "cache.sqlite3.damaged" in banner.text
    gui.request_quit()
    await gui.shutdown()


@pytest.mark.asyncio
async def test_a_full_disk_during_a_run_is_shown_whole(qtbot: QtBot, tmp_path: Path) -> None:
    db = build_cache(tmp_path / "cache.sqlite3", people=5, transitions=2)
    service = FakeSyncService(db, sandbox_mode=False)
    service.previous = succeeded_run()
    full = disk_full(tmp_path / "data" / "cache.sqlite3")
    gui = SyncMonitorApp(
        Config(), lambda: FakeServices(service), use_tray=False, notifier=RecordingNotifier()
    )
    qtbot.addWidget(gui.window)
    gui.window.resize(1024, 700)
    gui.window.show()
    gui.controller.start()
    await eventually(lambda: gui.controller.services is not None)
    service.fail_with, service.fail_kind = (full.title, full.message), "cache"
    gui.controller.sync_now()
    banner = gui.window.problem_banner
    await eventually(lambda: banner.isVisible())
    assert banner.title_label.text() == "The disk is full"
    assert "Everything saved before that is kept" in banner.text
    assert "Free some space on that disk" in banner.text
    assert gui.window.status.error_label.text() == "The disk is full"
    assert clipped_labels(gui.window) == []
    service.fail_with = service.fail_kind = None
    gui.controller.sync_now()  # it works again: the message goes
    await eventually(lambda: not banner.isVisible())
    gui.request_quit()
    await gui.shutdown()
    db.close()


def test_a_cache_fault_reaching_the_crash_hook_is_told_as_what_it_is(
    qtbot: QtBot, tmp_path: Path
) -> None:
    reporter = CrashReporter(lambda: None, None, cache_file=tmp_path / "cache.sqlite3")
    error = sqlite3.DatabaseError("database disk image is malformed")
    reporter(type(error), error, None)
    assert reporter.dialog is None  # not the "Unexpected error" dialog
    full = sqlite3.OperationalError("database or disk is full")
    reporter(type(full), full, None)
    assert reporter.dialog is None
