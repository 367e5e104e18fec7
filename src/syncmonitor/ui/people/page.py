"""The People page: find a person, see their sequence states now and every change before.

Above the list: the search, the filters (state, provider, sequence, when it changed) with the
count each choice would give, "Save view…" (a named view in the sidebar) and "Export CSV…" (the
filtered list, also in the File menu). Every read goes through PeopleService on reader threads.
"""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QSettings, Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from syncmonitor.engine.runs.events import RunResult, SyncProgress
from syncmonitor.engine.services.people import NamedView, PeopleFilter, PeopleService
from syncmonitor.ui import formatting
from syncmonitor.ui.models import PeopleModel
from syncmonitor.ui.page import Page
from syncmonitor.ui.people.detail import PersonDetailPane
from syncmonitor.ui.people.export_flow import PeopleExport, save_view_dialog
from syncmonitor.ui.people.filter_bar import PeopleFilterBar
from syncmonitor.ui.people.reads import PageReads
from syncmonitor.ui.people.views_sidebar import PeopleViewsList
from syncmonitor.ui.service_protocols import ServicesLike
from syncmonitor.ui.widgets import AdaptiveSplitter, compact_table, empty_state, named

SEARCH_DELAY_MS = 200


class PeoplePage(Page):
    """Search people by name or email; the selected person's states and timeline on the right."""

    title = "People"
    icon_name = "people"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._selected: tuple[str, int] | None = None
        self._anchor: tuple[tuple[str, int], int] | None = None  # a row and its y on screen
        self._waiting = "Starting…"
        self._syncing: str | None = None  # the running sync's progress, None when idle
        self._people: PeopleService | None = None
        self.current_view: NamedView | None = None  # the named view shown, while unchanged
        self._choices_stale = False  # the filter counts wait for the page to be shown

        self.search = named(QLineEdit(), "search")
        self.search.setPlaceholderText("Search by name or email")
        self.search.setClearButtonEnabled(True)
        self.search.setToolTip("Every word must appear in the name or the email address (Ctrl+F)")
        self.count_label = named(QLabel(), "count")
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(SEARCH_DELAY_MS)
        self._debounce.timeout.connect(self._apply_search)
        self.search.textChanged.connect(lambda _text: self._debounce.start())
        self.search.returnPressed.connect(self._apply_search)
        # Esc in the search clears it (and leaves the list as it was before the search).
        clear = QShortcut(QKeySequence(Qt.Key.Key_Escape), self.search, self._clear_search)
        clear.setContext(Qt.ShortcutContext.WidgetShortcut)

        self.filters = named(PeopleFilterBar(), "filters")
        self.filters.changed.connect(self._apply_filters)
        self.save_view_button = named(QPushButton("Save view…"), "saveView")
        self.save_view_button.setToolTip(
            "Keep these filters and the search as a named view in the sidebar"
        )
        self.save_view_button.clicked.connect(self.ask_save_view)
        self.export_button = named(QPushButton("Export CSV…"), "exportCsv")
        self.export_button.setToolTip("Save the people listed (every one, not only those shown)")
        self.export = PeopleExport(self)
        self.export_button.clicked.connect(self.export.ask)
        self.message = named(QLabel(), "pageMessage")
        self.message.setWordWrap(True)
        self.message.setOpenExternalLinks(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.message.setVisible(False)
        self.views_list = PeopleViewsList()  # the main window puts it in the sidebar
        self.views_list.open_view.connect(self.open_view)
        self.views_list.views_changed.connect(self._after_views_changed)
        self._reads = PageReads(self._on_counts, self._on_sequences)

        self.model = PeopleModel(self)
        self.table = compact_table(self.model)
        header = self.table.horizontalHeader()
        for column, width in ((0, 150), (2, 88), (3, 188), (4, 96)):
            self.table.setColumnWidth(column, width)
        header.setSectionResizeMode(PeopleModel.EMAIL, QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().currentRowChanged.connect(self._on_current_changed)
        self.model.refreshed.connect(self._after_rows_changed)
        self.model.modelReset.connect(self._update_empty_state)
        self.model.rowsInserted.connect(self._update_empty_state)
        self.model.rowsRemoved.connect(self._update_empty_state)

        self.empty = empty_state(self._waiting)
        self.list_stack = QStackedWidget()
        self.list_stack.addWidget(self.empty)
        self.list_stack.addWidget(self.table)

        self.detail = PersonDetailPane()
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(12, 12, 12, 12)
        left_layout.setSpacing(8)
        bar = QHBoxLayout()
        bar.setSpacing(12)
        bar.addWidget(self.search, 1)
        bar.addWidget(self.count_label)
        bar.addWidget(self.save_view_button)
        bar.addWidget(self.export_button)
        left_layout.addLayout(bar)
        left_layout.addWidget(self.filters)
        left_layout.addWidget(self.message)
        left_layout.addWidget(self.list_stack, 1)

        # Side by side from 1080 px; below, the person's detail goes under the list so that the
        # list keeps every column (name, email, state, changed) in view.
        self.splitter = AdaptiveSplitter(wide_from=1080)
        self.splitter.addWidget(left)
        # Stacked (below 1080 px) the detail scrolls inside its share of the height rather than
        # claiming its whole natural height and squeezing the list to a few rows.
        self.detail_scroll = named(QScrollArea(), "detailScroll")
        self.detail_scroll.setWidget(self.detail)
        self.detail_scroll.setWidgetResizable(True)
        self.detail_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.detail_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.detail_scroll.setMinimumWidth(340)
        self.splitter.addWidget(self.detail_scroll)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self._sized = False
        self.splitter.setChildrenCollapsible(False)
        left.setMinimumWidth(300)
        self.detail.setMinimumWidth(340)  # below this the states table and timeline get unreadable
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)
        self._update_empty_state()

    # Page ---------------------------------------------------------------------------------------

    def set_sync_activity(self, report: SyncProgress | None) -> None:
        """What the running sync is doing (None: no sync runs), for the empty list to say."""
        progress = None
        if report is not None:
            progress = report.message.rstrip(".…")
            if report.total:
                progress += f" ({report.done:,} of {report.total:,})"
        if progress != self._syncing:
            self._syncing = progress
            if self.model.total == 0:
                self._update_empty_state()

    def set_waiting(self, message: str) -> None:
        self._waiting = message
        self._update_empty_state()

    def set_services(self, services: ServicesLike | None) -> None:
        self.detail.set_services(services)
        self._people = services.people if services else None
        self.model.people_filter = self.people_filter()
        self.model.set_source(self._people)
        self.views_list.set_people(self._people)
        self._read_choices()
        self._update_empty_state()

    def sync_finished(self, result: RunResult) -> None:
        """New transitions may have arrived: re-read what is shown, keeping selection and scroll."""
        self._anchor = self._scroll_anchor()
        self.model.refresh()
        self.detail.refresh()
        self.views_list.refresh_counts()
        self._read_choices()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._choices_stale:
            self._read_choices()
        if not self._sized:  # first show: the list gets 60 %, unless restore_state said otherwise
            self._sized = True
            QTimer.singleShot(0, self, self._initial_split)

    def _initial_split(self) -> None:
        length = sum(self.splitter.sizes())
        self.splitter.setSizes([length * 60 // 100, length - length * 60 // 100])

    def save_state(self, settings: QSettings) -> None:
        settings.setValue("people/splitter", self.splitter.saveState())

    def restore_state(self, settings: QSettings) -> None:
        state = settings.value("people/splitter")
        if state is not None and self.splitter.restoreState(state):
            self._sized = True

    # Search -------------------------------------------------------------------------------------

    def focus_search(self) -> None:
        """Ctrl+F (the window's Find action): the cursor in the search, its text selected."""
        self.search.setFocus()
        self.search.selectAll()

    def _clear_search(self) -> None:
        if self.search.text():
            self.search.clear()
            self._apply_search()
        else:
            self.table.setFocus()

    def _apply_search(self) -> None:
        self._debounce.stop()
        self._show(self.people_filter())

    # Filters and views --------------------------------------------------------------------------

    @property
    def people_service(self) -> PeopleService | None:
        return self._people

    def people_filter(self) -> PeopleFilter:
        """What the list should show: the search text and the filter bar's choices."""
        return self.filters.apply_to(PeopleFilter(text=self.search.text().strip()))

    def _apply_filters(self) -> None:
        self._debounce.stop()
        self._show(self.people_filter())

    def _show(self, wanted: PeopleFilter) -> None:
        if wanted != self.model.people_filter or self.model.source is None:
            self.model.set_filter(wanted)
            self._read_choices()
        view = self.current_view
        if view is not None and view.filter != wanted:
            self.current_view = None
        self.views_list.show_current(self.current_view)

    def open_view(self, view: NamedView) -> None:
        """Show a named view: its filters and search, in one step (one read)."""
        self.current_view = view
        self.search.blockSignals(True)
        self.search.setText(view.filter.text)
        self.search.blockSignals(False)
        self.filters.set_filter(view.filter)
        self._debounce.stop()
        self._show(self.people_filter())
        self.message.setVisible(False)

    def ask_save_view(self) -> None:
        if self._people is not None:
            save_view_dialog(self, self._people, self.people_filter(), self._saved_view)

    def _saved_view(self, view: NamedView) -> None:
        self.current_view = view
        self.views_list.reload()
        self.views_list.show_current(view)
        self.tell(f"Saved the view '{view.name}' in the sidebar.")

    def _after_views_changed(self) -> None:
        if self.current_view is not None and self._people is not None:
            self.current_view = next(
                (v for v in self._people.views.all() if v.filter == self.people_filter()), None
            )
        self.views_list.show_current(self.current_view)

    def tell(self, html_text: str, *, error: bool = False) -> None:
        """A line under the filters (what an export wrote, a view saved, what went wrong)."""
        self.message.setProperty("error", error)
        self.message.setText(html_text)
        self.message.setVisible(True)
        self.message.style().unpolish(self.message)
        self.message.style().polish(self.message)

    def _read_choices(self) -> None:
        """Read the count beside each filter choice, and the sequences, off the GUI thread
        (while the page is hidden, when it is shown next: nobody reads them meanwhile)."""
        people = self._people
        if people is None:
            return
        if not self.isVisible():
            self._choices_stale = True
            return
        self._choices_stale = False
        self.filters.set_counts(None)
        self._reads.read_counts(people, self.people_filter())
        self._reads.read_sequences(people)

    def _on_counts(self, counts: object) -> None:
        if isValid(self.filters):  # the window may have closed while the counts were read
            self.filters.set_counts(counts)  # type: ignore[arg-type]

    def _on_sequences(self, found: object) -> None:
        if isValid(self.filters):
            self.filters.set_sequences(found)  # type: ignore[arg-type]

    # Selection ----------------------------------------------------------------------------------

    def _on_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        row = self.model.row_at(current.row()) if current.isValid() else None
        if row is None:
            return
        key = (row.provider, row.prospect_id)
        if key != self._selected or self.detail.person != key:
            self._selected = key
            self.detail.show_person(*key)

    def selected_person(self) -> tuple[str, int] | None:
        return self._selected

    def _after_rows_changed(self) -> None:
        """After a search or a refresh, keep the selected person highlighted wherever they are."""
        self._update_empty_state()
        anchor, self._anchor = self._anchor, None
        if self._selected is not None:
            self._reselect(self._selected, scroll=anchor is None)
        if anchor is not None:
            self._restore_anchor(*anchor)

    def _reselect(self, key: tuple[str, int], *, scroll: bool) -> None:
        row = self.model.row_for(*key)
        selection = self.table.selectionModel()
        if row is None:
            selection.clearSelection()
            return
        current = selection.currentIndex()
        if current.isValid() and current.row() == row:
            return
        flags = (
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows
        )
        self.table.setAutoScroll(scroll)
        selection.setCurrentIndex(self.model.index(row, 0), flags)
        self.table.setAutoScroll(True)

    def _scroll_anchor(self) -> tuple[tuple[str, int], int] | None:
        """The row to keep in place on screen: the selected one if visible, else the top one."""
        view = self.table
        if self._selected is not None:
            row = self.model.row_for(*self._selected)
            if row is not None:
                y = view.rowViewportPosition(row)
                if 0 <= y < view.viewport().height():
                    return self._selected, y
        top = view.rowAt(0)
        person = self.model.row_at(top)
        if person is None:
            return None
        return (person.provider, person.prospect_id), view.rowViewportPosition(top)

    def _restore_anchor(self, key: tuple[str, int], y: int) -> None:
        row = self.model.row_for(*key)
        if row is None:
            return
        self.table.doItemsLayout()  # the scroll range must cover rows the refresh added
        bar = self.table.verticalScrollBar()
        bar.setValue(bar.value() + self.table.rowViewportPosition(row) - y)

    # Empty states -------------------------------------------------------------------------------

    def _update_empty_state(self) -> None:
        total = self.model.total
        self.count_label.setText(formatting.people_count(total) if self.model.source else "")
        if self.model.source is None:
            self.empty.set_text(self._waiting, "")
        elif self.model.loading and self.model.rowCount() == 0:
            self.empty.set_text("Reading the local cache…", "")
            self.count_label.setText("")
        elif total == 0 and self.model.people_filter.filters_states:
            self.empty.set_text(
                "No one matches these filters",
                f"{self.model.people_filter.describe()}. The count beside each choice says "
                "how many people it would give; Clear filters shows everyone again.",
            )
        elif total == 0 and self.model.search_text:
            self.empty.set_text(
                f"No one matches '{self.model.search_text}'",
                "Search looks for every word in names and email addresses. "
                "Check the spelling, or clear the search to see everyone.",
            )
        elif total == 0 and self._syncing is not None:
            # The first sync is running: say so (and how far it is), never "press Sync now".
            self.empty.set_text(
                "The first sync is running…",
                f"{self._syncing}\nPeople appear here as soon as their sequence states are read.",
            )
        elif total == 0:
            self.empty.set_text(
                "No people yet: press Sync now",
                "Sync Monitor reads the people in your Outreach sequences and keeps every change "
                "of their sequence state.",
            )
        has_rows = self.model.rowCount() > 0
        self.list_stack.setCurrentWidget(self.table if has_rows else self.empty)
