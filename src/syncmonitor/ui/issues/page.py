"""The Issues page: what did not sync, grouped by cause, with what to do once per cause.

Each cause is one row ("12 people have no Workbooks record") with its count; expanded, it lists
its records. Retry and Dismiss act on what is selected: the whole group, or one record. A delete
hazard offers its two ways out (delete on the other side too, unlink) when its record is selected.
"""

from __future__ import annotations

import asyncio
import logging

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStackedWidget,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from syncmonitor.engine.runs.events import RunResult
from syncmonitor.engine.runs.scheduler import PERSON, Target
from syncmonitor.engine.services.issues import (
    IssueGroup,
    IssuesService,
    StoredIssue,
    consequence_text,
)
from syncmonitor.ui.issues.hazard_actions import SOURCES as HAZARD_SOURCES
from syncmonitor.ui.issues.hazard_actions import HazardActions
from syncmonitor.ui.models.issue_groups import SHOWN_RECORDS, IssueGroupsModel
from syncmonitor.ui.page import Page
from syncmonitor.ui.service_protocols import ServicesLike
from syncmonitor.ui.sync_controller import SyncController
from syncmonitor.ui.widgets import empty_state, named

log = logging.getLogger(__name__)
Selected = IssueGroup | StoredIssue | None


class IssuesPage(Page):
    """Records that did not sync, by cause. They clear themselves when the record syncs later."""

    title = "Issues"
    icon_name = "issues"

    def __init__(self, controller: SyncController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._controller = controller
        self._issues: IssuesService | None = None
        self._expanded: set[str] = set()
        self._selected_key: tuple[str, str] | None = None
        self.model = IssueGroupsModel(self)
        self.tree = named(QTreeView(), "issuesTree")
        self.tree.setModel(self.model)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setAllColumnsShowFocus(True)
        header = self.tree.header()
        self.tree.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.model.row_height = self.tree.fontMetrics().height() + 10
        header.setStretchLastSection(False)
        for column, width in ((1, 120), (3, 110)):
            self.tree.setColumnWidth(column, width)
        # The cause's words get what is left; the remote's answer a share of the width (see
        # resizeEvent), so "12 people have no Workbooks record" fits at 1024 px too.
        header.setSectionResizeMode(IssueGroupsModel.CAUSE, QHeaderView.ResizeMode.Stretch)
        self.tree.selectionModel().currentRowChanged.connect(self._on_current)
        self.tree.expanded.connect(self.model.fill)  # a cause's records become rows when opened
        self.tree.expanded.connect(lambda i: self._note_expanded(i, True))
        self.tree.collapsed.connect(lambda i: self._note_expanded(i, False))
        self.count_label = named(QLabel(), "count")
        self.show_dismissed = QCheckBox("Show dismissed")
        self.show_dismissed.toggled.connect(self._toggle_dismissed)
        self.retry_button = QPushButton("Retry")
        self.retry_button.clicked.connect(self.retry_selected)
        self.dismiss_button = QPushButton("Dismiss")
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
        self.stack.addWidget(self.tree)
        self.model.refreshed.connect(self._update)

        bar = QHBoxLayout()
        bar.addWidget(self.count_label, 1)
        bar.addWidget(self.show_dismissed)
        # The actions sit right under what they act on, in one row that does not move.
        buttons = QHBoxLayout()
        buttons.addWidget(self.retry_button)
        buttons.addWidget(self.dismiss_button)
        buttons.addWidget(self.hazard.delete_button)
        buttons.addWidget(self.hazard.unlink_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.setSpacing(8)
        layout.addLayout(bar)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.detail)
        layout.addLayout(buttons)
        self._update()

    # Page ---------------------------------------------------------------------------------------

    def set_waiting(self, message: str) -> None:
        self.empty.set_text(message)

    def set_services(self, services: ServicesLike | None) -> None:
        self._issues = services.issues if services else None
        self.model.set_source(self._issues)

    def sync_finished(self, result: RunResult) -> None:
        self.model.refresh()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        # From the page's own new width: the tree's viewport is resized after this event.
        width = event.size().width() - 24 - self.tree.verticalScrollBar().sizeHint().width()
        # Narrow (1024 px): "Where" gives its room to the cause (the detail names it anyway).
        self.tree.setColumnHidden(IssueGroupsModel.WHERE, width < 1000)
        self.tree.setColumnWidth(IssueGroupsModel.PROBLEM, max(180, int(width * 0.34)))

    # Selection ----------------------------------------------------------------------------------

    def selected(self) -> Selected:
        return self.model.item_of(self.tree.selectionModel().currentIndex())

    def selected_issue(self) -> StoredIssue | None:
        """The one record selected (a group of one counts as its record)."""
        item = self.selected()
        if isinstance(item, IssueGroup):
            return item.issues[0] if item.count == 1 else None
        return item

    def select_group(self, row: int) -> None:
        self.tree.setCurrentIndex(self.model.index(row, 0))

    def select_record(self, group_row: int, row: int) -> None:
        parent = self.model.index(group_row, 0)
        self.model.fill(parent)
        self.tree.expand(parent)
        self.tree.setCurrentIndex(self.model.index(row, 0, parent))

    def ready(self) -> bool:
        return self.model.source is not None and not self.model.loading and bool(self.model.groups)

    def select_for_screenshot(self) -> None:
        """The group with the most records, expanded, and the delete hazard selected."""
        for row, group in enumerate(self.model.groups):
            if group.count > 1:
                self.model.fill(self.model.index(row, 0))
                self.tree.expand(self.model.index(row, 0))
        for row, group in enumerate(self.model.groups):
            if any(i.consequences for i in group.issues):
                self.select_group(row)

    # Actions ------------------------------------------------------------------------------------

    def retry_selected(self) -> None:
        item = self.selected()
        people = _retryable(item)
        if not people:
            return
        one = people[0] if len(people) == 1 else None
        prospect = _prospect_of(one) if one is not None else None
        log.info("Retry pressed on the Issues page for %s", _what(item))
        if one is not None and prospect is not None:  # sync just that person
            self._controller.force(Target.person(prospect, one.record_label))
        else:  # several, or someone from an import: a full sync tries every one of them again
            self._controller.force(Target.sync_of())

    def dismiss_selected(self) -> None:
        item = self.selected()
        if item is None or self._issues is None or item.dismissed:
            return
        ids = item.ids
        log.info("Dismiss pressed on the Issues page for %s", _what(item))
        task = asyncio.get_running_loop().create_task(self._dismiss(self._issues, ids))
        task.add_done_callback(_log_failure)

    async def _dismiss(self, issues: IssuesService, ids: list[int]) -> None:
        await issues.dismiss_many(ids)
        self.model.refresh()
        self._controller.refresh_issue_count()

    def _toggle_dismissed(self, on: bool) -> None:
        self.model.show_dismissed = on
        self.model.reload()

    # View ---------------------------------------------------------------------------------------

    def _note_expanded(self, index: QModelIndex, on: bool) -> None:
        item = self.model.item_of(index)
        if isinstance(item, IssueGroup):
            (self._expanded.add if on else self._expanded.discard)(item.cause)

    def _update(self) -> None:
        groups = self.model.groups
        has_rows = bool(groups)
        if self.model.source is not None:
            total = self.model.total
            causes = len([g for g in groups if not g.dismissed])
            self.count_label.setText(
                (
                    f"{total} open {'issue' if total == 1 else 'issues'}, "
                    f"{causes} {'cause' if causes == 1 else 'causes'}"
                )
                if total
                else "No open issues"
            )
            if not has_rows and not self.model.loading:
                self.empty.set_text(
                    "Nothing to fix",
                    "Records that a sync cannot write (a person Workbooks does not know, a value "
                    "it refuses) appear here by cause, with what to do. They clear themselves "
                    "once the record syncs.",
                )
        self.stack.setCurrentWidget(self.tree if has_rows else self.empty)
        self._restore_view()
        self._update_buttons(self.selected())

    def _restore_view(self) -> None:
        """After a reload: the same causes expanded, the same row selected (if still there)."""
        wanted = self._selected_key
        for row, group in enumerate(self.model.groups):
            parent = self.model.index(row, 0)
            if group.cause in self._expanded:
                self.model.fill(parent)
                self.tree.expand(parent)
            if wanted == ("group", group.cause):
                self.tree.setCurrentIndex(parent)
            if group.cause not in self._expanded:
                continue  # its records are not rows yet
            for child, issue in enumerate(group.issues[:SHOWN_RECORDS]):
                if wanted == ("issue", str(issue.id)):
                    self.tree.setCurrentIndex(self.model.index(child, 0, parent))

    def _on_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        item = self.model.item_of(current)
        if isinstance(item, IssueGroup):
            self._selected_key = ("group", item.cause)
        elif item is not None:
            self._selected_key = ("issue", str(item.id))
        self.detail.setText(_detail(item))
        self._update_buttons(item)

    def _update_buttons(self, item: Selected) -> None:
        many = isinstance(item, IssueGroup) and item.count > 1
        count = item.count if isinstance(item, IssueGroup) else 1
        people = _retryable(item)
        self.retry_button.setEnabled(bool(people))
        self.dismiss_button.setEnabled(item is not None and not item.dismissed)
        self.retry_button.setText(f"Retry all {count}" if many else "Retry")
        self.dismiss_button.setText(f"Dismiss all {count}" if many else "Dismiss")
        record = self.selected_issue()
        if many:
            retry_tip = (
                "A full sync tries every record of this cause again (after the running sync)"
            )
        elif record is not None and record.source in HAZARD_SOURCES:
            retry_tip = (
                "Sync this prospect again now: its sequence states are written if a Workbooks "
                "person has its address or Outreach id. Delete or Unlink settle the deletion."
            )
        else:
            retry_tip = "Sync this record again now (after the running sync)"
        self.retry_button.setToolTip(retry_tip)
        self.dismiss_button.setToolTip(
            "Hide these issues; each comes back only if the remote answers something new"
            if many
            else "Hide this issue; it comes back only if the remote answers something new"
        )
        if item is None:
            self.detail.setText("Select a cause or a record to see what to do.")
        self.hazard.show_issue(self._issues, self.selected_issue())


def _what(item: Selected) -> str:
    if isinstance(item, IssueGroup):
        return f"the cause {item.title!r} ({item.count} {'issue' if item.count == 1 else 'issues'})"
    return f"{item.record_label!r}" if item is not None else "nothing"


def _retryable(item: Selected) -> list[StoredIssue]:
    """The people Retry would sync again (a delete hazard: its prospect, if it has one)."""
    if item is None:
        return []
    found = list(item.issues) if isinstance(item, IssueGroup) else [item]
    return [i for i in found if i.record_type == PERSON and _can_retry(i)]


def _can_retry(issue: StoredIssue) -> bool:
    if issue.source in HAZARD_SOURCES:
        return bool(issue.consequences)  # retrying the deletion itself means nothing
    return True


def _prospect_of(issue: StoredIssue) -> int | None:
    """The Outreach prospect a Retry of this one record syncs."""
    if issue.record_key.isdigit():
        return int(issue.record_key)
    for consequence in issue.consequences:
        if consequence.record_key.isdigit():
            return int(consequence.record_key)
    return None


def _detail(item: Selected) -> str:
    if isinstance(item, IssueGroup):
        if item.count == 1:
            return _detail(item.issues[0])
        names = f"{_escape(item.where)}: " + ", ".join(
            _escape(i.record_label) for i in item.issues[:3]
        )
        more = f" and {item.count - 3} more" if item.count > 3 else ""
        return (
            f"<b>{_escape(item.title)}</b><br>"
            f"{names}{more}. Expand the cause to see each record and its answer.<br>"
            f"<b>What to do (once for all {item.count}):</b> {_escape(item.todo)}"
        )
    if item is None:
        return "Select a cause or a record to see what to do."
    then = consequence_text(item)
    return (
        f"<b>{_escape(item.record_label)}</b><br>"
        f"The remote answered: {_escape(item.problem)}<br>"
        + (f"{_escape(then)}<br>" if then else "")
        + f"<b>What to do:</b> {_escape(item.todo)}"
    )


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("Dismissing the issue failed", exc_info=task.exception())
