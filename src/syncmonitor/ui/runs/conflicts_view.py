"""The conflicts of one run, for review on the Runs page: which record and field both sides
changed, both values, the value they last agreed on, the rule applied and which side won."""

from __future__ import annotations

import logging

from PySide6.QtWidgets import (
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from syncmonitor.domain.mappings.fields import ConflictRule
from syncmonitor.engine.services.runs import RunConflicts, RunsService
from syncmonitor.ui.models.lazy import background_reader, read_in_background
from syncmonitor.ui.widgets import named, section_title

log = logging.getLogger(__name__)

SHOWN = 500  # a run with more conflicts shows the first ones and says how many there are
COLUMNS = ("Record", "Field", "Workbooks value", "Outreach value", "Last synced", "Rule", "Won")


def _rule_label(value: str) -> str:
    try:
        return ConflictRule(value).label
    except ValueError:
        return value


class ConflictsView(QWidget):
    """A table of one run's conflicts (empty: a line saying there were none)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.loading = False  # a run's conflicts are being read
        self._generation = 0
        self._reader = background_reader(self)
        self.title = section_title("Conflicts in this run")
        self.note = named(QLabel("Select a run to see the conflicts it settled."), "hint")
        self.note.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in enumerate((200, 160, 140, 140, 120, 130)):
            self.table.setColumnWidth(column, width)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.note)
        layout.addWidget(self.table, 1)
        self.table.setVisible(False)

    def show_run(self, runs: RunsService | None, run_id: int | None) -> None:
        """Show the conflicts of `run_id`, read on a reader thread (never the GUI thread)."""
        self._generation += 1
        self.loading = False
        self.table.setRowCount(0)
        if runs is None or run_id is None:
            self.table.setVisible(False)
            self.note.setText("Select a run to see the conflicts it settled.")
            return
        self.loading = True
        read_in_background(lambda: runs.conflicts(run_id, SHOWN), self._reader, self._generation)

    def _on_read(self, generation: int, result: object, kind: str) -> None:
        if generation != self._generation:
            return  # another run was selected meanwhile
        self.loading = False
        if isinstance(result, BaseException):
            log.warning("Reading a run's conflicts failed: %s", result)
            return
        assert isinstance(result, RunConflicts)
        self._show(result)

    def _show(self, found: RunConflicts) -> None:
        total, conflicts = found.total, found.shown
        if not conflicts:
            self.table.setVisible(False)
            self.note.setText(
                "No conflicts: no mapped field was changed on both sides since the sync before."
            )
            return
        more = f" (the first {SHOWN:,} are shown)" if total > SHOWN else ""
        self.note.setText(
            f"{total:,} fields were changed on both Workbooks and Outreach since the sync before; "
            f"each field's conflict rule decided which value both now hold{more}."
        )
        self.table.setVisible(True)
        self.table.setRowCount(len(conflicts))
        for row, c in enumerate(conflicts):
            winner = "Workbooks" if c.winner == "crm" else "Outreach"
            cells = (
                c.label or f"{c.kind} {c.crm_id}",
                f"{c.crm_field} ↔ {c.outreach_field}",
                c.crm_value,
                c.outreach_value,
                c.last_value,
                _rule_label(c.rule),
                winner,
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.table.setItem(row, column, item)
        self.table.resizeRowsToContents()
