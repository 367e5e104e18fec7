"""The Issues page: records that did not sync, why, and what to do; retry or dismiss each."""

from __future__ import annotations

import asyncio
import logging

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from syncmonitor.engine.runs.events import RunResult
from syncmonitor.engine.runs.scheduler import PERSON, Target
from syncmonitor.engine.services.issues import IssuesService, StoredIssue
from syncmonitor.ui.acts import acts
from syncmonitor.ui.issues.hazard_actions import HazardActions
from syncmonitor.ui.models.issues import IssuesModel
from syncmonitor.ui.page import Page
from syncmonitor.ui.service_protocols import ServicesLike
from syncmonitor.ui.sync_controller import SyncController
from syncmonitor.ui.widgets import compact_table, empty_state, named

log = logging.getLogger(__name__)


class IssuesPage(Page):
    """Per-record sync errors. They clear themselves when the record syncs later."""

    title = "Issues"
    icon_name = "issues"

    def __init__(self, controller: SyncController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._controller = controller
        self._issues: IssuesService | None = None
        self.model = IssuesModel(self)
        self.table = compact_table(self.model)
        for column, width in ((0, 240), (1, 130), (3, 130)):
            self.table.setColumnWidth(column, width)
        self.table.horizontalHeader().setSectionResizeMode(
            IssuesModel.PROBLEM, QHeaderView.ResizeMode.Stretch
        )
        self.table.selectionModel().currentRowChanged.connect(self._on_current)
        self.count_label = named(QLabel(), "count")
        self.show_dismissed = QCheckBox("Show dismissed")
        self.show_dismissed.toggled.connect(self._toggle_dismissed)
        self.retry_button = QPushButton("Retry")
        self.retry_button.setToolTip("Sync this record again now (after the running sync)")
        self.retry_button.clicked.connect(self.retry_selected)
        self.dismiss_button = QPushButton("Dismiss")
        acts(self.retry_button, self.dismiss_button)  # off for a login that can only watch
        self.dismiss_button.setToolTip(
            "Hide this issue; it comes back only if the remote answers something new"
        )
        self.dismiss_button.clicked.connect(self.dismiss_selected)
        # A record deleted on one side only (the delete hazard) offers two ways out.
        self.hazard = HazardActions(self, controller)
        self.detail = named(QLabel(), "issueDetail")
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail.setMinimumHeight(64)
        self.detail.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.empty = empty_state("Starting…")
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.table)
        self.model.refreshed.connect(self._update)
        self.model.modelReset.connect(self._update)

        bar = QHBoxLayout()
        bar.addWidget(self.count_label, 1)
        bar.addWidget(self.show_dismissed)
        actions = QHBoxLayout()
        actions.addWidget(self.detail, 1)
        buttons = QVBoxLayout()
        buttons.addWidget(self.retry_button)
        buttons.addWidget(self.dismiss_button)
        buttons.addWidget(self.hazard.delete_button)
        buttons.addWidget(self.hazard.unlink_button)
        buttons.addStretch(1)
        actions.addLayout(buttons)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.setSpacing(8)
        layout.addLayout(bar)
        layout.addWidget(self.stack, 1)
        layout.addLayout(actions)
        self._update()

    # Page ---------------------------------------------------------------------------------------

    def set_waiting(self, message: str) -> None:
        self.empty.set_text(message)

    def set_services(self, services: ServicesLike | None) -> None:
        self._issues = services.issues if services else None
        self.model.set_source(self._issues)

    def sync_finished(self, result: RunResult) -> None:
        self.model.refresh()

    # Actions ------------------------------------------------------------------------------------

    def selected_issue(self) -> StoredIssue | None:
        index = self.table.selectionModel().currentIndex()
        return self.model.row_at(index.row()) if index.isValid() else None

    def retry_selected(self) -> None:
        issue = self.selected_issue()
        if issue is None or issue.record_type != PERSON:
            return
        if issue.record_key.isdigit():  # an Outreach prospect: sync just that person
            self._controller.force(Target.person(int(issue.record_key), issue.record_label))
        else:  # someone from an import: the next full sync pushes everyone still queued
            self._controller.force(Target.sync_of())

    def dismiss_selected(self) -> None:
        issue = self.selected_issue()
        if issue is None or self._issues is None:
            return
        task = asyncio.get_running_loop().create_task(self._dismiss(self._issues, issue.id))
        task.add_done_callback(_log_failure)

    async def _dismiss(self, issues: IssuesService, issue_id: int) -> None:
        await issues.dismiss(issue_id)
        self.model.refresh()
        self._controller.refresh_issue_count()

    def _toggle_dismissed(self, on: bool) -> None:
        self.model.show_dismissed = on
        self.model.reload()

    # View ---------------------------------------------------------------------------------------

    def _update(self) -> None:
        total = self.model.total
        has_rows = self.model.rowCount() > 0
        if self.model.source is not None:
            self.count_label.setText(
                f"{total} open {'issue' if total == 1 else 'issues'}" if total else "No open issues"
            )
            if not has_rows and not self.model.loading:
                self.empty.set_text(
                    "Nothing to fix",
                    "Records that a sync cannot write (a person Workbooks does not know, a value "
                    "it refuses) appear here with what to do. They clear themselves once the "
                    "record syncs.",
                )
        self.stack.setCurrentWidget(self.table if has_rows else self.empty)
        issue = self.selected_issue()
        self.retry_button.setEnabled(issue is not None and issue.record_type == PERSON)
        self.dismiss_button.setEnabled(issue is not None and not issue.dismissed)
        if issue is None:
            self.detail.setText("Select an issue to see what to do.")

    def _on_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        issue = self.model.row_at(current.row()) if current.isValid() else None
        if issue is not None:
            self.detail.setText(
                f"<b>{_escape(issue.record_label)}</b><br>"
                f"The remote answered: {_escape(issue.problem)}<br>"
                f"<b>What to do:</b> {_escape(issue.todo)}"
            )
        self._update_buttons(issue)

    def _update_buttons(self, issue: StoredIssue | None) -> None:
        self.retry_button.setEnabled(issue is not None and issue.record_type == PERSON)
        self.dismiss_button.setEnabled(issue is not None and not issue.dismissed)
        self.hazard.show_issue(self._issues, issue)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("Dismissing the issue failed", exc_info=task.exception())
