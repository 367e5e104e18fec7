"""The People list: everyone in the cache whose name or email matches the search, by name."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt

from syncmonitor.domain.people_filter import PeopleFilter
from syncmonitor.ui import formatting
from syncmonitor.ui.models.cells import state_cell, time_cell
from syncmonitor.ui.models.lazy import LazyTableModel
from syncmonitor.ui.resources import no_email_marker

if TYPE_CHECKING:  # types only: the engine loads after the window (ui/page_stack.py)
    from syncmonitor.engine.services.people import PeopleService, PersonRow

Role = Qt.ItemDataRole

OPTED_OUT_TIP = (
    "Opted out: this person must not be emailed. Sync Monitor sets No Email on their "
    "Workbooks record."
)


class PeopleModel(LazyTableModel["PersonRow"]):
    """People matching the search text and the filters (`people_filter`), read 200 at a time in
    name order (keyset paging)."""

    NAME, EMAIL, SEQUENCES, STATE, CHANGED = range(5)
    headers = ("Name", "Email", "Sequences", "Latest state", "Changed")

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(page_size=200, parent=parent)
        self.people_filter = PeopleFilter()
        self.total = 0  # how many people match, not how many are loaded

    @property
    def search_text(self) -> str:
        return self.people_filter.text

    @search_text.setter
    def search_text(self, text: str) -> None:
        self.people_filter = self.people_filter.but(text=text.strip())

    def set_search(self, text: str) -> None:
        """Show the people matching `text` (every word in the name or email)."""
        self.set_filter(self.people_filter.but(text=text.strip()))

    def set_filter(self, people_filter: PeopleFilter) -> None:
        """Show the people matching `people_filter` (its search text and its filters)."""
        self.people_filter = people_filter.but(text=people_filter.text.strip())
        self.reload()

    def clear(self) -> None:
        self.total = 0
        super().clear()

    def query(self) -> PeopleFilter:
        return self.people_filter

    @staticmethod
    def read_window(
        source: PeopleService, query: PeopleFilter, after: PersonRow | None, limit: int
    ) -> list[PersonRow]:
        return source.search(query, after.key if after else None, limit)

    @staticmethod
    def read_extra(source: PeopleService, query: PeopleFilter) -> int:
        return source.count(query)

    def apply_extra(self, extra: int) -> None:
        self.total = extra

    def row_for(self, provider: str, prospect_id: int) -> int | None:
        """Where a person is among the loaded rows."""
        return self.find_row(lambda r: (r.provider, r.prospect_id) == (provider, prospect_id))

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Role.DisplayRole
    ) -> Any:
        if role == Role.TextAlignmentRole and section == self.SEQUENCES:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Role.ToolTipRole and section == self.SEQUENCES:
            return "How many sequences the person is in"
        return super().headerData(section, orientation, role)

    def cell(self, row: PersonRow, column: int, role: int) -> Any:
        if column == self.STATE:
            return state_cell(row.latest_state, role, row.provider)
        if column == self.CHANGED:
            return time_cell(row.latest_changed_at, role)
        if role == Role.DisplayRole:
            if column == self.NAME:
                return row.name or "(no name)"
            if column == self.EMAIL:
                return row.email or formatting.EMPTY
            if column == self.SEQUENCES:
                return str(row.sequence_count)
        if column == self.NAME and row.opted_out:
            if role == Role.DecorationRole:
                return no_email_marker()
            if role == Role.ToolTipRole:
                return OPTED_OUT_TIP
        if role == Role.TextAlignmentRole and column == self.SEQUENCES:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Role.ToolTipRole and column == self.EMAIL and row.email:
            return row.email
        return None
