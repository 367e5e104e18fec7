"""The app around the window: tray or no tray, quitting in order, run_gui, unexpected errors."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from gui_fakes import FakeServices, FakeSyncService, eventually, succeeded_run
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QSystemTrayIcon
from pytestqt.qtbot import QtBot

from syncmonitor.app.config import Config
from syncmonitor.app.paths import app_paths
from syncmonitor.engine.runs.events import RunOutcome
from syncmonitor.engine.runs.notices import Notice
from syncmonitor.store.database import Database
from syncmonitor.ui import app as app_module
from syncmonitor.ui.app import SyncMonitorApp, run_gui
from syncmonitor.ui.crash import CrashReporter
from syncmonitor.ui.main_window import MainWindow
from syncmonitor.ui.notifier import Level, RecordingNotifier
from syncmonitor.ui.sync_controller import Phase


def make_gui(
    qtbot: QtBot, db: Database, *, use_tray: bool
) -> tuple[SyncMonitorApp, FakeSyncService, FakeServices, RecordingNotifier]:
    service = FakeSyncService(db)
    service.previous = succeeded_run(minutes_ago=1)
    services = FakeServices(service)
    notifier = RecordingNotifier()
    gui = SyncMonitorApp(Config(), lambda: services, use_tray=use_tray, notifier=notifier)
    qtbot.addWidget(gui.window)
    return gui, service, services, notifier


@pytest.mark.asyncio
async def test_without_a_tray_the_window_is_the_app_and_closing_it_quits(
    qtbot: QtBot, make_cache: Callable[..., Database]
) -> None:
    assert not QSystemTrayIcon.isSystemTrayAvailable()  # offscreen: no tray, like some desktops
    gui, service, services, _ = make_gui(qtbot, make_cache(people=12), use_tray=None)  # type: ignore[arg-type]
    assert not gui.has_tray and not gui.tray.isVisible()  # the menu object exists, unseen
    run = asyncio.get_running_loop().create_task(gui.run())
    window = gui.window
    await eventually(lambda: window.isVisible() and window.sync_action.isEnabled())

    # Fully usable: search, select, sync.
    window.people.search.setText("ada")
    await eventually(lambda: window.people.model.search_text == "ada")
    window.sync_action.trigger()
    await eventually(lambda: service.runs == ["forced"] and not gui.controller.running)

    window.close()
    assert await asyncio.wait_for(run, 5) == 0
    assert services.closed == 1
    assert not window.isVisible()


@pytest.mark.asyncio
async def test_quitting_during_a_sync_cancels_it_and_closes_the_services(
    qtbot: QtBot, make_cache: Callable[..., Database]
) -> None:
    gui, service, services, _ = make_gui(qtbot, make_cache(people=3), use_tray=False)
    run = asyncio.get_running_loop().create_task(gui.run())
    await eventually(lambda: gui.controller.phase is Phase.IDLE)
    service.hold = True
    gui.window.sync_action.trigger()
    await eventually(lambda: service.reached_page.is_set())

    gui.request_quit()
    assert await asyncio.wait_for(run, 5) == 0
    assert service.previous is not None and service.previous.outcome is RunOutcome.CANCELLED
    assert not service.running
    assert services.closed == 1


@pytest.mark.asyncio
async def test_with_a_tray_closing_hides_and_the_menu_drives_the_app(
    qtbot: QtBot, make_cache: Callable[..., Database]
) -> None:
    gui, service, services, notifier = make_gui(qtbot, make_cache(people=3), use_tray=True)
    tray = gui.tray
    assert tray is not None
    run = asyncio.get_running_loop().create_task(gui.run())
    window = gui.window
    await eventually(lambda: gui.controller.phase is Phase.IDLE)

    window.close()
    assert not window.isVisible() and not run.done()
    assert notifier.sent[-1].title == "Sync Monitor is still running"
    window.close()
    window.show()
    window.close()
    assert len(notifier.sent) == 1  # told once, not on every close

    tray.activated.emit(QSystemTrayIcon.ActivationReason.Trigger)  # a left click
    assert window.isVisible()

    service.hold = True
    tray.sync_action.trigger()
    await eventually(lambda: tray.cancel_action.isVisible())
    assert tray.state == "syncing"
    tray.cancel_action.trigger()
    await eventually(lambda: not gui.controller.running)
    assert service.previous is not None and service.previous.outcome is RunOutcome.CANCELLED
    assert tray.sync_action.text() == "Sync now" and not tray.cancel_action.isVisible()

    tray.quit_action.trigger()
    assert await asyncio.wait_for(run, 5) == 0
    assert services.closed == 1


@pytest.mark.asyncio
async def test_tray_icon_shows_a_failed_sync(
    qtbot: QtBot, make_cache: Callable[..., Database]
) -> None:
    gui, service, _services, _ = make_gui(qtbot, make_cache(people=1), use_tray=True)
    gui.start()
    await eventually(lambda: gui.controller.phase is Phase.IDLE)
    service.fail_with = ("Workbooks is unreachable", "Check the network and try again.")
    gui.window.sync_action.trigger()
    await eventually(lambda: service.runs and not gui.controller.running)
    assert "failed" in gui.tray.toolTip()
    assert gui.tray.state == "error"
    await gui.shutdown()


def test_run_gui_starts_shows_the_window_and_shuts_down_in_order(
    qtbot: QtBot,
    make_cache: Callable[..., Database],
    tmp_home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(app_module, "tray_available", lambda: False)
    service = FakeSyncService(make_cache(people=4))
    service.previous = succeeded_run(minutes_ago=1)
    services = FakeServices(service)
    seen: list[MainWindow] = []

    def close_when_ready() -> None:
        windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)]
        ready = [w for w in windows if w.isVisible() and w.sync_action.isEnabled()]
        if ready:
            seen.append(ready[0])
            ready[0].close()
        else:
            QTimer.singleShot(20, close_when_ready)

    QTimer.singleShot(20, close_when_ready)
    previous_hook = sys.excepthook
    assert run_gui(Config(), app_paths(), starter=lambda: services) == 0
    assert sys.excepthook is previous_hook
    assert services.closed == 1
    assert seen and seen[0].people.count_label.text() == "4 people"
    assert list((tmp_home / "config").rglob("*.ini"))  # the geometry stays under SYNCMONITOR_HOME


def test_unexpected_errors_show_one_non_modal_dialog(qtbot: QtBot, tmp_path: Path) -> None:
    reporter = CrashReporter(lambda: None, tmp_path / "syncmonitor.log")
    try:
        raise ValueError("the cache row had no id")
    except ValueError as exc:
        reporter(type(exc), exc, exc.__traceback__)
    dialog = reporter.dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.windowModality() is Qt.WindowModality.NonModal
    assert "ValueError: the cache row had no id" in dialog.text()
    assert "syncmonitor.log" in dialog.informativeText()
    assert "the cache row had no id" in dialog.detailedText()

    reporter(RuntimeError, RuntimeError("second"), None)
    assert reporter.dialog is dialog  # a burst updates the same dialog
    assert "1 more error" in dialog.informativeText()
    dialog.close()


def test_notifier_levels_reach_the_recording_notifier() -> None:
    notifier = RecordingNotifier()
    notifier.notify(Notice("sync.record_issues", Level.ISSUE, "Title", "Message"))
    assert notifier.sent[0].level is Level.ISSUE
    assert notifier.sent[0].event == "sync.record_issues"
