"""The problem banner: a message too long for the status bar, shown whole in the window.

A damaged, read-only or full cache, a broken configuration or a failed sync comes with what
happened, the copy Sync Monitor keeps and what to do: several sentences and a file path, which a
status bar line cuts off at any window width. The status bar shows the short form (the title and
a Details button); this banner, under the pages, shows all of it, wrapped, selectable and with a
Copy button (to paste the path into a file manager or a support request).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from syncmonitor.ui.widgets import named


class ProblemBanner(QFrame):
    """Hidden until `show_problem(title, message)`; Hide (or the next run) puts it away."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("problemBanner")
        self.title_label = named(QLabel(), "problemTitle")
        self.message_label = named(QLabel(), "problemText")
        for label in (self.title_label, self.message_label):
            label.setWordWrap(True)
            label.setTextFormat(Qt.TextFormat.PlainText)  # paths and remote text, never markup
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.copy_button = named(QPushButton("Copy"), "copyProblem")
        self.copy_button.setToolTip("Copy the whole message")
        self.copy_button.clicked.connect(self.copy)
        self.hide_button = named(QPushButton("Hide"), "hideProblem")
        self.hide_button.setToolTip("Hide this message (the status bar keeps its short form)")
        self.hide_button.clicked.connect(self.hide)

        text = QVBoxLayout()
        text.setSpacing(2)
        text.addWidget(self.title_label)
        text.addWidget(self.message_label)
        buttons = QVBoxLayout()
        buttons.addWidget(self.copy_button)
        buttons.addWidget(self.hide_button)
        buttons.addStretch(1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(14, 8, 14, 8)
        layout.setSpacing(12)
        layout.addLayout(text, 1)
        layout.addLayout(buttons)
        self.hide()

    def show_problem(self, title: str, message: str) -> None:
        self.title_label.setText(title)
        self.message_label.setText(message)
        self.message_label.setVisible(bool(message))
        self.show()

    @property
    def text(self) -> str:
        """The whole message as shown (empty when hidden)."""
        parent = self.parentWidget()
        if self.isHidden() or (parent is not None and not self.isVisibleTo(parent)):
            return ""
        message = self.message_label.text()
        return f"{self.title_label.text()}\n{message}" if message else self.title_label.text()

    def copy(self) -> None:
        message = self.message_label.text()
        title = self.title_label.text()
        QApplication.clipboard().setText(f"{title}\n{message}" if message else title)
