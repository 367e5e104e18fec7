"""The first two-way sync, previewed: what the sync would write to Outreach and Workbooks (how
many records created or updated on each side, with a few examples), and Confirm or Not now.

Until confirmed the syncs read and write nothing back. Shown with open(), never exec() (a nested
event loop inside an async slot would run other tasks re-entrantly); the plan is worked out by
the engine (`engine.runs.first_sync.plan_sync`) on a copy of the cache, writing nothing.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from syncmonitor.engine.connections.doctor import Finding
from syncmonitor.engine.runs.first_sync import WritePlan
from syncmonitor.ui.widgets import named


class FirstSyncDialog(QDialog):
    """Working out the plan, then the plan with Confirm and Not now."""

    confirmed = Signal()

    def __init__(self, remotes: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Before the first two-way sync")
        self.setMinimumSize(640, 420)
        names = " and ".join(r.capitalize() for r in remotes)
        self.intro = named(
            QLabel(
                f"Sync Monitor has not written to these {names} accounts yet. Before it does, "
                "here is what the next full sync would write. Until you confirm, syncs read "
                "from them and write nothing back."
            ),
            "hint",
        )
        self.intro.setWordWrap(True)
        self.plan_view = named(QTextBrowser(), "firstSyncPlan")
        self.plan_view.setHtml("<p>Working out what the sync would write (nothing is written)…</p>")
        self.buttons = QDialogButtonBox()
        self.confirm_button: QPushButton = self.buttons.addButton(
            "Confirm: start writing", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.later_button: QPushButton = self.buttons.addButton(
            "Not now", QDialogButtonBox.ButtonRole.RejectRole
        )
        self.confirm_button.setEnabled(False)
        self.buttons.accepted.connect(self._confirm)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(self.plan_view, 1)
        layout.addWidget(self.buttons)

    def show_plan(self, plan: WritePlan, problems: Sequence[Finding] = ()) -> None:
        rows = "".join(
            f"<tr><td><b>{html.escape(w.remote)}</b></td><td align='right'>{w.count:,}</td>"
            f"<td>{html.escape(w.objects)} {_verb(w.action)}</td>"
            f"<td style='color:#5e6c84'>{html.escape('; '.join(w.examples))}</td></tr>"
            for w in plan.writes
        )
        body = (
            f"<table cellspacing='0' cellpadding='4'><tr><th align='left'>Where</th>"
            f"<th>How many</th><th align='left'>What</th><th align='left'>For example</th></tr>"
            f"{rows}</table>"
            if plan.writes
            else "<p>Nothing would be written to Outreach or Workbooks right now.</p>"
        )
        if problems:  # the connection doctor runs before the first sync too
            body += "<p style='color:#ae2a19'>The connection test found:</p><ul>"
            body += "".join(
                f"<li><b>{html.escape(f.service)} {html.escape(f.resource)}</b>: "
                f"{html.escape(f.verdict.label)}. {html.escape(f.todo)}</li>"
                for f in problems
            )
            body += "</ul>"
        missing = [j for j in plan.result.jobs if j.outcome.value in ("failed", "skipped")]
        if missing:
            body += "<p style='color:#ae2a19'>Not worked out, so not in the table:</p><ul>"
            body += "".join(f"<li>{html.escape(j.sentence())}</li>" for j in missing)
            body += "</ul>"
        body += (
            "<p style='color:#5e6c84'>Worked out by running the sync on a copy of the cache with "
            "every write held back. Counts can change a little by the time it runs.</p>"
        )
        self.plan_view.setHtml(body)
        self.confirm_button.setEnabled(True)

    def show_error(self, title: str, message: str) -> None:
        self.plan_view.setHtml(
            f"<p style='color:#ae2a19'><b>{html.escape(title)}</b>: {html.escape(message)}</p>"
            "<p>Nothing has been written. Check Settings > Test connections, then open this "
            "again from Settings.</p>"
        )

    def _confirm(self) -> None:
        self.confirmed.emit()
        self.accept()


def _verb(action: str) -> str:
    return {"create": "created", "update": "updated", "delete": "deleted"}.get(action, action)
