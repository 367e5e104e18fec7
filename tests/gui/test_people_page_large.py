"""The People page with 100,000 people: it reads them in windows, never all at once, and keeps
the selection through a sync's refresh, a search that scans the whole table and one that finds no
one. How smooth the window stays while it does so (the longest stall, the first window's time) is
measured by bench/bench_people_page.py, not asserted here.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from gui_cache import build_large_cache
from gui_fakes import services_over, succeeded_run
from PySide6.QtCore import QCoreApplication, QModelIndex
from pytestqt.qtbot import QtBot

from syncmonitor.store.database import Database
from syncmonitor.ui.models.lazy import wait_for_reads
from syncmonitor.ui.people.page import PeoplePage

pytestmark = pytest.mark.slow

PEOPLE, TRANSITIONS = 100_000, 10


@pytest.fixture(scope="module")
def big_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    path: Path = tmp_path_factory.mktemp("big") / "cache.sqlite3"
    db = build_large_cache(path, PEOPLE, TRANSITIONS)
    yield db
    db.close()


def test_search_scroll_select_and_refresh_over_100000_people(
    qtbot: QtBot, big_cache: Database
) -> None:
    page = PeoplePage()
    qtbot.addWidget(page)
    page.resize(1300, 800)
    page.show()
    model = page.model

    page.set_services(services_over(big_cache))
    qtbot.waitUntil(lambda: model.rowCount() == 200, timeout=5000)
    assert model.total == PEOPLE
    assert page.count_label.text() == "100,000 people"

    for loaded in (400, 600):
        page.table.scrollToBottom()
        qtbot.waitUntil(lambda n=loaded: model.rowCount() == n, timeout=5000)  # type: ignore[misc]
    assert model.canFetchMore(QModelIndex())  # never everything: 600 of 100,000

    row = 450
    page.table.selectRow(row)
    qtbot.waitUntil(lambda: page.detail.timeline.rowCount() == TRANSITIONS, timeout=5000)
    selected = page.selected_person()

    page.sync_finished(succeeded_run())
    # The refresh has read its rows (the filter counts read again on their own slow thread)...
    assert wait_for_reads(slow=False)
    QCoreApplication.processEvents()  # ...and handed them to the page
    qtbot.waitUntil(lambda: not model.loading and model.rowCount() == 600, timeout=5000)
    assert page.selected_person() == selected

    qtbot.keyClicks(page.search, "person09999")  # a rare match: scans the whole table
    qtbot.waitUntil(lambda: model.search_text == "person09999" and not model.loading, timeout=5000)
    assert model.total == 10 and model.rowCount() == 10

    page.search.clear()
    qtbot.keyClicks(page.search, "zzz")  # no match at all
    qtbot.waitUntil(lambda: model.search_text == "zzz" and not model.loading, timeout=5000)
    assert page.empty.title.text() == "No one matches 'zzz'"
