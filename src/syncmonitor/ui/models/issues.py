"""The Issues list: records that did not sync, with the remote's answer and what to do."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Qt

from syncmonitor.engine.issues import SOURCE_LABELS
from syncmonitor.engine.services.issues import IssuesService, StoredIssue
from syncmonitor.ui import formatting
from syncmonitor.ui.models.lazy import LazyTableModel

Role = Qt.ItemDataRole


class IssuesModel(LazyTableModel[StoredIssue]):
    """Open issues newest first (dismissed ones too when `show_dismissed`)."""

    RECORD, WHERE, PROBLEM, SEEN = range(4)
    headers = ("Record", "Where", "What the remote answered", "Last seen")

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(page_size=200, parent=parent)
        self.show_dismissed = False
        self.total = 0

    def query(self) -> bool:
        return self.show_dismissed

    @staticmethod
    def read_window(
        source: IssuesService, query: bool, after: StoredIssue | None, limit: int
    ) -> list[StoredIssue]:
        return source.page(
            include_dismissed=query, limit=limit, before_id=after.id if after else None
        )

    @staticmethod
    def read_extra(source: IssuesService, query: bool) -> int:
        return source.count()

    def apply_extra(self, extra: int) -> None:
        self.total = extra

    def cell(self, row: StoredIssue, column: int, role: int) -> Any:
        if role == Role.DisplayRole:
            if column == self.RECORD:
                return row.record_label + ("  (dismissed)" if row.dismissed else "")
            if column == self.WHERE:
                return SOURCE_LABELS.get(row.source, row.source)
            if column == self.PROBLEM:
                return row.problem
            if column == self.SEEN:
                times = f" ({row.occurrences}×)" if row.occurrences > 1 else ""
                return formatting.short_time(row.last_seen) + times
        if role == Role.ToolTipRole:
            if column == self.PROBLEM:
                return f"{row.problem}\n\nWhat to do: {row.todo}"
            if column == self.SEEN:
                return f"First seen {formatting.full_time(row.first_seen)}"
        if role == Role.ForegroundRole and row.dismissed:
            return Qt.GlobalColor.gray
        return None
