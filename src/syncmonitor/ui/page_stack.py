"""The window's pages, each built on its first visit.

Building every page at start held the window up (each page imports its models, dialogs and the
engine modules behind them). Now the sidebar lists every page from the first frame, the page
shown at start is built with the window, and every other page is built the first time it is
needed: shown, or reached in code (`window.queue`, `window.all_pages()`). Until then a plain
placeholder of the page's background stands in the stack. Pages built together share a group:
the three mapping pages and their one workspace.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtWidgets import QStackedWidget, QWidget

from syncmonitor.ui.page import Page
from syncmonitor.ui.widgets import named


class Placeholder(QWidget):
    """Where a page not built yet will go: the window's plain background."""

    def __init__(self, title: str) -> None:
        super().__init__()
        named(self, "pagePlaceholder")
        self.title = title


@dataclass(frozen=True, slots=True)
class PageEntry:
    """A row of the sidebar: what it shows before and after its page is built."""

    title: str
    icon_name: str
    group: str


class PageStack:
    """The rows of `stack`: built pages, and placeholders for the groups not built yet."""

    def __init__(self, stack: QStackedWidget, built: Callable[[Sequence[Page]], None]) -> None:
        self.stack = stack
        self.entries: list[PageEntry] = []
        self._builders: dict[str, Callable[[], Sequence[Page]]] = {}
        self._pages: dict[str, list[Page]] = {}
        self._built = built

    def add_page(self, page: Page) -> int:
        """A page built already (the one shown at start); returns its row."""
        self.entries.append(PageEntry(page.title, page.icon_name, f"row{len(self.entries)}"))
        self._pages[self.entries[-1].group] = [page]
        self.stack.addWidget(page)
        return len(self.entries) - 1

    def add_group(
        self, group: str, rows: Sequence[tuple[str, str]], build: Callable[[], Sequence[Page]]
    ) -> None:
        """Rows (title, icon name) whose pages `build` makes, in the same order, when needed."""
        self._builders[group] = build
        for title, icon_name in rows:
            self.entries.append(PageEntry(title, icon_name, group))
            self.stack.addWidget(Placeholder(title))

    def rows(self, group: str) -> list[int]:
        return [row for row, entry in enumerate(self.entries) if entry.group == group]

    def is_built(self, row: int) -> bool:
        return self.entries[row].group in self._pages

    def group(self, group: str) -> list[Page]:
        """The pages of `group`, built now if they were not yet."""
        pages = self._pages.get(group)
        if pages is not None:
            return pages
        pages = list(self._builders.pop(group)())
        rows = self.rows(group)
        if len(pages) != len(rows):
            raise RuntimeError(f"{group}: built {len(pages)} pages for {len(rows)} rows")
        current = self.stack.currentIndex()
        for row, page in zip(rows, pages, strict=True):
            placeholder = self.stack.widget(row)
            self.stack.insertWidget(row, page)
            if placeholder is not None:
                self.stack.removeWidget(placeholder)
                placeholder.deleteLater()
        if current in rows:  # the placeholder was on screen: its page takes its place
            self.stack.setCurrentIndex(current)
        self._pages[group] = pages
        self._built(pages)
        return pages

    def page_at(self, row: int) -> Page:
        """The page of sidebar row `row`, built now if needed."""
        entry = self.entries[row]
        return self.group(entry.group)[self.rows(entry.group).index(row)]

    def built_pages(self) -> list[Page]:
        """The pages built so far, in sidebar order."""
        return [p for i in range(self.stack.count()) if isinstance(p := self.stack.widget(i), Page)]

    def all_pages(self) -> list[Page]:
        """Every page in sidebar order, building those not built yet."""
        return [self.page_at(row) for row in range(len(self.entries))]
