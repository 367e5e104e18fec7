"""The rows of a Salesmate export as the import dialog previews them: each with its problems.

One row per data line of the file: its line number, whether it will be imported, the mapped
values (email, sequence, state as Salesmate wrote it and what it means, date) and the problems.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from syncmonitor.domain.salesmate_export import CheckedExport, Column, Problem, Severity
from syncmonitor.domain.states import resolve_salesmate
from syncmonitor.ui import formatting
from syncmonitor.ui.resources import dot
from syncmonitor.ui.style import fg_colour

Role = Qt.ItemDataRole
AnyIndex = QModelIndex | QPersistentModelIndex
ERROR, WARNING, OK, NOT_CHECKED = "#c9372c", "#b35c1e", "#2e9d5b", "#8993a4"


class ImportPreviewModel(QAbstractTableModel):
    """Line, status, email, sequence, state, date, problems."""

    LINE, STATUS, EMAIL, SEQUENCE, STATE, DATE, PROBLEMS = range(7)
    headers = ("Line", "Status", "Email", "Sequence", "State", "Date", "Problems")

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: dict[int, list[str]] = {}  # line -> cells: a sample of a big file
        self._mapping: dict[Column, int | None] = {}
        self._problems: dict[int, list[Problem]] = {}
        self._file_ok = False
        self._lines: list[int] = []  # file line numbers shown, in order
        self.only_problems = False

    def show(
        self,
        rows: dict[int, list[str]],
        mapping: dict[Column, int | None],
        checked: CheckedExport | None,
    ) -> None:
        """Show `rows` (line -> cells; for a big file the sample the check kept: its first rows,
        then rows with problems) with the problems of `checked`."""
        self.beginResetModel()
        self._rows, self._mapping = rows, dict(mapping)
        self._problems = {}
        # Before the file as a whole passes (a required column not chosen yet), no row has
        # been checked: calling one "Ready" would contradict the "0 ready" under the table.
        self._file_ok = checked is not None and not checked.file_errors
        for problem in checked.problems if checked else []:
            if problem.line is not None:
                self._problems.setdefault(problem.line, []).append(problem)
        self._relist()
        self.endResetModel()

    def set_only_problems(self, only: bool) -> None:
        self.beginResetModel()
        self.only_problems = only
        self._relist()
        self.endResetModel()

    def _relist(self) -> None:
        lines = sorted(self._rows)
        self._lines = [n for n in lines if not self.only_problems or n in self._problems]

    def line_at(self, row: int) -> int:
        return self._lines[row]

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._lines)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.headers)

    def _value(self, line: int, column: Column) -> str:
        index = self._mapping.get(column)
        row = self._rows[line]
        return row[index] if index is not None and index < len(row) else ""

    def _severity(self, line: int) -> Severity | None:
        problems = self._problems.get(line, [])
        if any(p.severity is Severity.ERROR for p in problems):
            return Severity.ERROR
        return Severity.WARNING if problems else None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._lines):
            return None
        line = self._lines[index.row()]
        column = index.column()
        severity = self._severity(line)
        problems = self._problems.get(line, [])
        if column == self.STATUS:
            text, colour = {
                Severity.ERROR: ("Error", fg_colour(ERROR)),
                Severity.WARNING: ("Warning", fg_colour(WARNING)),
                None: ("Ready", fg_colour(OK)),
            }[severity]
            if severity is None and not self._file_ok:
                text, colour = "Not checked", fg_colour(NOT_CHECKED)
            if role == Role.DisplayRole:
                return text
            if role == Role.DecorationRole:
                return dot(colour.name())
            if role == Role.ToolTipRole and not self._file_ok:
                return "Rows are checked once the problem above the table is fixed."
            return None
        if role == Role.ToolTipRole and column in (self.PROBLEMS, self.STATUS):
            return "\n".join(p.message for p in problems) or None
        if column == self.STATE:
            raw = self._value(line, Column.STATE)
            resolved = resolve_salesmate(raw)
            if role == Role.DisplayRole:
                return f"{raw} → {resolved.label}" if raw else ""
            if role == Role.ToolTipRole:
                return formatting.state_tooltip(resolved, "salesmate")
            if role == Role.DecorationRole and raw:
                return dot(formatting.state_colour(resolved).name())
            return None
        if role == Role.DisplayRole:
            if column == self.LINE:
                return line
            if column == self.EMAIL:
                return self._value(line, Column.EMAIL)
            if column == self.SEQUENCE:
                return self._value(line, Column.SEQUENCE)
            if column == self.DATE:
                return self._value(line, Column.DATE)
            if column == self.PROBLEMS:
                return "; ".join(p.message for p in problems)
        if role == Role.ForegroundRole and column == self.PROBLEMS:
            return fg_colour(ERROR if severity is Severity.ERROR else WARNING)
        if role == Role.TextAlignmentRole and column == self.LINE:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation is Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.headers[section]
        return None
