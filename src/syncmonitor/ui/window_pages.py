"""The main window's pages: each row of the sidebar and what builds its page on first visit.

The builders import their page's module only when called (ui/page_stack.py), so none of it, nor
the engine modules behind it, loads before the window's first paint. The titles and icons here
are what the sidebar shows before a page exists; tests/gui/test_lazy_pages.py checks that each
built page has the same title.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from syncmonitor.ui.page import Page

if TYPE_CHECKING:
    from syncmonitor.ui.main_window import MainWindow

ISSUES_TITLE = "Issues"  # IssuesPage.title, shown with the count before the page is built


def _people_page(window: MainWindow) -> Sequence[Page]:
    from syncmonitor.ui.people.page import PeoplePage

    page = PeoplePage()
    controller = window.controller
    controller.progress.connect(page.set_sync_activity)
    controller.phase_changed.connect(
        lambda: None if controller.running else page.set_sync_activity(None)
    )
    page.table.selectionModel().currentRowChanged.connect(lambda *_: window.update_sync_action())
    window.show_people_views(page)
    return [page]


def _mapping_pages(window: MainWindow) -> Sequence[Page]:
    from syncmonitor.ui.mappings.pages import mapping_pages

    pages = mapping_pages(window)
    for page in pages:
        page.workspace.changed.connect(window.update_edit_actions)
    return pages


def _queue_page() -> Sequence[Page]:
    from syncmonitor.ui.queue.page import QueuePage

    return [QueuePage()]


def _runs_page() -> Sequence[Page]:
    from syncmonitor.ui.runs.page import RunsPage

    return [RunsPage()]


def _issues_page(window: MainWindow) -> Sequence[Page]:
    from syncmonitor.ui.issues.page import IssuesPage

    return [IssuesPage(window.controller)]


def _log_page() -> Sequence[Page]:
    from syncmonitor.ui.log.page import LogPage

    return [LogPage()]


def add_window_pages(window: MainWindow) -> None:
    """The sidebar's rows, in order, each with the builder of its page."""
    window.add_lazy("people", [("People", "people")], lambda: _people_page(window))
    window.add_lazy(
        "mappings",
        [("Lead Status", "mapping"), ("Contact Status", "mapping"), ("Field mappings", "fields")],
        lambda: _mapping_pages(window),
    )
    window.add_lazy("queue", [("Queue", "sync")], _queue_page)
    window.add_lazy("runs", [("Runs", "runs")], _runs_page)
    window.add_lazy("issues", [(ISSUES_TITLE, "issues")], lambda: _issues_page(window))
    window.add_lazy("log", [("Log", "log")], _log_page)
