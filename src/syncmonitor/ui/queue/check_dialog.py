"""Record a check: what an admin saw where no API can look (seed 003's last two checks).

No Workbooks API reads API keys and no Spotler API reports 'Integration running', so Sync
Monitor asks the person who looked. What they record is kept in the cache with its date: a
recorded Until date drives the 7-day expiry warning, and the page shows when each was checked.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QLabel,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from syncmonitor.domain.mailshots.rules import INTEGRATION_PLACE, KEY_PLACE
from syncmonitor.ui.widgets import named


class CheckDialog(QDialog):
    """Emits `key_checked(until or None, enabled)` and/or `integration_checked(running)`."""

    key_checked = Signal(object, bool)
    integration_checked = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Record what you saw")
        self.setMinimumWidth(520)
        intro = QLabel(
            "Neither of these can be read through any API, so Sync Monitor cannot see them. "
            "Look, then record what you saw: it is kept with today's date."
        )
        intro.setWordWrap(True)

        self.key_box = named(QGroupBox("The GatorMail API key (Workbooks)"), "keyCheck")
        self.key_box.setCheckable(True)
        key_where = QLabel(
            f"In Workbooks: <b>{KEY_PLACE}</b>, the key named GatorMail: its 'Until' date, "
            "'Valid From' and 'Enabled?'."
        )
        key_where.setWordWrap(True)
        key_where.setTextFormat(Qt.TextFormat.RichText)
        self.enabled = named(
            QCheckBox("'Enabled?' is ticked and 'Valid From' is past or blank"), "keyEnabled"
        )
        self.enabled.setChecked(True)
        self.no_until = named(QCheckBox("'Until' is blank (the key never expires)"), "keyNoUntil")
        self.until = named(QDateEdit(QDate.currentDate().addMonths(6)), "keyUntil")
        self.until.setCalendarPopup(True)
        self.until.setDisplayFormat("dd MMM yyyy")
        self.no_until.toggled.connect(lambda blank: self.until.setEnabled(not blank))
        key_layout = QVBoxLayout(self.key_box)
        for widget in (key_where, self.enabled, self.no_until, QLabel("'Until' date:"), self.until):
            key_layout.addWidget(widget)

        self.integration_box = named(
            QGroupBox("'Integration running' (GatorMail)"), "integrationCheck"
        )
        self.integration_box.setCheckable(True)
        where = QLabel(
            f"In GatorMail: <b>{INTEGRATION_PLACE}</b>, the field next to 'Integration running'."
        )
        where.setWordWrap(True)
        where.setTextFormat(Qt.TextFormat.RichText)
        self.running = named(QRadioButton("It has a green check"), "integrationRunning")
        self.stopped = named(
            QRadioButton("It has no green check (contact Workbooks Support)"), "integrationStopped"
        )
        self.running.setChecked(True)
        box_layout = QVBoxLayout(self.integration_box)
        for choice in (where, self.running, self.stopped):
            box_layout.addWidget(choice)

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for part in (intro, self.key_box, self.integration_box, buttons):
            layout.addWidget(part)

    def until_date(self) -> datetime | None:
        if self.no_until.isChecked():
            return None
        chosen = self.until.date()
        day = date(chosen.year(), chosen.month(), chosen.day())
        return datetime.combine(day, time(23, 59), tzinfo=UTC)

    def _save(self) -> None:
        if self.key_box.isChecked():
            self.key_checked.emit(self.until_date(), self.enabled.isChecked())
        if self.integration_box.isChecked():
            self.integration_checked.emit(self.running.isChecked())
        self.accept()
