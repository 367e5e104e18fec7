"""The Runs page: a chart of runs over time above the table of every run, with its detail."""

from __future__ import annotations

import html

from PySide6.QtCore import QModelIndex, QSettings, Qt
from PySide6.QtWidgets import QHeaderView, QLabel, QSplitter, QStackedWidget, QVBoxLayout, QWidget

from syncmonitor.engine.runs.events import RunResult
from syncmonitor.ui import formatting
from syncmonitor.ui.models.runs import (
    OUTCOME_COLOURS,
    OUTCOME_WORDS,
    RunRow,
    RunsModel,
    kind_text,
    per_object,
)
from syncmonitor.ui.page import Page
from syncmonitor.ui.runs.chart import RunChart
from syncmonitor.ui.runs.conflicts_view import ConflictsView
from syncmonitor.ui.service_protocols import ServicesLike
from syncmonitor.ui.style import fg
from syncmonitor.ui.widgets import compact_table, empty_state, named, section_title


class RunsPage(Page):
    """Every run: kind, trigger, start, duration, records per object, outcome and error."""

    title = "Runs"
    icon_name = "runs"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = RunsModel(self)
        self.chart = RunChart()
        self.table = compact_table(self.model)
        for column, width in ((0, 110), (1, 130), (2, 90), (3, 90), (4, 90), (5, 90)):
            self.table.setColumnWidth(column, width)
        self.table.horizontalHeader().setSectionResizeMode(
            RunsModel.OUTCOME, QHeaderView.ResizeMode.Stretch
        )
        self.table.selectionModel().currentRowChanged.connect(self._on_current)
        self.chart.run_clicked.connect(self.select_run)
        self.detail = named(QLabel(), "runDetail")
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.detail.setMinimumHeight(60)
        self.empty = empty_state("Starting…")
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.table)
        self.model.refreshed.connect(self._update)
        self.model.modelReset.connect(self._update)

        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(12, 12, 12, 0)
        top_layout.addWidget(section_title("Runs over time"))
        top_layout.addWidget(self.chart, 1)
        bottom = QWidget()
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(12, 0, 12, 12)
        bottom_layout.addWidget(section_title("Every run"))
        bottom_layout.addWidget(self.stack, 1)
        bottom_layout.addWidget(self.detail)
        self.conflicts = ConflictsView()  # the two-way sync's conflicts the selected run settled
        bottom_layout.addWidget(self.conflicts, 1)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(top)
        self.splitter.addWidget(bottom)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)
        self._update()

    def set_waiting(self, message: str) -> None:
        self.empty.set_text(message)

    def set_services(self, services: ServicesLike | None) -> None:
        self.model.set_source(services.runs if services else None)

    def sync_finished(self, result: RunResult) -> None:
        self.model.refresh()

    def save_state(self, settings: QSettings) -> None:
        settings.setValue("runs/splitter", self.splitter.saveState())

    def restore_state(self, settings: QSettings) -> None:
        state = settings.value("runs/splitter")
        if state is not None:
            self.splitter.restoreState(state)

    def select_run(self, run_id: int) -> None:
        row = self.model.find_row(lambda r: r.id == run_id)
        if row is not None:
            self.table.selectRow(row)
            self.table.scrollTo(self.model.index(row, 0))

    def _update(self) -> None:
        self.chart.set_runs(self.model.chart_rows)
        has_rows = self.model.rowCount() > 0
        if self.model.source is not None and not has_rows and not self.model.loading:
            self.empty.set_text(
                "No runs yet", "Every sync appears here: scheduled, forced and catch-up runs."
            )
        self.stack.setCurrentWidget(self.table if has_rows else self.empty)
        if not self.table.selectionModel().hasSelection():
            self.detail.setText("Select a run to see what it read and wrote.")

    def _on_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        row = self.model.row_at(current.row()) if current.isValid() else None
        if row is not None:
            self.detail.setText(run_detail(row))
        self.conflicts.show_run(self.model.source, row.id if row is not None else None)


def run_detail(row: RunRow) -> str:
    """The selected run in full: when, what, per object, and the error a person saw."""
    lines = [
        f"<b>Run {row.id}</b> · {kind_text(row)} · {row.trigger} · "
        f"started {formatting.full_time(row.started_at)}",
        f"Read: {per_object(row.read) or 'nothing'}",
        f"Wrote: {per_object(row.written) or 'nothing'}",
    ]
    if row.error_title:
        title, message = html.escape(row.error_title), html.escape(row.error_message or "")
        lines.append(f"<span style='color:{fg('#ae2a19')}'><b>{title}</b>: {message}</span>")
    text = "<br>".join(lines)
    if row.jobs:
        text += jobs_table(row.jobs)
    return text


def jobs_table(jobs: tuple[dict[str, object], ...]) -> str:
    """One line per part of the run: its outcome, what it read and wrote, and why it failed,
    was skipped or did not run, in the remote's words."""
    cells = "<tr><th align='left'>Part</th><th align='left'>Outcome</th>"
    cells += "<th align='left'>Read</th><th align='left'>Wrote</th><th align='left'>Why</th></tr>"
    for job in jobs:
        outcome = str(job.get("outcome", ""))
        colour = fg(OUTCOME_COLOURS.get(outcome, "#5e6c84"))
        error = job.get("error")
        why = ""
        if isinstance(error, dict):
            why = f"{error.get('title') or ''}: {error.get('message') or ''}"
        elif job.get("reason"):
            why = str(job["reason"]).capitalize()
        read = _counts(job.get("read"))
        wrote = _counts(job.get("written"))
        cells += (
            f"<tr><td>{html.escape(str(job.get('label', job.get('job', ''))))}</td>"
            f"<td style='color:{colour}'><b>{OUTCOME_WORDS.get(outcome, outcome)}</b></td>"
            f"<td>{html.escape(per_object(read) or '–')}</td>"
            f"<td>{html.escape(per_object(wrote) or '–')}</td>"
            f"<td>{html.escape(why)}</td></tr>"
        )
    return f"<table cellspacing='0' cellpadding='3' style='margin-top:6px'>{cells}</table>"


def _counts(value: object) -> dict[str, int]:
    """A job's read or written counts from its stored report (anything else: none)."""
    if not isinstance(value, dict):
        return {}
    return {str(k): n for k, n in value.items() if isinstance(n, int)}
