"""The base of the mapping editors' rule tables: one row per rule, its problems grouped by row,
and the "Check" column's text (the first error, else the first warning, else OK)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from syncmonitor.domain.mappings.statuses import Issue

RuleT = TypeVar("RuleT")
AnyIndex = QModelIndex | QPersistentModelIndex


def check_text(issues: Sequence[Issue]) -> str:
    """What the Check column says of a rule's problems."""
    if not issues:
        return "OK"
    first = next((i for i in issues if i.is_error), issues[0])
    return ("Error: " if first.is_error else "Warning: ") + first.message


class RulesTableModel(QAbstractTableModel, Generic[RuleT]):
    """Subclasses set HEADERS and say what each cell shows (`cell`)."""

    HEADERS: tuple[str, ...] = ()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rules: tuple[RuleT, ...] = ()
        self.issues: dict[int, list[Issue]] = {}

    def set_rules(self, rules: tuple[RuleT, ...], issues: list[Issue]) -> None:
        """Show `rules`, each with the `issues` found on its row."""
        self.beginResetModel()
        self.rules = rules
        self.issues = {}
        for issue in issues:
            if issue.row is not None:
                self.issues.setdefault(issue.row, []).append(issue)
        self.endResetModel()

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rules)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation is Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = index.row()
        return self.cell(self.rules[row], self.issues.get(row, []), index.column(), role)

    def cell(self, rule: RuleT, issues: list[Issue], column: int, role: int) -> Any:
        """What `column` of `rule` shows for `role` (None: nothing)."""
        raise NotImplementedError
