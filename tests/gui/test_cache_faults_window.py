"""A damaged cache in the window: told as damaged, with what to do (review-reliability.md #79),
never as the "Unexpected error" crash dialog."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from gui_fakes import eventually
from pytestqt.qtbot import QtBot

from syncmonitor.app.config import Config
from syncmonitor.store.database import open_database
from syncmonitor.ui.app import SyncMonitorApp
from syncmonitor.ui.crash import CrashReporter
from syncmonitor.ui.notifier import RecordingNotifier


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
    gui.request_quit()
    await gui.shutdown()


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
