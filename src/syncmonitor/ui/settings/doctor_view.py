"""Settings > Test connections: the connection doctor's findings as a table, one line per
resource each enabled feature needs: the service, the feature, the resource, the verdict and
what to do. It asks with what the Connections tab says now (saved or not)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from syncmonitor.engine.connections.doctor import Diagnosis
from syncmonitor.ui.widgets import named

log = logging.getLogger(__name__)
HEADERS = ("Service", "Feature", "Resource", "Result", "What to do")
OK_COLOUR, BAD_COLOUR = "#2e7d32", "#ae2a19"


class DoctorView(QWidget):
    """A Run button over a table of findings; `run` gives the diagnosis (off the GUI thread's
    work: the requests are asyncio, nothing blocks the event loop)."""

    def __init__(self, run: Callable[[], Awaitable[Diagnosis]]) -> None:
        super().__init__()
        self._run = run
        self._task: asyncio.Task[None] | None = None
        self.last: Diagnosis | None = None
        self.run_button = named(QPushButton("Test connections"), "runDoctor")
        self.run_button.clicked.connect(self.start)
        self.status = named(
            QLabel(
                "Reads one resource of each remote per thing the enabled features need, and says "
                "what is missing. Nothing is written."
            ),
            "hint",
        )
        self.status.setWordWrap(True)
        self.table = named(QTableWidget(0, len(HEADERS)), "doctorTable")
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(True)
        header = self.table.horizontalHeader()
        for column in range(len(HEADERS) - 1):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(len(HEADERS) - 1, QHeaderView.ResizeMode.Stretch)
        top = QHBoxLayout()
        top.addWidget(self.run_button)
        top.addWidget(self.status, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)

    def start(self) -> None:
        self.run_button.setEnabled(False)
        self.status.setText("Testing every connection…")
        self._task = asyncio.get_running_loop().create_task(self._go())

    async def _go(self) -> None:
        try:
            found: Diagnosis | None = await self._run()
            error = ""
        except Exception as exc:  # a bug: say so rather than leave "Testing…" forever
            log.exception("The connection doctor failed")
            found, error = None, f"The test itself failed: {type(exc).__name__}: {exc}"
        if not isValid(self):
            return
        self.run_button.setEnabled(True)
        if found is None:
            self.status.setText(error)
            return
        self.show_diagnosis(found)

    def show_diagnosis(self, found: Diagnosis) -> None:
        self.last = found
        self.table.setRowCount(len(found.findings))
        for row, f in enumerate(found.findings):
            cells = (f.service, f.feature, f.resource, f.verdict.label, f.todo or "")
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column == 3:
                    item.setForeground(QColor(OK_COLOUR if f.ok else BAD_COLOUR))
                if not f.ok:
                    item.setToolTip(f"{f.detail}\n\n{f.todo}")
                self.table.setItem(row, column, item)
        self.table.resizeRowsToContents()
        problems = len(found.problems)
        if not found.findings:
            self.status.setText("Nothing to test: no remote is set up in Connections.")
        elif problems == 0:
            self.status.setText(f"All {len(found.findings)} checks passed.")
        else:
            self.status.setText(
                f"{problems} of {len(found.findings)} checks found a problem; each row says what "
                "to do (hover for the remote's own words)."
            )
