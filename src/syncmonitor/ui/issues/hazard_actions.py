"""The Issues page's two answers to a delete hazard: delete the surviving record on the other
side too, or unlink it. Each asks for confirmation, then runs on the event loop."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QMessageBox, QPushButton, QWidget

from syncmonitor.engine.services.issues import Hazard, HazardAction, IssuesService, StoredIssue
from syncmonitor.ui.models.lazy import background_reader, read_in_background

log = logging.getLogger(__name__)
SOURCES = {
    "outreach.prospects": "person",
    "outreach.accounts": "organisation",
    "outreach.opportunities": "opportunity",
}


def other_side(hazard: Hazard) -> str:
    return "deleted in Workbooks" if hazard.deleted_side == "crm" else "deleted in Outreach"


def _ask(parent: QWidget, title: str, text: str) -> bool:
    answer = QMessageBox.question(parent, title, text)
    return answer == QMessageBox.StandardButton.Yes


class HazardActions:
    """The buttons and what they do; `confirm` is replaceable (tests answer for the person)."""

    def __init__(self, page: Any, controller: Any) -> None:
        self.page, self.controller = page, controller
        self.confirm: Callable[[str, str], bool] = lambda title, text: _ask(page, title, text)
        self.delete_button = QPushButton("Delete on the other side")
        self.unlink_button = QPushButton("Unlink")
        self.unlink_button.setToolTip(
            "Keep the remaining record, drop its link and stop syncing it to Outreach"
        )
        self.delete_button.clicked.connect(lambda: self._act(HazardAction.DELETE_OTHER_SIDE))
        self.unlink_button.clicked.connect(lambda: self._act(HazardAction.UNLINK))
        self.hazard: Hazard | None = None
        self.issues: IssuesService | None = None
        self.task: asyncio.Task[None] | None = None
        self.loading = False  # a delete warning is being read
        self._issue: StoredIssue | None = None
        self._generation = 0
        self._reader = background_reader(self)
        self._show(None)

    def show_issue(self, issues: IssuesService | None, issue: StoredIssue | None) -> None:
        """Offer the hazard's buttons when `issue` is an open delete hazard (read on a reader
        thread; the buttons stay hidden until it is known)."""
        self.issues, self._issue = issues, issue
        self._generation += 1
        self.loading = False
        self._show(None)
        kind = SOURCES.get(issue.source) if issue is not None else None
        if issues is not None and issue is not None and kind is not None:
            key = issue.record_key.removeprefix("workbooks:")
            if key.isdigit():
                self.loading = True
                read_in_background(
                    lambda: issues.open_hazard(kind, int(key)), self._reader, self._generation
                )

    def _on_read(self, generation: int, result: object, kind: str) -> None:
        if generation != self._generation:
            return  # another issue was selected meanwhile
        self.loading = False
        if isinstance(result, BaseException):
            log.warning("Reading a delete warning failed: %s", result)
            return
        assert result is None or isinstance(result, Hazard)
        self._show(result)

    def _show(self, hazard: Hazard | None) -> None:
        self.hazard = hazard
        for button in (self.delete_button, self.unlink_button):
            button.setVisible(self.hazard is not None)
            button.setEnabled(self.hazard is not None)
        if self.hazard is not None:
            other = "Outreach" if self.hazard.deleted_side == "crm" else "Workbooks"
            self.delete_button.setText(f"Delete in {other} too")
            self.delete_button.setToolTip(
                f"Delete the {other} record as well, finishing the deletion"
            )

    def _act(self, action: HazardAction) -> None:
        hazard, issues = self.hazard, self.issues
        if hazard is None or issues is None:
            return
        other = "Outreach" if hazard.deleted_side == "crm" else "Workbooks"
        if action is HazardAction.DELETE_OTHER_SIDE:
            title, text = (
                "Delete it",
                f"Delete {hazard.label} in {other} too? This cannot be undone.",
            )
        else:
            title, text = (
                "Unlink it",
                (f"Keep {hazard.label} in {other}, drop its link and stop syncing it to Outreach?"),
            )
        if not self.confirm(title, text):
            return
        for button in (self.delete_button, self.unlink_button):
            button.setEnabled(False)
        log.info("%s confirmed on the Issues page for %s", title, hazard.label)
        self.task = asyncio.ensure_future(self._run(issues, hazard, action))

    async def _run(self, issues: IssuesService, hazard: Hazard, action: HazardAction) -> None:
        try:
            await issues.act_on_hazard(hazard, action)
        except Exception as exc:
            log.warning("The delete warning was not handled: %s", exc)
            self.page.detail.setText(f"<b>Not done.</b> {exc}")
            for button in (self.delete_button, self.unlink_button):
                button.setEnabled(True)
            return
        log.info("%s: %s (it had been %s)", hazard.label, action.value, other_side(hazard))
        self.hazard = None
        self.page.model.refresh()
        self.controller.refresh_issue_count()
        self.page.detail.setText(f"Done: {hazard.label} is {action.value}.")
