"""Keys and menus: Esc never cancels a sync, Cancel asks while writing, every action has a menu."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import replace

import httpx
import pytest
import pytest_asyncio
from gui_fakes import FakeServices, FakeSyncService, eventually, outside_task, succeeded_run
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from syncmonitor.app.config import Config
from syncmonitor.domain.mappings.values import CrmSource
from syncmonitor.engine.sandbox_controls import SandboxControls
from syncmonitor.store.database import Database
from syncmonitor.ui.app import SyncMonitorApp
from syncmonitor.ui.main_window import MainWindow
from syncmonitor.ui.notifier import RecordingNotifier
from syncmonitor.ui.sync_controller import Phase
from syncmonitor.ui.window_menu import shortcut_list

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def app(
    qtbot: QtBot, make_cache: Callable[..., Database]
) -> AsyncIterator[tuple[SyncMonitorApp, FakeSyncService]]:
    service = FakeSyncService(make_cache(people=30))
    service.previous = succeeded_run(minutes_ago=2)
    gui = SyncMonitorApp(
        Config(), lambda: FakeServices(service), use_tray=False, notifier=RecordingNotifier()
    )
    gui.start()
    await eventually(lambda: gui.controller.phase is Phase.IDLE)
    await eventually(lambda: gui.window.people.model.source and not gui.window.people.model.loading)
    gui.window.activateWindow()
    yield gui, service
    await gui.shutdown()
    gui.window.deleteLater()


async def press(qtbot: QtBot, window: MainWindow, keys: str, target: QWidget | None = None) -> None:
    """Type a key combination where the focus is, as a person would (shortcuts included)."""
    combo = QKeySequence(keys)[0]

    def click() -> None:
        widget = target or QApplication.focusWidget() or window
        qtbot.keyClick(widget, combo.key(), combo.keyboardModifiers())

    await outside_task(click)


async def type_text(qtbot: QtBot, widget: QWidget, text: str) -> None:
    await outside_task(lambda: qtbot.keyClicks(widget, text))


async def test_esc_never_cancels_a_running_sync(
    qtbot: QtBot, app: tuple[SyncMonitorApp, FakeSyncService]
) -> None:
    gui, service = app
    window = gui.window
    service.hold = True
    window.sync_action.trigger()
    await eventually(lambda: service.reached_page.is_set())

    window.people.search.setFocus()
    await type_text(qtbot, window.people.search, "ada")
    await press(qtbot, window, "Esc", window.people.search)
    assert window.people.search.text() == ""  # Esc cleared the search...
    await press(qtbot, window, "Esc", window.people.table)
    await press(qtbot, window, "Esc", window)
    await asyncio.sleep(0.05)
    assert gui.controller.phase is Phase.SYNCING  # ...and never touched the sync
    assert QKeySequence("Esc") not in window.cancel_action.shortcuts()

    service.release()
    await eventually(lambda: gui.controller.phase is Phase.IDLE)
    assert service.previous is not None and service.previous.ok


async def test_cancel_has_its_own_keys_and_stays_in_place(
    qtbot: QtBot, app: tuple[SyncMonitorApp, FakeSyncService]
) -> None:
    gui, service = app
    window = gui.window
    button = window.toolbar.widgetForAction(window.cancel_action)
    pause = window.toolbar.widgetForAction(window.pause_action)
    where = (button.geometry(), pause.geometry())
    assert button.isVisible() and not button.isEnabled()
    assert "Ctrl+." in window.cancel_action.toolTip()

    service.hold = True
    window.sync_action.trigger()
    await eventually(lambda: service.reached_page.is_set())
    assert (button.geometry(), pause.geometry()) == where  # nothing moved under the pointer
    assert button.isEnabled()
    window.people.table.setFocus()
    await press(qtbot, window, "Ctrl+.")
    await eventually(lambda: gui.controller.phase is Phase.IDLE)
    assert service.previous is not None and service.previous.outcome.value == "cancelled"
    assert (button.geometry(), pause.geometry()) == where
    assert not button.isEnabled()


async def test_cancel_while_writing_asks_first(
    qtbot: QtBot, app: tuple[SyncMonitorApp, FakeSyncService]
) -> None:
    gui, service = app
    window = gui.window
    service.hold = True
    service.hold_writing = True
    window.sync_action.trigger()
    await eventually(lambda: service.reached_page.is_set())
    assert gui.controller.writing_back

    window.cancel_action.trigger()
    box = window.cancel_question
    assert isinstance(box, QMessageBox) and box.isVisible()
    assert "writing to Workbooks or Outreach" in box.informativeText()
    await press(qtbot, window, "Esc", box)  # Esc dismisses the question: keep syncing
    await eventually(lambda: window.cancel_question is None)
    assert gui.controller.phase is Phase.SYNCING

    window.activateWindow()  # the question has closed: the window has the keys again
    window.people.table.setFocus()
    await press(qtbot, window, "Shift+F5")
    box = window.cancel_question
    assert box is not None
    stop = next(b for b in box.buttons() if b.text() == "Cancel sync")
    await outside_task(stop.click)
    await eventually(lambda: gui.controller.phase is Phase.IDLE)
    assert service.previous is not None and service.previous.outcome.value == "cancelled"


async def test_ctrl_number_shows_each_page(
    qtbot: QtBot, app: tuple[SyncMonitorApp, FakeSyncService]
) -> None:
    gui, _service = app
    window = gui.window
    pages = window.all_pages()
    assert len(pages) == 8
    window.people.table.setFocus()
    for number in range(8, 0, -1):
        await press(qtbot, window, f"Ctrl+{number}")
        assert window.pages.currentWidget() is pages[number - 1]
        assert window.sidebar.currentRow() == number - 1


async def test_every_action_and_its_keys_are_in_the_menu_bar(
    qtbot: QtBot, app: tuple[SyncMonitorApp, FakeSyncService]
) -> None:
    gui, _service = app
    window = gui.window
    menus = [a.text().replace("&", "") for a in window.menuBar().actions()]
    assert menus == ["File", "Edit", "View", "Sync", "Sandbox", "Help"]  # Sandbox: hidden here
    in_menus = {a for m in window.menuBar().actions() for a in m.menu().actions()}
    for action in window.toolbar.actions():
        if action.text() and not action.isSeparator() and action.isVisible():
            assert action in in_menus, action.text()
    keys = dict(shortcut_list(window))
    assert keys["Sync now"] == "F5"
    assert keys["Cancel sync"] == "Ctrl+. or Shift+F5"
    assert keys["Redo"] == "Ctrl+Y or Ctrl+Shift+Z"
    assert keys["People"] == "Ctrl+1" and keys["Log"] == "Ctrl+8"
    assert keys["Clear the search, close a popup"] == "Esc"


async def test_redo_answers_to_ctrl_y_and_ctrl_shift_z(
    qtbot: QtBot, app: tuple[SyncMonitorApp, FakeSyncService]
) -> None:
    gui, _service = app
    window = gui.window
    page = window.mapping_pages[0]
    window.show_page(page)
    workspace = page.workspace
    # The page is built on its first visit and reads the saved mappings then: edit after that
    # read (which resets the history when nothing is unsaved, and could land after an edit).
    await eventually(lambda: workspace.loaded)
    assert not window.undo_action.isEnabled() and not window.redo_action.isEnabled()
    before = workspace.mappings
    other = next(s for s in CrmSource if s is not before.crm_source)
    workspace.apply(replace(before, crm_source=other), "an edit")
    assert window.undo_action.isEnabled() and window.undo_action.text() == "Undo an edit"
    # Pressed on the mapping page itself: a text box with the focus (the People search, built
    # just after the first paint) takes Ctrl+Shift+Z as its own Redo, as it should.
    page.setFocus()
    for redo in ("Ctrl+Y", "Ctrl+Shift+Z"):
        await press(qtbot, window, "Ctrl+Z", target=page)
        assert not workspace.history.can_undo and window.redo_action.isEnabled()
        await press(qtbot, window, redo, target=page)
        assert workspace.history.can_undo, redo
    workspace.revert()  # nothing unsaved: closing the window asks no question


async def test_at_1024_by_700_the_detail_goes_under_the_list_and_every_column_shows(
    qtbot: QtBot, app: tuple[SyncMonitorApp, FakeSyncService]
) -> None:
    gui, _service = app
    window = gui.window
    window.show()
    for page in (window.people, window.queue):
        window.show_page(page)
        window.resize(1024, 700)
        await eventually(lambda p=page: p.splitter.orientation() is Qt.Orientation.Vertical)
        table = page.table
        header = table.horizontalHeader()
        last = max(range(header.count()), key=header.sectionViewportPosition)
        if page is window.people:  # the queue is empty here: its table is not shown
            await eventually(lambda t=table: t.isVisible())
            edge = header.sectionViewportPosition(last) + header.sectionSize(last)
            assert edge <= table.viewport().width()  # no column behind a scroll bar
            assert not table.horizontalScrollBar().isVisible()
        window.resize(1600, 1000)
        await eventually(lambda p=page: p.splitter.orientation() is Qt.Orientation.Horizontal)


async def test_read_now_stays_put_when_a_banner_appears(
    qtbot: QtBot, app: tuple[SyncMonitorApp, FakeSyncService]
) -> None:
    gui, _service = app
    window = gui.window
    window.show()
    window.show_page(window.queue)
    queue = window.queue
    await asyncio.sleep(0.05)
    where = queue.read_now.mapTo(window, queue.read_now.rect().topLeft())
    queue.banner_text.setText("<b>The GatorMail queue is blocked.</b><br>" + "Words " * 60)
    queue.banner.show()
    await asyncio.sleep(0.05)
    assert queue.read_now.mapTo(window, queue.read_now.rect().topLeft()) == where


async def test_the_sandbox_menu_plays_a_story_in_one_click(
    qtbot: QtBot, make_cache: Callable[..., Database]
) -> None:
    seen: list[tuple[str, str, bytes]] = []

    def admin(request: httpx.Request) -> httpx.Response:
        seen.append((request.method, request.url.path, request.content))
        return httpx.Response(200, json={})

    service = FakeSyncService(make_cache(people=10))
    service.previous = succeeded_run(minutes_ago=2)
    services = FakeServices(service)
    services.sandbox_controls = SandboxControls(  # type: ignore[attr-defined]
        "http://127.0.0.1:4999/_admin", transport=httpx.MockTransport(admin)
    )
    gui = SyncMonitorApp(Config(), lambda: services, use_tray=False, notifier=RecordingNotifier())
    gui.start()
    try:
        window = gui.window
        menu = window.sandbox_menu
        await eventually(lambda: menu.menuAction().isVisible())
        titles = [a.text() for a in menu.actions() if a.text()]
        assert "Block the mailshot queue with a long name" in titles
        assert "Take away the sequenceStates.read scope" in titles
        assert "Admin switches: http://127.0.0.1:4999/_admin" in titles
        assert "Sandbox menu" in window.banner_label.text()

        menu.story_actions["stop_integration"].trigger()
        await eventually(lambda: menu.last_outcome is not None)
        assert seen == [("PUT", "/_admin/gatormail", b'{"running":false}')]
        assert "Sandbox: Stop the GatorMail integration" in window.status.activity.text()
        assert window.pages.currentWidget() is window.queue  # where the story shows
    finally:
        await gui.shutdown()
        gui.window.deleteLater()


async def test_no_sandbox_menu_against_real_remotes(
    qtbot: QtBot, app: tuple[SyncMonitorApp, FakeSyncService]
) -> None:
    gui, _service = app
    assert not gui.window.sandbox_menu.menuAction().isVisible()


async def test_the_first_sync_says_it_is_running_not_press_sync_now(
    qtbot: QtBot, make_cache: Callable[..., Database]
) -> None:
    service = FakeSyncService(make_cache(people=0))
    service.previous = succeeded_run(minutes_ago=2)
    gui = SyncMonitorApp(
        Config(), lambda: FakeServices(service), use_tray=False, notifier=RecordingNotifier()
    )
    gui.start()
    try:
        page = gui.window.people
        await eventually(lambda: gui.controller.phase is Phase.IDLE and not page.model.loading)
        assert page.empty.title.text() == "No people yet: press Sync now"
        service.hold = True
        gui.window.sync_action.trigger()
        await eventually(lambda: service.reached_page.is_set())
        await eventually(lambda: "(200 of 1,000)" in page.empty.hint.text())
        assert page.empty.title.text() == "The first sync is running…"
        assert "Reading Outreach sequence states" in page.empty.hint.text()
        service.release()
        await eventually(lambda: gui.controller.phase is Phase.IDLE)
        await eventually(lambda: page.empty.title.text() == "No people yet: press Sync now")
    finally:
        await gui.shutdown()
        gui.window.deleteLater()


async def test_an_error_on_one_mapping_page_stays_on_that_page(
    qtbot: QtBot, app: tuple[SyncMonitorApp, FakeSyncService]
) -> None:
    gui, _service = app
    window = gui.window
    lead, contact, fields = window.mapping_pages
    window.show()
    window.show_page(lead)
    lead.workspace.failed.emit("Not a mapping file", "Use a file made by Export.")
    assert lead.message.isVisibleTo(lead) and "Not a mapping file" in lead.message.text()
    window.show_page(fields)
    assert not fields.message.isVisibleTo(fields) and fields.message.text() == ""
    assert not contact.message.isVisibleTo(contact)


async def test_the_log_holds_what_people_did_and_no_developer_timings(
    qtbot: QtBot, app: tuple[SyncMonitorApp, FakeSyncService], caplog: pytest.LogCaptureFixture
) -> None:
    gui, service = app
    caplog.set_level(logging.INFO)
    service.hold = True
    gui.window.sync_action.trigger()
    await eventually(lambda: service.reached_page.is_set())
    gui.window.cancel_action.trigger()
    await eventually(lambda: gui.controller.phase is Phase.IDLE)
    gui.window.pause_action.trigger()
    gui.window.people.model.refresh()
    await eventually(lambda: not gui.window.people.model.loading)
    info = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    assert any(m.startswith("Asked to sync: the full sync") for m in info)
    assert any(m.startswith("Cancel pressed") for m in info)
    assert "Scheduled syncs paused (Sync now still works)" in info
    assert not any(" took " in m and m.endswith(" ms") for m in info)


async def test_field_directions_name_the_systems_with_an_arrow(
    qtbot: QtBot, app: tuple[SyncMonitorApp, FakeSyncService]
) -> None:
    gui, _service = app
    fields = gui.window.mapping_pages[2]
    gui.window.show_page(fields)
    fields.table.selectRow(0)
    await asyncio.sleep(0.05)
    editor = fields.editor
    texts = [editor.direction.itemText(i) for i in range(editor.direction.count())]
    assert texts == [
        "Outreach → Workbooks",
        "Workbooks → Outreach",
        "Both ways, Workbooks ↔ Outreach (newest change wins)",
    ]
    labels = [box.text() for box in editor.checks.values()]
    assert "Skip empty values Outreach → Workbooks (leave the Workbooks value)" in labels
    assert not any("CRM" in text for text in (*texts, *labels))
