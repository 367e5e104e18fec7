"""Fix name: the person shortens a blocking mailshot's name and confirms what will happen."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from syncmonitor.domain.mailshots.rules import (
    NAME_LIMIT,
    NAME_RULE,
    name_length,
    name_problem,
    suggest_short_name,
)
from syncmonitor.ui.style import fg
from syncmonitor.ui.widgets import named

OK_COLOUR, BAD_COLOUR = "#216e4e", "#ae2a19"


class FixNameDialog(QDialog):
    """Shows the rule, counts as the person types, and emits `confirmed(new_name)` on OK.

    Open it with `open()` (window-modal, never `exec()`), so the event loop keeps running."""

    confirmed = Signal(str)

    def __init__(
        self,
        mailshot_id: int,
        name: str,
        parent: QWidget | None = None,
        *,
        subject: str | None = None,
        audience: int | None = None,
    ) -> None:
        super().__init__(parent)
        self.mailshot_id = mailshot_id
        self.original = name
        self.setWindowTitle("Fix the mailshot's name")
        self.setMinimumWidth(560)
        length = name_length(name)
        intro = named(
            QLabel(
                f"GatorMail cannot take <b>“{html.escape(name)}”</b>: its name has {length} "
                f"characters and GatorMail accepts at most {NAME_LIMIT}, so it blocks every "
                "mailshot behind it."
            ),
            "fixIntro",
        )
        intro.setWordWrap(True)
        intro.setTextFormat(Qt.TextFormat.RichText)
        steps = named(
            QLabel(
                "When you confirm, Sync Monitor will, in Workbooks:<ol style='margin-left:-20px'>"
                "<li>create a copy with the new name and the same subject, sender and type "
                "(Workbooks gives it a mailing list of its own);</li>"
                f"<li>copy the original's audience into it"
                f"{f' ({audience:,} contacts)' if audience is not None else ''} and check "
                "the count;</li><li>queue it, as pressing Synchronise would: it goes to the "
                "back of the queue;</li><li>read it back, and only then delete the "
                "original.</li></ol>"
                "The queue then moves on. If a step fails, nothing is lost and the message "
                "says what is left to do."
            ),
            "hint",
        )
        steps.setWordWrap(True)
        steps.setTextFormat(Qt.TextFormat.RichText)
        self.edit = named(QLineEdit(suggest_short_name(name)), "newName")
        self.edit.setClearButtonEnabled(True)
        self.edit.setAccessibleName("New mailshot name")
        self.subject = named(
            QLabel(
                f"Subject (kept as it is): <b>{html.escape(subject)}</b> "
                f"({name_length(subject)} characters)"
                if subject
                else "Subject: none in Workbooks"
            ),
            "fixSubject",
        )
        self.subject.setWordWrap(True)
        self.subject.setTextFormat(Qt.TextFormat.RichText)
        self.counter = named(QLabel(), "nameCounter")
        self.counter.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.message = named(QLabel(), "nameMessage")
        self.message.setWordWrap(True)
        rule = named(QLabel(NAME_RULE), "hint")
        rule.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok_button: QPushButton = self.buttons.addButton(
            "Make the copy and delete the original", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.ok_button.setDefault(True)
        self.buttons.accepted.connect(self._confirm)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setSpacing(8)
        for widget in (
            intro,
            steps,
            self.subject,
            QLabel("New name:"),
            self.edit,
            self.counter,
            self.message,
        ):
            layout.addWidget(widget)
        layout.addWidget(rule)
        layout.addWidget(self.buttons)
        self.edit.textChanged.connect(self._check)
        self._check(self.edit.text())
        self.edit.setCursorPosition(0)  # show the start of the suggestion, not its end

    def new_name(self) -> str:
        return self.edit.text().strip()

    def _check(self, text: str) -> None:
        length = name_length(text.strip())
        problem = name_problem(text)
        if problem is None and text.strip() == self.original.strip():
            problem = "That is the current name."
        colour = fg(BAD_COLOUR if length > NAME_LIMIT or problem else OK_COLOUR)
        self.counter.setText(f"<span style='color:{colour}'>{length} / {NAME_LIMIT}</span>")
        self.counter.setToolTip(NAME_RULE)
        self.message.setText(
            f"<span style='color:{fg(BAD_COLOUR)}'>{html.escape(problem)}</span>" if problem else ""
        )
        self.ok_button.setEnabled(problem is None)

    def _confirm(self) -> None:
        if name_problem(self.edit.text()) is not None:
            return
        self.confirmed.emit(self.new_name())
        self.accept()
