"""The Queue page's table: every mailshot of the latest snapshot, the queue first.

A new snapshot updates the rows in place: the same mailshots in the same order only repaint the
cells that changed; a new order is a layout change that carries the selection along by mailshot
id, so the table never jumps while the person reads it.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush

from syncmonitor.domain.durations import duration_text
from syncmonitor.domain.mailshots.queue import QueueItem, QueueSnapshot, QueueState
from syncmonitor.domain.mailshots.rules import NAME_LIMIT, name_length
from syncmonitor.engine.mailshots.report import FIGURE_SOURCES
from syncmonitor.ui.models.lazy import ROW_ROLE
from syncmonitor.ui.style import fg_colour

AnyIndex = QModelIndex | QPersistentModelIndex

STATE_COLOURS = {
    QueueState.WAITING: "#5e6c84",
    QueueState.SYNCING: "#2f6fde",
    QueueState.ARRIVED: "#216e4e",
    QueueState.BLOCKED: "#ae2a19",
    QueueState.FAILED: "#ae2a19",
    QueueState.CANCELLED: "#8993a4",
    QueueState.REMOVED: "#8993a4",
    QueueState.UNKNOWN: "#8a5a00",  # a Workbooks status Sync Monitor cannot place
}


def duration(seconds: float | None) -> str:
    """The queue's durations (waiting, ETA) as everywhere else; blank when not known."""
    return duration_text(seconds, unknown="")


class QueueTableModel(QAbstractTableModel):
    """Rows are `QueueItem`s; `data(index, ROW_ROLE)` gives the item."""

    POSITION, NAME, STATE, AUDIENCE, WAITING, ETA, NOTE = range(7)
    HEADERS = ("#", "Mailshot", "State", "Audience", "In queue", "ETA (inferred)", "Why")
    TIPS = (
        FIGURE_SOURCES["position"],
        FIGURE_SOURCES["name"],
        "Sync Monitor's reading of Workbooks' status and Spotler's campaign list",
        FIGURE_SOURCES["audience"],
        FIGURE_SOURCES["queued"],
        FIGURE_SOURCES["eta"],
        "Preflight checks and what holds the mailshot up",
    )

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._items: list[QueueItem] = []
        self._rows: dict[int, int] = {}

    def set_snapshot(self, snapshot: QueueSnapshot) -> None:
        items = list(snapshot.items)
        old_ids = [i.id for i in self._items]
        new_ids = [i.id for i in items]
        if old_ids == new_ids:
            changed = [r for r, (a, b) in enumerate(zip(self._items, items, strict=True)) if a != b]
            self._items = items
            if changed:
                last = self.columnCount() - 1
                self.dataChanged.emit(self.index(min(changed), 0), self.index(max(changed), last))
            return
        if len(old_ids) != len(new_ids):
            # Mailshots came or went: a reset (the page puts the selection back by id).
            self.beginResetModel()
            self._set(items)
            self.endResetModel()
            return
        # Same count, new order: move persistent indexes (the selection) along by id.
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        ids = [self._items[p.row()].id for p in persistent]
        self._set(items)
        self.changePersistentIndexList(
            persistent,
            [
                self.index(self._rows[i], p.column()) if i in self._rows else QModelIndex()
                for p, i in zip(persistent, ids, strict=True)
            ],
        )
        self.layoutChanged.emit()

    def _set(self, items: list[QueueItem]) -> None:
        self._items = items
        self._rows = {item.id: row for row, item in enumerate(items)}

    def row_of(self, mailshot_id: int) -> int | None:
        return self._rows.get(mailshot_id)

    def item_at(self, row: int) -> QueueItem | None:
        return self._items[row] if 0 <= row < len(self._items) else None

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._items)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.TIPS[section]
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._items):
            return None
        item = self._items[index.row()]
        column = index.column()
        if role == ROW_ROLE:
            return item
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(item, column)
        if role == Qt.ItemDataRole.ForegroundRole and column == self.STATE:
            return QBrush(fg_colour(STATE_COLOURS[item.state]))
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == self.NAME:
                return (
                    f"{item.facts.name}\n{name_length(item.facts.name)} of {NAME_LIMIT} characters"
                )
            if column == self.NOTE:
                return "\n".join(p.message for p in item.problems) or item.eta_note or None
            return self.TIPS[column]
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (self.POSITION, self.AUDIENCE):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _text(self, item: QueueItem, column: int) -> str:
        f = item.facts
        if column == self.POSITION:
            return str(item.position) if item.position is not None else ""
        if column == self.NAME:
            return f.name or "(no name)"
        if column == self.STATE:
            if item.state is QueueState.UNKNOWN:  # shown as Workbooks has it, never dropped
                return f"“{item.facts.status}”"
            return item.state.label
        if column == self.AUDIENCE:
            return f"{f.audience:,}" if f.audience is not None else "—"
        if column == self.WAITING:
            return duration(item.waiting_s)
        if column == self.ETA:
            if item.eta_s is not None:
                return "now" if item.eta_s < 1 else f"~{duration(item.eta_s)}"
            return "—" if item.state.in_queue else ""
        if column == self.NOTE:
            if item.problems:
                first = item.problems[0].message
                return first.split(":")[0] if item.problems[0].code == "blocking_queue" else first
            return item.eta_note if item.state.in_queue else ""
        return ""
