"""The People page with 100,000 people and 1,000,000 transitions never freezes the window.

A 5 ms timer measures the event loop while a person searches, scrolls, selects and a sync refreshes:
the longest gap between its ticks is the longest the window could not repaint.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from gui_cache import build_large_cache
from gui_fakes import services_over, succeeded_run
from PySide6.QtCore import QModelIndex, QTimer
from pytestqt.qtbot import QtBot

from syncmonitor.store.database import Database
from syncmonitor.ui.people.page import PeoplePage

pytestmark = pytest.mark.slow

# A frame is 16 ms; a shared CI machine gets some slack, a freeze a person notices does not.
LONGEST_STALL_S = 0.1
PEOPLE, TRANSITIONS = 100_000, 10


class LoopWatch:
    """Records the longest gap between ticks of a fast timer on the GUI thread."""

    def __init__(self) -> None:
        self.longest = 0.0
        self._last = time.perf_counter()
        self._timer = QTimer(interval=5)
        self._timer.timeout.connect(self._tick)
        self._timer.start()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.longest = max(self.longest, now - self._last)
        self._last = now

    def stop(self) -> None:
        self._timer.stop()


@pytest.fixture(scope="module")
def big_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    path: Path = tmp_path_factory.mktemp("big") / "cache.sqlite3"
    db = build_large_cache(path, PEOPLE, TRANSITIONS)
    yield db
    db.close()


def test_search_scroll_select_and_refresh_stay_smooth(qtbot: QtBot, big_cache: Database) -> None:
    page = PeoplePage()
    qtbot.addWidget(page)
    page.resize(1300, 800)
    page.show()
    model = page.model
    watch = LoopWatch()
    started = time.perf_counter()

    page.set_services(services_over(big_cache))
    qtbot.waitUntil(lambda: model.rowCount() == 200, timeout=5000)
    first_window = time.perf_counter() - started
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
    qtbot.wait(50)
    qtbot.waitUntil(lambda: not model.loading and model.rowCount() == 600, timeout=5000)
    assert page.selected_person() == selected

    typed = time.perf_counter()
    qtbot.keyClicks(page.search, "person09999")  # a rare match: scans the whole table
    qtbot.waitUntil(lambda: model.search_text == "person09999" and not model.loading, timeout=5000)
    search_latency = time.perf_counter() - typed
    assert model.total == 10 and model.rowCount() == 10

    page.search.clear()
    qtbot.keyClicks(page.search, "zzz")  # no match at all
    qtbot.waitUntil(lambda: model.search_text == "zzz" and not model.loading, timeout=5000)
    assert page.empty.title.text() == "No one matches 'zzz'"
    watch.stop()

    print(
        f"\nfirst window {first_window * 1000:.0f} ms, search {search_latency * 1000:.0f} ms, "
        f"longest stall {watch.longest * 1000:.0f} ms"
    )
    assert first_window < 2.0
    assert watch.longest < LONGEST_STALL_S, f"the window froze for {watch.longest * 1000:.0f} ms"
