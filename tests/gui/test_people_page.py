"""The People page, driven as a person would: search, scroll, select, read the timeline."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from gui_cache import RAW_WALK, PersonSpec, Transition, generated_people, insert_people
from gui_fakes import services_over, succeeded_run
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QAbstractItemView
from pytestqt.qtbot import QtBot

from syncmonitor.store.database import Database
from syncmonitor.store.schema import state_history
from syncmonitor.ui import formatting
from syncmonitor.ui.models import PeopleModel, TimelineModel
from syncmonitor.ui.models.timeline import DETAIL_ROLE, TIME_ROLE
from syncmonitor.ui.people.page import PeoplePage

Role = Qt.ItemDataRole

UNKNOWN_PERSON = PersonSpec(
    id=7001,
    name="Uma Unknown",
    email="uma@unknown.example.com",
    history={
        2: [Transition("active", 1), Transition("active", 2)],
        3: [Transition("pending", 1), Transition("scheduled_to_finish", 3)],
    },
)
OPTED_OUT = PersonSpec(
    id=7002,
    name="Otto Optout",
    email="otto@example.com",
    opted_out=True,
    history={1: [Transition("active", 1), Transition("finished", 2, opt_out_count=1)]},
)
LONG_HISTORY = PersonSpec(
    id=7003,
    name="Lena Longhistory",
    email="lena@example.com",
    history={4: [Transition(RAW_WALK[n % len(RAW_WALK)], 1 + n % 5) for n in range(250)]},
)


@pytest.fixture
def page(qtbot: QtBot) -> PeoplePage:
    widget = PeoplePage()
    widget.resize(1300, 800)
    qtbot.addWidget(widget)
    widget.show()
    return widget


def open_cache(qtbot: QtBot, page: PeoplePage, db: Database) -> None:
    page.set_services(services_over(db))
    qtbot.waitUntil(lambda: not page.model.loading, timeout=3000)


def search(qtbot: QtBot, page: PeoplePage, text: str) -> None:
    page.search.clear()
    qtbot.keyClicks(page.search, text)
    qtbot.waitUntil(lambda: page.model.search_text == text.strip(), timeout=2000)
    qtbot.waitUntil(lambda: not page.model.loading, timeout=3000)


def names(page: PeoplePage) -> list[str]:
    model = page.model
    return [model.data(model.index(r, PeopleModel.NAME)) for r in range(model.rowCount())]


def laid_out(qtbot: QtBot, view: QAbstractItemView) -> None:
    """Wait for the view's deferred layout, so its scroll range covers every loaded row."""
    bar = view.verticalScrollBar()
    model = view.model()
    expected = model.rowCount() * view.sizeHintForRow(0) - view.viewport().height()
    qtbot.waitUntil(lambda: bar.maximum() >= expected, timeout=2000)


def select(qtbot: QtBot, page: PeoplePage, name: str) -> int:
    row = names(page).index(name)
    index = page.model.index(row, PeopleModel.NAME)
    page.table.scrollTo(index)
    qtbot.mouseClick(
        page.table.viewport(), Qt.MouseButton.LeftButton, pos=page.table.visualRect(index).center()
    )
    qtbot.waitUntil(lambda: page.detail.name_label.text() == name, timeout=2000)
    qtbot.waitUntil(lambda: not page.detail.timeline.loading, timeout=3000)
    return row


def cells(model: object, row: int, role: int = Role.DisplayRole) -> list[object]:
    return [model.data(model.index(row, c), role) for c in range(model.columnCount())]  # type: ignore[attr-defined]


def test_waiting_then_empty_cache_says_to_sync(
    qtbot: QtBot, page: PeoplePage, make_cache: Callable[..., Database]
) -> None:
    page.set_waiting("Starting the sandbox…")
    assert page.empty.title.text() == "Starting the sandbox…"
    assert page.list_stack.currentWidget() is page.empty

    open_cache(qtbot, page, make_cache(people=0))

    assert page.empty.title.text() == "No people yet: press Sync now"
    assert page.count_label.text() == "0 people"
    assert page.detail.stack.currentWidget() is page.detail.placeholder


def test_search_by_name_and_email_is_debounced(
    qtbot: QtBot, page: PeoplePage, make_cache: Callable[..., Database]
) -> None:
    db = make_cache(people=450)
    open_cache(qtbot, page, db)
    assert page.count_label.text() == "450 people"

    qtbot.keyClicks(page.search, "ada")
    assert page.model.search_text == ""  # nothing happens while the person is still typing
    qtbot.waitUntil(lambda: page.model.search_text == "ada", timeout=2000)
    qtbot.waitUntil(lambda: not page.model.loading, timeout=3000)

    expected = sorted(
        (p.name, p.id) for p in generated_people(450, 4) if "ada" in f"{p.name} {p.email}".lower()
    )
    assert names(page) == [n for n, _ in expected]
    assert page.count_label.text() == formatting.people_count(len(expected))

    search(qtbot, page, "jensen@example")  # the email address, several words
    assert names(page) and all("Jensen" in n for n in names(page))

    search(qtbot, page, "xyz")
    assert page.list_stack.currentWidget() is page.empty
    assert page.empty.title.text() == "No one matches 'xyz'"
    assert page.count_label.text() == "0 people"


def test_list_reads_200_at_a_time_as_the_person_scrolls(
    qtbot: QtBot, page: PeoplePage, make_cache: Callable[..., Database]
) -> None:
    open_cache(qtbot, page, make_cache(people=450))
    model = page.model
    assert model.rowCount() == 200 and model.canFetchMore(QModelIndex())

    page.table.scrollToBottom()
    qtbot.waitUntil(lambda: model.rowCount() == 400, timeout=2000)
    page.table.scrollToBottom()
    qtbot.waitUntil(lambda: model.rowCount() == 450, timeout=2000)
    assert not model.canFetchMore(QModelIndex())
    assert names(page) == sorted(names(page))
    assert page.count_label.text() == "450 people"


def test_selecting_a_person_shows_states_and_timeline(
    qtbot: QtBot, page: PeoplePage, make_cache: Callable[..., Database]
) -> None:
    open_cache(qtbot, page, make_cache(people=30, extra=[UNKNOWN_PERSON]))
    select(qtbot, page, "Uma Unknown")
    detail = page.detail
    assert detail.email_label.text() == "uma@unknown.example.com"
    assert "Workbooks person 50007001" in detail.workbooks_label.text()
    assert not detail.opted_out_badge.isVisibleTo(detail)

    states = detail.states
    rows = [cells(states, r) for r in range(states.rowCount())]
    # Most recently changed first: sequence 3 moved last.
    assert rows[0][:3] == ["Renewal reminders", "3 of 5", "Unknown (scheduled_to_finish)"]
    assert rows[1][:3] == ["Inbound demo request", "2 of 5", "Active – Running"]

    timeline = detail.timeline
    assert timeline.rowCount() == 4
    first = timeline.index(0, 0)
    assert first.data() == "Unknown (scheduled_to_finish)"
    assert "raw “scheduled_to_finish”" in first.data(DETAIL_ROLE)
    assert "Renewal reminders" in first.data(DETAIL_ROLE)
    assert "step 3 of 5" in first.data(DETAIL_ROLE)
    assert "seen" in first.data(DETAIL_ROLE)
    assert first.data(TIME_ROLE) == formatting.short_time(
        timeline.row_at(0).state_changed_at  # type: ignore[union-attr]
    )
    # Ordered by when the state changed (both sequences interleave), not by insertion.
    assert timeline.index(1, 0).data() == "Active – Running"
    assert "Inbound demo request" in timeline.index(1, 0).data(DETAIL_ROLE)
    pending = timeline.index(2, 0)
    assert pending.data() == "Pending"
    assert "raw “pending”" in pending.data(DETAIL_ROLE)
    assert "Outreach said “pending”" in pending.data(Role.ToolTipRole)
    changed = [timeline.row_at(r).state_changed_at for r in range(4)]  # type: ignore[union-attr]
    assert changed == sorted(changed, reverse=True)
    assert len(set(changed)) == 4


def test_unknown_state_is_shown_as_unknown_with_its_raw_text_and_its_own_style(
    qtbot: QtBot, page: PeoplePage, make_cache: Callable[..., Database]
) -> None:
    open_cache(qtbot, page, make_cache(people=5, extra=[UNKNOWN_PERSON]))
    row = select(qtbot, page, "Uma Unknown")

    listed = page.model.index(row, PeopleModel.STATE)
    assert listed.data() == "Unknown (scheduled_to_finish)"
    font = listed.data(Role.FontRole)
    assert isinstance(font, QFont) and font.italic()
    assert listed.data(Role.ForegroundRole) == formatting.UNKNOWN_TEXT
    assert "does not know" in listed.data(Role.ToolTipRole)

    known = page.model.index(names(page).index("Ada Abbott"), PeopleModel.STATE)
    assert known.data(Role.FontRole) is None and known.data(Role.ForegroundRole) is None

    state = page.detail.states.index(0, 2)
    assert state.data() == "Unknown (scheduled_to_finish)"
    assert state.data(Role.FontRole).italic()
    entry = page.detail.timeline.index(0, 0)
    assert entry.data(Role.ForegroundRole) == formatting.UNKNOWN_TEXT


def test_opted_out_people_are_marked(
    qtbot: QtBot, page: PeoplePage, make_cache: Callable[..., Database]
) -> None:
    open_cache(qtbot, page, make_cache(people=5, extra=[OPTED_OUT]))
    row = select(qtbot, page, "Otto Optout")
    name = page.model.index(row, PeopleModel.NAME)
    assert name.data(Role.DecorationRole) is not None
    assert "Opted out" in name.data(Role.ToolTipRole)
    assert page.model.index(row, PeopleModel.STATE).data() == "Opted Out (opt-out)"
    assert page.detail.opted_out_badge.isVisibleTo(page.detail)
    assert "No Email on" in page.detail.workbooks_label.text()

    other = page.model.index(names(page).index("Ada Abbott"), PeopleModel.NAME)
    assert other.data(Role.DecorationRole) is None


def test_timeline_pages_backwards_as_the_person_scrolls(
    qtbot: QtBot, page: PeoplePage, make_cache: Callable[..., Database]
) -> None:
    open_cache(qtbot, page, make_cache(people=3, extra=[LONG_HISTORY]))
    select(qtbot, page, "Lena Longhistory")
    timeline: TimelineModel = page.detail.timeline
    view = page.detail.timeline_view
    assert timeline.rowCount() == 100

    view.scrollToBottom()
    qtbot.waitUntil(lambda: timeline.rowCount() == 200, timeout=2000)
    view.scrollToBottom()
    qtbot.waitUntil(lambda: timeline.rowCount() == 250, timeout=2000)
    assert not timeline.canFetchMore(QModelIndex())
    ids = [timeline.row_at(r).id for r in range(250)]  # type: ignore[union-attr]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 250


def test_refresh_after_a_sync_keeps_selection_and_scroll_position(
    qtbot: QtBot, page: PeoplePage, make_cache: Callable[..., Database]
) -> None:
    db = make_cache(people=450)
    open_cache(qtbot, page, db)
    page.table.scrollToBottom()
    qtbot.waitUntil(lambda: page.model.rowCount() == 400, timeout=2000)
    laid_out(qtbot, page.table)
    target = names(page)[300]
    select(qtbot, page, target)
    key = page.selected_person()
    on_screen = page.table.visualRect(page.table.currentIndex()).top()
    entries = page.detail.timeline.rowCount()

    # A sync adds someone who sorts first, and a new transition for the selected person.
    newcomer = PersonSpec(
        9999, "Aaron Aardvark", "aaron@example.com", history={1: [Transition("active", 1)]}
    )
    insert_people(db, [newcomer])
    with db.engine.begin() as conn:
        conn.execute(
            state_history.insert(),
            {
                "provider": "outreach",
                "sequence_state_id": key[1] * 10 + 1,  # type: ignore[index]
                "prospect_id": key[1],  # type: ignore[index]
                "sequence_id": 1,
                "step_id": 104,
                "raw_state": "weird_new_state",
                "state": "Unknown",
                "state_changed_at": "2026-11-01T10:00:00.000Z",
                "observed_at": "2026-11-01T10:05:00.000Z",
            },
        )
    page.sync_finished(succeeded_run())

    qtbot.waitUntil(lambda: page.model.total == 451, timeout=2000)
    qtbot.waitUntil(lambda: names(page)[0] == "Aaron Aardvark", timeout=2000)
    assert page.model.rowCount() == 400  # the same rows stay loaded, none dropped
    current = page.table.selectionModel().currentIndex()
    assert names(page)[current.row()] == target  # the highlight followed the person
    assert page.table.selectionModel().isRowSelected(current.row(), QModelIndex())
    # The selected person stays exactly where they were on screen.
    assert page.table.visualRect(current).top() == on_screen
    qtbot.waitUntil(lambda: page.detail.timeline.rowCount() == entries + 1, timeout=3000)
    assert page.detail.timeline.index(0, 0).data() == "Unknown (weird_new_state)"
    assert page.count_label.text() == "451 people"


def test_refresh_keeps_the_top_row_in_place_when_nothing_is_selected(
    qtbot: QtBot, page: PeoplePage, make_cache: Callable[..., Database]
) -> None:
    db = make_cache(people=300)
    open_cache(qtbot, page, db)
    laid_out(qtbot, page.table)
    page.table.verticalScrollBar().setValue(24 * 80 + 5)
    top = names(page)[page.table.rowAt(0)]
    y = page.table.rowViewportPosition(page.table.rowAt(0))

    insert_people(db, [PersonSpec(9998, "Aaron Aardvark", "aaron@example.com")])
    page.sync_finished(succeeded_run())
    qtbot.waitUntil(lambda: names(page)[0] == "Aaron Aardvark", timeout=2000)

    assert names(page)[page.table.rowAt(0)] == top
    assert page.table.rowViewportPosition(page.table.rowAt(0)) == y


def test_the_page_says_how_the_address_matched_and_what_waits_for_a_person(
    qtbot: QtBot, page: PeoplePage, make_cache: Callable[..., Database]
) -> None:
    """Seed 001: the record the address matched (Contact Details here), and parked activities."""
    from syncmonitor.store.matching import note_matches, park_activities

    db = make_cache(people=5, extra=[UNKNOWN_PERSON, OPTED_OUT])
    with db.engine.begin() as conn:
        note_matches(
            conn, [("outreach", 7001, "person", 123, "contact details")], "2026-12-01T10:00:00Z"
        )
        park_activities(
            conn,
            [
                ("task", 1, 7002, ["otto@example.com"], {}, "no person"),
                ("task", 2, 7002, ["otto@example.com"], {}, "no person"),
                ("call", 3, 7002, ["otto@example.com"], {}, "no person"),
            ],
            "2026-12-01T10:00:00Z",
        )
    open_cache(qtbot, page, db)
    select(qtbot, page, "Uma Unknown")
    detail = page.detail
    assert detail.match_label.isVisibleTo(detail)
    assert "Workbooks person 123 by an address on its Contact Details" in (
        detail.match_label.text()
    )
    assert not detail.parked_label.isVisibleTo(detail)
    select(qtbot, page, "Otto Optout")
    assert not detail.match_label.isVisibleTo(detail)
    assert detail.parked_label.isVisibleTo(detail)
    assert "1 call, 2 skipped tasks" in detail.parked_label.text()


def test_a_team_store_gone_during_a_read_leaves_the_list_as_it_was(
    qtbot: QtBot,
    page: PeoplePage,
    make_cache: Callable[..., Database],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from syncmonitor.engine.services.reads import StoreUnreachableError

    db = make_cache(people=30)
    services = services_over(db)
    page.set_services(services)
    qtbot.waitUntil(lambda: not page.model.loading and page.model.rowCount() == 30, timeout=3000)
    shown = names(page)
    failed: list[str] = []

    def unreachable(*_args: object) -> object:
        failed.append("search")
        raise StoreUnreachableError("The team store at postgresql://h/db did not answer.", "Wait.")

    monkeypatch.setattr(services.people, "search", unreachable)
    page.sync_finished(succeeded_run())  # a refresh, whose read fails
    qtbot.waitUntil(lambda: bool(failed) and not page.model.loading, timeout=3000)
    qtbot.wait(50)  # the failed read's answer is delivered on the GUI thread
    assert names(page) == shown  # kept; nothing reached sys.excepthook (the conftest checks)
