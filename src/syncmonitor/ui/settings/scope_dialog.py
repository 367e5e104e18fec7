"""The scope filter editor: which Workbooks people the full sync sends to Outreach.

"Assigned to me or watched by me" (the Outlook connector's default), plus conditions over any
Workbooks person field with Workbooks' own operators. While the filter is edited, Workbooks is
asked how many people match (one request, on the event loop, a moment after the last change),
so the count is live before anything is saved.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from syncmonitor.domain.scope import NO_VALUE, OPERATORS, Condition, ScopeFilter, describe, problems
from syncmonitor.ui.widgets import named, section_title

log = logging.getLogger(__name__)

Counter = Callable[[ScopeFilter], Awaitable[int]]
Saver = Callable[[ScopeFilter], Awaitable[None]]
COUNT_DELAY_MS = 600  # ask Workbooks once typing pauses, not at every key


class ScopeDialog(QDialog):
    """Edit, count and save the scope filter."""

    def __init__(
        self,
        scope: ScopeFilter,
        fields: list[tuple[str, str]],
        counter: Counter,
        saver: Saver,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Which people sync to Outreach")
        self.setMinimumSize(720, 460)
        self._counter, self._saver = counter, saver
        self._fields = fields  # (name, label) of Workbooks person fields
        self._count_task: asyncio.Task[None] | None = None
        self._asked = 0
        self.saved: ScopeFilter | None = None

        intro = QLabel(
            "The full sync sends Workbooks people to Outreach when Sync to Outreach is on, "
            "Outreach Sync Error and Outreach Duplicate are off, and they match this filter."
        )
        intro.setWordWrap(True)
        self.mine = QCheckBox("Assigned to me or watched by me (like the Outlook connector)")
        self.api_user = QRadioButton("Me is the user the Workbooks API key belongs to")
        self.other_user = QRadioButton("Me is the Workbooks user with id")
        self.user_id = QSpinBox()
        self.user_id.setRange(1, 10_000_000)
        group = QButtonGroup(self)
        group.addButton(self.api_user)
        group.addButton(self.other_user)
        who = QHBoxLayout()
        who.setContentsMargins(24, 0, 0, 0)
        who.addWidget(self.api_user)
        who.addSpacing(16)
        who.addWidget(self.other_user)
        who.addWidget(self.user_id)
        who.addStretch(1)

        self.match = QComboBox()
        self.match.addItem("all of these conditions", True)
        self.match.addItem("any of these conditions", False)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["Workbooks field", "Operator", "Value", ""])
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.ResizeToContents)
        self.table.verticalHeader().setVisible(False)
        self.add_button = QPushButton("Add condition")
        self.add_button.clicked.connect(lambda: self._add_row(Condition("", "eq", "")))

        self.count_label = named(QLabel(""), "scopeCount")
        self.problem_label = named(QLabel(""), "hint")
        self.problem_label.setWordWrap(True)
        self.summary = named(QLabel(""), "hint")
        self.summary.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self._save)
        self.buttons.rejected.connect(self.reject)

        match_row = QHBoxLayout()
        match_row.addWidget(QLabel("Also require"))
        match_row.addWidget(self.match)
        match_row.addStretch(1)
        match_row.addWidget(self.add_button)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addSpacing(8)
        layout.addWidget(section_title("Whose people"))
        layout.addWidget(self.mine)
        layout.addLayout(who)
        layout.addSpacing(8)
        layout.addWidget(section_title("Conditions"))
        layout.addLayout(match_row)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.summary)
        layout.addWidget(self.problem_label)
        bottom = QHBoxLayout()
        bottom.addWidget(self.count_label, 1)
        bottom.addWidget(self.buttons)
        layout.addLayout(bottom)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(COUNT_DELAY_MS)
        self._timer.timeout.connect(self._count)

        self.mine.setChecked(scope.mine)
        self.api_user.setChecked(scope.me is None)
        self.other_user.setChecked(scope.me is not None)
        self.user_id.setValue(scope.me or 1)
        self.match.setCurrentIndex(0 if scope.match_all else 1)
        for condition in scope.conditions:
            self._add_row(condition)
        for signal in (
            self.mine.toggled,
            self.api_user.toggled,
            self.user_id.valueChanged,
            self.match.currentIndexChanged,
        ):
            signal.connect(self._changed)
        self._changed()

    # -- the filter being edited -------------------------------------------------------------

    def scope(self) -> ScopeFilter:
        conditions = []
        for row in range(self.table.rowCount()):
            field = self.table.cellWidget(row, 0)
            operator = self.table.cellWidget(row, 1)
            value = self.table.cellWidget(row, 2)
            assert isinstance(field, QComboBox) and isinstance(operator, QComboBox)
            assert isinstance(value, QLineEdit)
            name = field.currentData() or field.currentText().strip()
            conditions.append(Condition(str(name), str(operator.currentData()), value.text()))
        return ScopeFilter(
            self.mine.isChecked(),
            None if self.api_user.isChecked() else self.user_id.value(),
            tuple(conditions),
            bool(self.match.currentData()),
        )

    def _add_row(self, condition: Condition) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        field = QComboBox()
        field.setEditable(True)
        for name, label in self._fields:
            field.addItem(f"{label} — {name}", name)
        index = field.findData(condition.field)
        if index >= 0:
            field.setCurrentIndex(index)
        else:
            field.setEditText(condition.field)
        operator = QComboBox()
        for code, words in OPERATORS.items():
            operator.addItem(f"{words} ({code})", code)
        operator.setCurrentIndex(max(0, operator.findData(condition.operator)))
        value = QLineEdit(condition.value)
        value.setPlaceholderText("value")
        remove = QPushButton("Remove")
        self.table.setCellWidget(row, 0, field)
        self.table.setCellWidget(row, 1, operator)
        self.table.setCellWidget(row, 2, value)
        self.table.setCellWidget(row, 3, remove)
        field.currentIndexChanged.connect(self._changed)
        field.editTextChanged.connect(self._changed)
        operator.currentIndexChanged.connect(self._changed)
        value.textChanged.connect(self._changed)
        remove.clicked.connect(lambda: self._remove(remove))
        self._changed()

    def _remove(self, button: QPushButton) -> None:
        for row in range(self.table.rowCount()):
            if self.table.cellWidget(row, 3) is button:
                self.table.removeRow(row)
                break
        self._changed()

    def _changed(self, *_args: object) -> None:
        self.user_id.setEnabled(self.mine.isChecked() and self.other_user.isChecked())
        self.api_user.setEnabled(self.mine.isChecked())
        self.other_user.setEnabled(self.mine.isChecked())
        for row in range(self.table.rowCount()):
            operator, value = self.table.cellWidget(row, 1), self.table.cellWidget(row, 2)
            if isinstance(operator, QComboBox) and isinstance(value, QLineEdit):
                value.setEnabled(operator.currentData() not in NO_VALUE)
        scope = self.scope()
        found = problems(scope)
        self.problem_label.setText(" ".join(found))
        self.problem_label.setVisible(bool(found))
        self.summary.setText(f"Sends people who are {describe(scope)}.")
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(not found)
        if found:
            self.count_label.setText("Complete the conditions to see how many people match.")
            self._timer.stop()
        else:
            self.count_label.setText("Counting matching people in Workbooks…")
            self._timer.start()

    # -- the live count, off the UI thread ---------------------------------------------------

    def _count(self) -> None:
        self._asked += 1
        asked = self._asked
        scope = self.scope()

        async def ask() -> None:
            try:
                matching = await self._counter(scope)
            except Exception as exc:  # shown in the dialog: the filter may be what is wrong
                log.info("Counting the scope failed: %s", exc)
                if asked == self._asked:
                    self.count_label.setText(f"Workbooks could not count them: {exc}")
                return
            if asked == self._asked:  # an older answer must not overwrite a newer one
                noun = "person matches" if matching == 1 else "people match"
                self.count_label.setText(f"<b>{matching:,}</b> {noun} in Workbooks now.")

        self._count_task = asyncio.ensure_future(ask())

    def _save(self) -> None:
        scope = self.scope()
        if problems(scope):
            return

        async def save() -> None:
            try:
                await self._saver(scope)
            except Exception as exc:
                self.problem_label.setText(f"Not saved: {exc}")
                self.problem_label.setVisible(True)
                return
            self.saved = scope
            self.accept()

        self._count_task = asyncio.ensure_future(save())


async def open_scope_dialog(parent: QWidget, controller: Any) -> ScopeDialog | None:
    """Open the editor on the saved scope (None: not connected yet)."""
    services = controller.services
    if services is None:
        return None
    two_way = services.two_way
    scope = await two_way.read_scope()
    fields = await two_way.person_fields_async()
    dialog = ScopeDialog(scope, fields, two_way.count_scope, two_way.write_scope, parent)
    dialog.open()
    return dialog
