"""The Log page: the app's log file, newest at the bottom, filtered by level and by words.

Long lines wrap (switchable), so the end of a message is never off to the right.

The file is read on a worker thread (it can be a few megabytes); the page re-reads it when shown
and after each run, never on a timer while hidden.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices, QFont, QShowEvent, QTextCursor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from syncmonitor.app.log_reader import LogEntry, current_log_file, filter_entries, read_entries
from syncmonitor.engine.runs.events import RunResult
from syncmonitor.ui.page import Page
from syncmonitor.ui.widgets import named

log = logging.getLogger(__name__)

LEVEL_CHOICES = (
    ("Everything", 10),
    ("Information and above", 20),
    ("Warnings and errors", 30),
    ("Errors only", 40),
)


class LogPage(Page):
    """The log with a level filter, a Refresh and a link to the log folder."""

    title = "Log"
    icon_name = "log"

    def __init__(self, log_file: Path | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._log_file = log_file
        self._entries: list[LogEntry] = []
        self._reading = False
        self.level = QComboBox()
        for label, value in LEVEL_CHOICES:
            self.level.addItem(label, value)
        self.level.setCurrentIndex(1)
        self.level.currentIndexChanged.connect(lambda _i: self._show())
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.clicked.connect(self.reload)
        self.folder_button = QPushButton("Open log folder")
        self.folder_button.clicked.connect(self.open_folder)
        self.count_label = named(QLabel(), "count")
        self.find = QLineEdit()
        self.find.setPlaceholderText("Find in the log (every word)")
        self.find.setClearButtonEnabled(True)
        self.find.textChanged.connect(lambda _t: self._show())
        self.wrap = QCheckBox("Wrap lines")
        self.wrap.setChecked(True)
        self.wrap.toggled.connect(self._set_wrap)
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self._set_wrap(True)
        self.text.setMaximumBlockCount(20_000)
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        self.text.setFont(mono)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Show:"))
        bar.addWidget(self.level)
        bar.addWidget(self.find, 1)
        bar.addWidget(self.wrap)
        bar.addWidget(self.refresh_button)
        bar.addWidget(self.folder_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.addLayout(bar)
        layout.addWidget(self.count_label)
        layout.addWidget(self.text, 1)

    @property
    def log_file(self) -> Path | None:
        return self._log_file or current_log_file()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.reload()

    def sync_finished(self, result: RunResult) -> None:
        if self.isVisible():
            self.reload()

    def reload(self) -> None:
        """Read the log file again, off the GUI thread."""
        path = self.log_file
        if path is None:
            self.count_label.setText("Logging to a file is off in this session.")
            return
        if self._reading:
            return
        self._reading = True
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no event loop (a plain widget test): read here, it is small
            self._done(read_entries(path))
            return
        self._task = loop.create_task(self._read(path))

    async def _read(self, path: Path) -> None:
        try:
            entries = await asyncio.to_thread(read_entries, path)
        except Exception:
            log.exception("Reading the log failed")
            entries = []
        if isValid(self):
            self._done(entries)

    def _done(self, entries: list[LogEntry]) -> None:
        self._reading = False
        self._entries = entries
        self._show()

    def _set_wrap(self, on: bool) -> None:
        mode = QPlainTextEdit.LineWrapMode.WidgetWidth if on else QPlainTextEdit.LineWrapMode.NoWrap
        self.text.setLineWrapMode(mode)

    def _show(self) -> None:
        minimum = int(self.level.currentData())
        shown = filter_entries(self._entries, minimum)
        words = self.find.text().casefold().split()
        if words:
            shown = [e for e in shown if all(w in e.text.casefold() for w in words)]
        self.text.setPlainText("\n".join(e.text for e in shown))
        # The newest entry, from its start (not scrolled to the end of a long line).
        self.text.moveCursor(QTextCursor.MoveOperation.End)
        self.text.moveCursor(QTextCursor.MoveOperation.StartOfBlock)
        self.text.horizontalScrollBar().setValue(0)
        self.count_label.setText(
            f"{len(shown):,} of {len(self._entries):,} entries · {self.log_file}"
        )

    def open_folder(self) -> None:
        path = self.log_file
        if path is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(path.parent)))
