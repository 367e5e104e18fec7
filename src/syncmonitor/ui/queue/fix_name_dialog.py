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

    def __init__(self, mailshot_id: int, name: str, parent: QWidget | None = None) -> None:
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
                "<li>create a copy with the new name (same subject, sender and mailing list), "
                "queued for GatorMail;</li><li>read the copy back to make sure it exists;</li>"
                "<li>only then delete the original.</li></ol>"
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
        for widget in (intro, steps, QLabel("New name:"), self.edit, self.counter, self.message):
            layout.addWidget(widget)
        layout.addWidget(rule)
        layout.addWidget(self.buttons)
        self.edit.textChanged.connect(self._check)
        self._check(self.edit.text())

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
