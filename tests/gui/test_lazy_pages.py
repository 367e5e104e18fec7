"""Pages built on their first visit: the sidebar is whole from the first frame, the page shown
at start is built just after the first paint, every other page when it is first shown, and a
page built late catches up with what the window already knows (the wait, the services, its
saved state)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from gui_fakes import FakeServices, FakeSyncService, eventually, succeeded_run
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from syncmonitor.app.config import Config
from syncmonitor.store.database import Database
from syncmonitor.ui.app import SyncMonitorApp
from syncmonitor.ui.notifier import RecordingNotifier
from syncmonitor.ui.page_stack import Placeholder

pytestmark = pytest.mark.asyncio

SIDEBAR = [
    "People",
    "Lead Status",
    "Contact Status",
    "Field mappings",
    "Queue",
    "Runs",
    "Issues",
    "Log",
]


def sidebar_texts(gui: SyncMonitorApp) -> list[str]:
    bar = gui.window.sidebar
    return [bar.item(row).text() for row in range(bar.count())]


async def test_only_the_page_on_screen_is_built_and_a_late_page_catches_up(
    qtbot: QtBot, make_cache: Callable[..., Database]
) -> None:
    service = FakeSyncService(make_cache(people=3))
    service.previous = succeeded_run(minutes_ago=1)
    gate = threading.Event()

    def slow_start() -> FakeServices:
        gate.wait(5)
        return FakeServices(service)

    gui = SyncMonitorApp(Config(), slow_start, use_tray=False, notifier=RecordingNotifier())
    qtbot.addWidget(gui.window)
    window = gui.window
    stack = window.page_stack
    assert sidebar_texts(gui) == SIDEBAR  # every name from the first frame
    assert window.built_pages() == []  # nothing built before the window shows
    assert isinstance(window.pages.widget(0), Placeholder)

    gui.start()
    await eventually(lambda: stack.is_built(0))  # People: just after the first paint
    assert window.pages.currentWidget() is window.people
    assert window.people.empty.title.text() == "Starting the sandbox…"
    assert [stack.is_built(row) for row in range(1, len(SIDEBAR))] == [False] * 7

    # Runs, first shown while the services still start: it says what it waits for.
    runs_row = SIDEBAR.index("Runs")
    window.sidebar.setCurrentRow(runs_row)
    assert stack.is_built(runs_row) and window.pages.currentWidget() is window.runs
    assert window.runs.empty.title.text() == "Starting the sandbox…"
    assert not stack.is_built(SIDEBAR.index("Issues"))

    gate.set()
    await eventually(lambda: window.sync_action.isEnabled())
    assert window.runs.model.source is not None  # told when the services came
    # Issues, first shown after the services are ready: it reads through them at once.
    window.sidebar.setCurrentRow(SIDEBAR.index("Issues"))
    assert window.issues.model.source is not None
    # The three mapping pages share one workspace: showing one builds the three.
    window.sidebar.setCurrentRow(SIDEBAR.index("Contact Status"))
    assert all(stack.is_built(SIDEBAR.index(t)) for t in SIDEBAR[1:4])
    assert len({id(page.workspace) for page in window.mapping_pages}) == 1
    # Every page, once built, has the title its sidebar row showed before it existed.
    assert [page.title for page in window.all_pages()] == SIDEBAR
    await gui.shutdown()


async def test_a_page_never_visited_keeps_its_saved_state_and_a_late_one_restores_it(
    qtbot: QtBot, make_cache: Callable[..., Database]
) -> None:
    service = FakeSyncService(make_cache(people=2))
    service.previous = succeeded_run(minutes_ago=1)
    settings = QSettings()
    settings.setValue("runs/splitter", b"kept from last time")
    gui = SyncMonitorApp(
        Config(), lambda: FakeServices(service), use_tray=False, notifier=RecordingNotifier()
    )
    qtbot.addWidget(gui.window)
    gui.start()
    await eventually(lambda: gui.window.sync_action.isEnabled())
    gui.window.save_geometry()  # the Runs page was never built: its state is left alone
    assert QSettings().value("runs/splitter") == b"kept from last time"
    await gui.shutdown()
