"""Settings > Queue statuses: what each Workbooks mailshot status value means.

No Workbooks document says which status means "Synchronise was pressed" or "synchronised". Sync
Monitor discovers the values (the status field's picklist, and what it sees on mailshots) and
guesses each meaning from its words; here an admin confirms or corrects the guess, once. Each
value shows where it was found and whether its meaning is a guess.
"""

from __future__ import annotations

import weakref
from typing import Protocol

import shiboken6
from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QVBoxLayout, QWidget

from syncmonitor.domain.mailshots.statuses import StatusMeanings, StatusRole
from syncmonitor.ui.widgets import named


# The Queue page's poller registers itself here when it starts (it holds the discovered values
# and applies the answer between two polls). Held weakly: a poller that stopped, or whose Qt
# object is gone, is no source.
class StatusSource(Protocol):
    """What this section needs of the Queue page's poller (ui/queue/poller.py)."""

    def confirm_statuses(self, roles: dict[str, StatusRole]) -> None: ...


_SOURCE: weakref.ref[StatusSource] | None = None


def register_source(poller: StatusSource | None) -> None:
    global _SOURCE
    _SOURCE = weakref.ref(poller) if poller is not None else None


def _source() -> StatusSource | None:
    poller = _SOURCE() if _SOURCE is not None else None
    if poller is None or getattr(poller, "_stopped", False):
        return None
    if not shiboken6.isValid(poller):
        return None
    return poller


class QueueStatusesSection(QWidget):
    """One row per status value: its meaning (a combo), and whether that is a guess."""

    def __init__(self, meanings: StatusMeanings | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.meanings = meanings
        self.combos: dict[str, QComboBox] = {}
        intro = QLabel(
            "Workbooks documents one mailshot status, Draft. Which of the others means "
            "“Synchronise was pressed” or “synchronised” is in no document: Sync Monitor "
            "guessed from their words. Confirm or correct each meaning; the queue follows."
        )
        intro.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        form = QFormLayout()
        layout.addLayout(form)
        if meanings is None or not meanings.values:
            form.addRow(
                named(
                    QLabel("No status values found yet: open the Queue page once it has read."),
                    "hint",
                )
            )
        else:
            for value in sorted(meanings.values.values(), key=lambda v: v.first_seen_at):
                combo = named(QComboBox(), f"statusRole:{value.value}")
                for role in StatusRole:
                    combo.addItem(role.label, role.value)
                combo.setCurrentIndex(list(StatusRole).index(value.role))
                note = "confirmed" if value.confirmed else "Sync Monitor's guess: please confirm"
                combo.setToolTip(f"Found: {value.source}. {note}.")
                label = QLabel(
                    f"“{value.value}”"
                    + ("" if value.confirmed else "  <i style='color:#8a5a00'>(a guess)</i>")
                )
                form.addRow(label, combo)
                self.combos[value.value] = combo
        layout.addStretch(1)

    def answer(self) -> dict[str, StatusRole]:
        """Every value with the meaning now chosen (all of them become confirmed)."""
        return {value: StatusRole(combo.currentData()) for value, combo in self.combos.items()}

    def save(self) -> None:
        """Hand the answer to the queue (applied between two polls)."""
        source = _source()
        if source is not None and self.combos:
            source.confirm_statuses(self.answer())


def section(parent: QWidget | None = None) -> QueueStatusesSection:
    """The section as the Settings dialog shows it, with the values the queue knows now."""
    monitor = getattr(_source(), "monitor", None)
    meanings = monitor.status_meanings() if monitor is not None else None
    return QueueStatusesSection(meanings, parent)
