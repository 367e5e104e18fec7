"""The Issues list as a tree: one row per cause with its count, its records under it.

The groups are read on a reader thread (`IssuesService.groups`), never on the GUI thread; a
reload keeps which causes were expanded and which row was selected. A cause's records are made
into rows only when it is expanded, at most `SHOWN_RECORDS` of them (12,000 rows would hold the
event loop for two seconds): a last row says how many more there are, and Retry all / Dismiss
all still act on every one.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QObject, QSize, Qt, Signal
from PySide6.QtGui import QFont, QStandardItem, QStandardItemModel

from syncmonitor.engine.services.issues import (
    IssueGroup,
    IssuesService,
    StoredIssue,
    consequence_text,
)
from syncmonitor.ui import formatting
from syncmonitor.ui.models.lazy import background_reader, read_in_background

Role = Qt.ItemDataRole
ITEM_ROLE = Role.UserRole + 1  # the IssueGroup or StoredIssue a row stands for
PENDING_ROLE = Role.UserRole + 2  # on a cause's placeholder child: its records are not rows yet
SHOWN_RECORDS = 50  # about 20 ms to build (200 took 62 ms, 12,000 took 2.2 s)


class IssueGroupsModel(QStandardItemModel):
    """Causes at the top level, their records as children."""

    CAUSE, WHERE, PROBLEM, SEEN = range(4)
    headers = ("Cause and records", "Where", "Who, and what the remote answered", "Last seen")
    refreshed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setHorizontalHeaderLabels(list(self.headers))
        self.source: IssuesService | None = None
        self.show_dismissed = False
        self.groups: list[IssueGroup] = []
        self.total = 0
        self.loading = False
        self.row_height = 24  # the view sets it from its font: rows as tall as the other tables
        self._generation = 0
        self._reader = background_reader(self)

    def set_source(self, source: IssuesService | None) -> None:
        self.source = source
        self.refresh()

    def reload(self) -> None:
        self.refresh()

    def refresh(self) -> None:
        """Read the groups again (off the GUI thread)."""
        source = self.source
        self._generation += 1
        if source is None:
            self._show([], 0)
            return
        self.loading = True
        dismissed = self.show_dismissed
        read_in_background(
            lambda: (source.groups(include_dismissed=dismissed), source.count()),
            self._reader,
            self._generation,
        )

    def _on_read(self, generation: int, result: object, kind: str) -> None:
        if generation != self._generation:
            return
        self.loading = False
        if isinstance(result, BaseException):
            self.refreshed.emit()
            return
        groups, total = result  # type: ignore[misc]
        self._show(list(groups), int(total))

    def _show(self, groups: list[IssueGroup], total: int) -> None:
        self.groups, self.total = groups, total
        self.removeRows(0, self.rowCount())
        height = QSize(-1, self.row_height)
        for group in groups:
            row = _group_row(group)
            row[0].setSizeHint(height)
            placeholder = _cell("")
            placeholder.setData(True, PENDING_ROLE)
            row[0].appendRow(placeholder)  # the expand arrow; `fill` puts the records in
            self.appendRow(row)
        self.refreshed.emit()

    def fill(self, index: QModelIndex) -> None:
        """Make the records of the cause at `index` into rows (once, at most SHOWN_RECORDS)."""
        item = self.itemFromIndex(index.siblingAtColumn(0)) if index.isValid() else None
        group = item.data(ITEM_ROLE) if item is not None else None
        if item is None or not isinstance(group, IssueGroup):
            return
        first = item.child(0)
        if first is None or not first.data(PENDING_ROLE):
            return
        item.removeRow(0)
        height = QSize(-1, self.row_height)
        for issue in group.issues[:SHOWN_RECORDS]:
            child = _issue_row(issue)
            child[0].setSizeHint(height)
            item.appendRow(child)
        more = group.count - SHOWN_RECORDS
        if more > 0:
            note = _cell(
                f"… and {more:,} more (Retry all and Dismiss all act on every one; "
                "`syncmonitor issues` lists them all)"
            )
            note.setData(group, ITEM_ROLE)
            note.setSizeHint(height)
            item.appendRow([note, _cell(""), _cell(""), _cell("")])

    # Lookups ------------------------------------------------------------------------------------

    @staticmethod
    def item_of(index: object) -> IssueGroup | StoredIssue | None:
        """The group or issue of a row (any column)."""
        if not isinstance(index, QModelIndex) or not index.isValid():
            return None
        found = index.siblingAtColumn(0).data(ITEM_ROLE)
        return found if isinstance(found, IssueGroup | StoredIssue) else None


def _cell(text: str, tip: str = "") -> QStandardItem:
    item = QStandardItem(text)
    item.setEditable(False)
    if tip:
        item.setToolTip(tip)
    return item


def _group_row(group: IssueGroup) -> list[QStandardItem]:
    title = _cell(
        group.title + ("  (dismissed)" if group.dismissed else ""),
        f"{group.title} ({group.where})\n\nWhat to do: {group.todo}",
    )
    font = QFont()
    font.setBold(True)
    title.setFont(font)
    title.setData(group, ITEM_ROLE)
    # The cause's row names who it is about (its title already says what happened); each
    # record's row under it has the remote's own answer.
    answer = group.issues[0].problem if group.issues else ""
    cells = [
        title,
        _cell(group.where),
        _cell(who(group), f"{answer}\n\nWhat to do: {group.todo}"),
        _cell(formatting.short_time(group.last_seen)),
    ]
    if group.dismissed:
        for cell in cells:
            cell.setForeground(Qt.GlobalColor.gray)
    return cells


def who(group: IssueGroup, shown: int = 3) -> str:
    """ "Ada, Bob and 10 more": the records of a cause, in short."""
    names = [i.record_label.split(" <")[0] for i in group.issues[:shown]]
    more = group.count - len(names)
    if more > 0:
        return f"{', '.join(names)} and {more} more"
    if len(names) > 1:
        return f"{', '.join(names[:-1])} and {names[-1]}"
    return names[0] if names else ""


def _issue_row(issue: StoredIssue) -> list[QStandardItem]:
    label = _cell(issue.record_label + ("  (dismissed)" if issue.dismissed else ""))
    label.setData(issue, ITEM_ROLE)
    times = f" ({issue.occurrences}×)" if issue.occurrences > 1 else ""
    then = consequence_text(issue)
    problem = issue.problem + (f" {then}" if then else "")
    cells = [
        label,
        _cell(""),
        _cell(problem, f"{problem}\n\nWhat to do: {issue.todo}"),
        _cell(
            formatting.short_time(issue.last_seen) + times,
            f"First seen {formatting.full_time(issue.first_seen)}",
        ),
    ]
    if issue.dismissed:
        for cell in cells:
            cell.setForeground(Qt.GlobalColor.gray)
    return cells
