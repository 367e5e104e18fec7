"""The People page's filters, named views and CSV export, driven as an admin would."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from gui_fakes import services_over, succeeded_run
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QInputDialog, QMessageBox
from pytestqt.qtbot import QtBot

from people_world import fill_world
from store_backends import open_sqlite
from syncmonitor.domain.people_filter import PeopleFilter, Period
from syncmonitor.domain.states import CanonicalState
from syncmonitor.domain.timestamps import utc_now
from syncmonitor.engine.people.views import PeopleViews
from syncmonitor.store.database import Database
from syncmonitor.ui.models import PeopleModel
from syncmonitor.ui.people.export_flow import FOLDER_KEY
from syncmonitor.ui.people.page import PeoplePage
from syncmonitor.ui.people.views_sidebar import COUNT_ROLE

S = CanonicalState


@pytest.fixture
def db(tmp_path: Path) -> Database:
    database = open_sqlite(tmp_path / "cache.sqlite3")
    fill_world(database, utc_now())
    yield database
    database.close()


@pytest.fixture
def page(qtbot: QtBot, db: Database, tmp_path: Path) -> PeoplePage:
    widget = PeoplePage()
    widget.resize(1300, 800)
    qtbot.addWidget(widget)
    widget.show()
    services = services_over(db)
    services.people.views = PeopleViews(tmp_path / "settings" / "people-views.json")
    widget.set_services(services)
    settled(qtbot, widget)
    return widget


def settled(qtbot: QtBot, page: PeoplePage) -> None:
    qtbot.waitUntil(lambda: not page.model.loading, timeout=3000)
    qtbot.waitUntil(lambda: page.filters._counts is not None, timeout=3000)


def names(page: PeoplePage) -> list[str]:
    m = page.model
    return [m.data(m.index(r, PeopleModel.NAME)) for r in range(m.rowCount())]


def test_a_state_choice_filters_the_list_and_its_count_in_place(
    qtbot: QtBot, page: PeoplePage
) -> None:
    assert page.count_label.text() == "7 people"
    bounced = page.filters.state_actions[S.BOUNCED]
    assert bounced.text() == "Bounced (2)"  # what choosing it would give, read off the GUI thread
    bounced.trigger()
    settled(qtbot, page)
    assert names(page) == ["Cleo Bounced", "Fay Twin"]
    assert page.count_label.text() == "2 people"
    assert page.filters.state_button.text() == "State: Bounced"
    # With Bounced chosen, each provider says how many bounced people it would give.
    assert page.filters.provider_actions[next(iter(page.filters.provider_actions))].text() == (
        "Outreach (1)"
    )
    page.filters.state_actions[S.FAILED].trigger()  # a second state: either one
    settled(qtbot, page)
    assert names(page) == ['=HYPERLINK("http://evil")', "Cleo Bounced", "Fay Twin"]


def test_filters_combine_with_the_search_and_clear_keeps_the_search(
    qtbot: QtBot, page: PeoplePage
) -> None:
    page.filters.state_actions[S.OPTED_OUT].trigger()
    settled(qtbot, page)
    qtbot.keyClicks(page.search, "ben")
    qtbot.waitUntil(lambda: page.model.search_text == "ben", timeout=2000)
    settled(qtbot, page)
    assert names(page) == ["Ben Oldoptout"]
    page.filters.period_actions[Period.LAST_7_DAYS].trigger()  # Ben's opt-out is 20 days old
    settled(qtbot, page)
    assert names(page) == []
    assert page.empty.isVisible()
    assert "No one matches these filters" in page.empty.title.text()
    page.filters.clear_button.click()
    settled(qtbot, page)
    assert names(page) == ["Ben Oldoptout"]  # the search stays
    assert page.filters.state_button.text() == "State"


def test_the_sequence_menu_lists_the_caches_sequences_with_counts(
    qtbot: QtBot, page: PeoplePage
) -> None:
    texts = sorted(a.text() for a in page.filters.sequence_actions.values())
    assert texts == [
        "Demo request (Outreach) (3)",
        "Renewals (Salesmate) (2)",
        "Webinar follow-up (Outreach) (4)",
    ]
    page.filters.sequence_actions[("salesmate", 7)].trigger()
    settled(qtbot, page)
    assert names(page) == ['=HYPERLINK("http://evil")', "Fay Twin"]
    assert page.filters.sequence_button.text() == "Sequence: Renewals"


def test_save_a_view_open_it_in_one_click_rename_delete_and_keep_it(
    qtbot: QtBot, page: PeoplePage, db: Database, tmp_path: Path
) -> None:
    page.filters.state_actions[S.BOUNCED].trigger()
    settled(qtbot, page)
    page.ask_save_view()
    asked = page.window().findChild(QInputDialog, "saveViewDialog")
    assert asked is not None and asked.isVisible() and asked.textValue() == "Bounced"
    asked.setTextValue("Bounces to check")
    asked.accept()
    views = page.views_list.list
    names_shown = [views.item(i).text() for i in range(views.count())]
    assert names_shown[-1] == "Bounces to check"
    qtbot.waitUntil(lambda: views.item(views.count() - 1).data(COUNT_ROLE) == 2, timeout=3000)
    assert views.currentItem().text() == "Bounces to check"  # the page shows that view

    page.filters.clear_button.click()  # the list changes: no view is shown any more
    settled(qtbot, page)
    assert views.currentItem() is None
    views.itemClicked.emit(views.item(views.count() - 1))  # one click
    settled(qtbot, page)
    assert names(page) == ["Cleo Bounced", "Fay Twin"]
    assert page.filters.state_actions[S.BOUNCED].isChecked()

    page.views_list.rename(page.views_list.views()[-1], "  Bounced  (all) ")
    first = page.views_list.views()[0]
    for answer in ("Cancel", "Delete view"):  # asked first; Cancel keeps it
        page.views_list.ask_delete(first)
        boxes = page.views_list.window().findChildren(QMessageBox, "deleteView")
        box = next(b for b in boxes if b.isVisible())  # the one just opened
        assert first.name in box.text()
        assert box.defaultButton() is box.button(QMessageBox.StandardButton.Cancel)
        button = next(b for b in box.buttons() if b.text() == answer)
        button.click()
        shown = [v.name for v in page.views_list.views()]
        assert (first.name in shown) is (answer == "Cancel")
    kept = PeopleViews(tmp_path / "settings" / "people-views.json").all()  # a restart
    assert [v.name for v in kept] == [
        "Bounced this week",
        "Failed or disabled",
        "Changed today",
        "Bounced (all)",
    ]
    assert kept[-1].filter == PeopleFilter(states=frozenset({S.BOUNCED}))


def test_a_view_with_a_search_and_a_period_opens_whole(qtbot: QtBot, page: PeoplePage) -> None:
    view = page.people_service.views.save(  # type: ignore[union-attr]
        "Ada lately", PeopleFilter(text="ada", changed=Period.LAST_7_DAYS)
    )
    page.views_list.reload()
    page.open_view(view)
    settled(qtbot, page)
    assert page.search.text() == "ada"
    assert page.filters.changed_button.text() == "Changed: last 7 days"
    assert names(page) == ["Ada Opted"]


def test_export_writes_the_filtered_list_and_says_how_many_and_where(
    qtbot: QtBot, page: PeoplePage, tmp_path: Path
) -> None:
    page.filters.state_actions[S.FAILED].trigger()
    page.filters.state_actions[S.BOUNCED].trigger()
    settled(qtbot, page)
    target = tmp_path / "out" / "bounced.csv"
    target.parent.mkdir()
    page.export.write(target)
    qtbot.waitUntil(lambda: "Wrote" in page.message.text(), timeout=3000)
    assert f"Wrote 3 people to {target}" in page.message.text()
    rows = list(csv.reader(target.open(encoding="utf-8-sig")))
    assert [r[0] for r in rows] == [
        "Name",
        '\'=HYPERLINK("http://evil")',
        "Cleo Bounced",
        "Fay Twin",
    ]
    # The next export's dialog opens in the folder used last.
    assert QSettings().value(FOLDER_KEY) == str(target.parent)
    page.export.ask()
    dialog = page.export.dialog
    assert dialog is not None and dialog.isVisible()
    assert Path(dialog.directory().absolutePath()) == target.parent
    assert dialog.selectedFiles()[0].endswith(".csv")
    dialog.reject()


def test_a_failed_export_says_nothing_was_written_and_what_to_do(
    qtbot: QtBot, page: PeoplePage, tmp_path: Path
) -> None:
    page.export.write(tmp_path / "missing-folder" / "x.csv")
    qtbot.waitUntil(lambda: "Nothing was exported" in page.message.text(), timeout=3000)
    assert "Choose another folder" in page.message.text()
    assert page.export_button.isEnabled()


def test_counts_and_views_are_read_again_after_a_sync(
    qtbot: QtBot, page: PeoplePage, db: Database
) -> None:
    from sqlalchemy import update

    from syncmonitor.store.schema import sequence_states

    with db.engine.begin() as conn:
        conn.execute(
            update(sequence_states)
            .where(sequence_states.c.prospect_id == 4)
            .values(state="Bounced")
        )
    page.sync_finished(succeeded_run())
    qtbot.waitUntil(
        lambda: page.filters.state_actions[S.BOUNCED].text() == "Bounced (3)", timeout=3000
    )


@pytest.mark.asyncio
async def test_views_sit_under_the_pages_in_the_sidebar_and_open_the_people_page(
    qtbot: QtBot, db: Database
) -> None:
    from gui_fakes import FakeServices, FakeSyncService, eventually

    from syncmonitor.app.config import Config
    from syncmonitor.ui.app import SyncMonitorApp
    from syncmonitor.ui.notifier import RecordingNotifier
    from syncmonitor.ui.sync_controller import Phase

    service = FakeSyncService(db, sandbox_mode=True)
    service.previous = succeeded_run(minutes_ago=2)
    services = FakeServices(service)
    gui = SyncMonitorApp(Config(), lambda: services, use_tray=False, notifier=RecordingNotifier())
    gui.start()
    try:
        window = gui.window
        await eventually(lambda: gui.controller.phase is Phase.IDLE)
        views = window.people.views_list
        await eventually(lambda: views.isVisible() and views.list.count() == 4)
        assert views.parentWidget() is window.sidebar_column
        # Under the pages, not hidden behind them: the pages' list ends above the views.
        assert window.sidebar.geometry().bottom() <= views.geometry().top()
        await eventually(lambda: views.list.item(2).data(COUNT_ROLE) == 1)  # Failed or disabled
        window.show_page(window.runs)
        views.list.itemClicked.emit(views.list.item(2))
        assert window.pages.currentWidget() is window.people
        await eventually(lambda: window.people.count_label.text() == "1 person")
        export = window.findChild(QAction, "exportPeople")
        assert export is not None and export in window.menuBar().actions()[0].menu().actions()
    finally:
        await gui.shutdown()
        gui.window.deleteLater()


def test_a_hidden_page_reads_its_filter_counts_when_it_is_shown(qtbot: QtBot, db: Database) -> None:
    hidden = PeoplePage()
    qtbot.addWidget(hidden)
    hidden.set_services(services_over(db))
    qtbot.waitUntil(lambda: not hidden.model.loading, timeout=3000)
    qtbot.wait(100)
    assert hidden.filters._counts is None  # nobody sees them: not read
    hidden.show()
    qtbot.waitUntil(lambda: hidden.filters._counts is not None, timeout=3000)
    assert hidden.filters.state_actions[S.OPTED_OUT].text() == "Opted Out (2)"


def test_the_state_menu_stays_open_while_several_states_are_ticked(
    qtbot: QtBot, page: PeoplePage
) -> None:
    from PySide6.QtCore import QPoint

    menu = page.filters.state_button.menu_
    menu.popup(page.filters.state_button.mapToGlobal(QPoint(0, 0)))
    qtbot.waitUntil(menu.isVisible, timeout=2000)
    for state in (S.BOUNCED, S.FAILED):
        where = menu.actionGeometry(page.filters.state_actions[state]).center()
        qtbot.mouseMove(menu, where)
        qtbot.mouseClick(menu, Qt.MouseButton.LeftButton, pos=where)
    assert menu.isVisible()  # still open: both ticked in one visit
    settled(qtbot, page)
    assert names(page) == ['=HYPERLINK("http://evil")', "Cleo Bounced", "Fay Twin"]
    qtbot.keyClick(menu, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not menu.isVisible(), timeout=2000)
