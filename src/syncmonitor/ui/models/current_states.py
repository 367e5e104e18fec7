"""A person's current state in each of their sequences (a handful of rows, read at once)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from syncmonitor.ui import formatting
from syncmonitor.ui.models.cells import state_cell, time_cell
from syncmonitor.ui.models.lazy import ROW_ROLE

if TYPE_CHECKING:  # types only: the engine loads after the window (ui/page_stack.py)
    from syncmonitor.engine.services.people import CurrentStateRow

Role = Qt.ItemDataRole
AnyIndex = QModelIndex | QPersistentModelIndex


class CurrentStatesModel(QAbstractTableModel):
    """Sequence, step ("3 of 5"), state, since when and from which provider, for one person in
    every provider."""

    SEQUENCE, STEP, STATE, SINCE, SOURCE = range(5)
    headers = ("Sequence", "Step", "State", "Since", "From")

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[CurrentStateRow] = []
        self._providers: list[str] = []
        self.provider = "outreach"

    def set_rows(
        self,
        rows: list[CurrentStateRow],
        provider: str,
        providers: list[str] | None = None,
    ) -> None:
        """`providers[i]` is where `rows[i]` came from (default: all from `provider`)."""
        self.beginResetModel()
        self._rows = rows
        self.provider = provider
        self._providers = providers if providers is not None else [provider] * len(rows)
        self.endResetModel()

    def row_provider(self, row: int) -> str:
        return self._providers[row] if row < len(self._providers) else self.provider

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.headers)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        row = self._rows[index.row()]
        provider = self.row_provider(index.row())
        column = index.column()
        if role == ROW_ROLE:
            return row
        if column == self.STATE:
            return state_cell(row.state, role, provider)
        if column == self.SINCE:
            return time_cell(row.state_changed_at, role)
        if role == Role.DisplayRole:
            if column == self.SEQUENCE:
                return row.sequence_name
            if column == self.SOURCE:
                return formatting.provider_name(provider)
            if column == self.STEP:
                return formatting.step_text(row.step_order, row.step_count)
        if role == Role.ToolTipRole and column == self.SEQUENCE:
            return f"{formatting.provider_name(provider)} sequence: {row.sequence_name}"
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation is Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.headers[section]
        return None
