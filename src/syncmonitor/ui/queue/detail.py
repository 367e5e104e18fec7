"""The Queue page's right-hand pane: one mailshot's figures (and where each comes from), what is
wrong, what can be done, and its timeline of state changes from the cache."""

from __future__ import annotations

import asyncio
import html

from PySide6.QtCore import Qt, Signal, SignalInstance
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from syncmonitor.domain.mailshots.queue import QueueItem, QueueState
from syncmonitor.domain.mailshots.rules import NAME_LIMIT, NAME_RULE, name_length
from syncmonitor.domain.timestamps import format_iso
from syncmonitor.engine.mailshots.report import FIGURE_SOURCES
from syncmonitor.engine.services.queue import QueueService, TimelineEvent
from syncmonitor.ui import formatting
from syncmonitor.ui.acts import acts
from syncmonitor.ui.models.mailshot_queue import STATE_COLOURS, duration
from syncmonitor.ui.style import fg
from syncmonitor.ui.widgets import named, section_title


class MailshotDetailPane(QWidget):
    """Shows one `QueueItem`; asks the page to act through signals."""

    fix_requested = Signal(int, str)  # id, current name
    retry_requested = Signal(int)
    cancel_requested = Signal(int)
    refresh_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._service: QueueService | None = None
        self._item: QueueItem | None = None
        self._generation = 0
        self._timeline_task: asyncio.Task[None] | None = None

        self.name = named(QLabel("Select a mailshot"), "personName")
        self.name.setWordWrap(True)
        self.name.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.state = named(QLabel(), "stateBadge")
        self.figures = QFormLayout()
        self.figures.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self._values: dict[str, QLabel] = {}
        for key, label, source in (
            ("id", "Workbooks id", "name"),
            ("status", "Workbooks status", "status"),
            ("length", "Name length", "name"),
            ("position", "Position (inferred)", "position"),
            ("audience", "Audience", "audience"),
            ("subject", "Subject", "name"),
            ("queued", "Queued (inferred)", "queued"),
            ("eta", "ETA (inferred)", "eta"),
            ("campaign", "Spotler campaign (matched by name)", "arrived"),
        ):
            value = named(QLabel(), f"figure_{key}")
            value.setWordWrap(True)  # a long subject or status must not run off the pane
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setToolTip(f"Source: {FIGURE_SOURCES[source]}")
            caption = QLabel(label + ":")
            caption.setToolTip(f"Source: {FIGURE_SOURCES[source]}")
            self.figures.addRow(caption, value)
            self._values[key] = value
        self.problems = named(QLabel(), "problems")
        self.problems.setWordWrap(True)
        self.problems.setTextFormat(Qt.TextFormat.RichText)
        self.outcome = named(QLabel(), "actionOutcome")
        self.outcome.setWordWrap(True)

        self.fix_button = named(QPushButton("Fix name…"), "fixName")
        self.fix_button.setToolTip(
            "Make a copy with a shorter name, then delete the original in Workbooks. " + NAME_RULE
        )
        self.retry_button = named(QPushButton("Retry"), "retry")
        self.retry_button.setToolTip("Queue this failed mailshot for GatorMail again")
        self.cancel_button = named(QPushButton("Cancel sync"), "cancelSync")
        acts(self.fix_button, self.retry_button, self.cancel_button)
        self.cancel_button.setToolTip(
            "Take this waiting mailshot out of the queue (status back to New; it is not deleted)"
        )
        self.refresh_button = named(QPushButton("Read again now"), "refreshOne")
        self.refresh_button.setToolTip("Read this mailshot from Workbooks and Spotler now")
        self.fix_button.clicked.connect(self._fix)
        self.retry_button.clicked.connect(lambda: self._emit(self.retry_requested))
        self.cancel_button.clicked.connect(lambda: self._emit(self.cancel_requested))
        self.refresh_button.clicked.connect(lambda: self._emit(self.refresh_requested))
        buttons = QHBoxLayout()
        for button in (self.fix_button, self.retry_button, self.cancel_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.refresh_button)

        self.timeline = named(QListWidget(), "mailshotTimeline")
        self.timeline.setWordWrap(True)
        self.timeline.setAlternatingRowColors(True)
        self.timeline.setSpacing(3)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.setSpacing(8)
        head = QHBoxLayout()
        head.addWidget(self.name, 1)
        head.addWidget(self.state, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(head)
        layout.addLayout(self.figures)
        layout.addWidget(self.problems)
        layout.addLayout(buttons)
        layout.addWidget(self.outcome)
        layout.addWidget(section_title("Timeline (kept in the cache)"))
        layout.addWidget(self.timeline, 1)
        self.show_item(None)

    @property
    def item(self) -> QueueItem | None:
        return self._item

    def set_service(self, service: QueueService | None) -> None:
        self._service = service

    @property
    def service(self) -> QueueService | None:
        return self._service

    def show_item(self, item: QueueItem | None, *, reload_timeline: bool = True) -> None:
        """Show `item` (None: nothing selected). The timeline is re-read when asked."""
        changed = item is None or self._item is None or item.id != self._item.id
        self._item = item
        for widget in (self.fix_button, self.retry_button, self.cancel_button):
            widget.setVisible(False)
        self.refresh_button.setEnabled(item is not None)
        if item is None:
            self.name.setText("Select a mailshot")
            self.state.setText("")
            for value in self._values.values():
                value.setText("")
            self.problems.setText("")
            self.timeline.clear()
            return
        if changed:
            self.outcome.setText("")
        f = item.facts
        self.name.setText(f.name or "(no name)")
        colour = STATE_COLOURS[item.state]
        badge = f"“{f.status}”" if item.state is QueueState.UNKNOWN else item.state.label
        self.state.setText(f"<b style='color:{colour}'>{html.escape(badge)}</b>")
        length = name_length(f.name)
        values = {
            "id": str(f.id),
            "status": f.status
            + (f" — {f.role.label}" if f.status else "")
            + (" (deleted)" if f.deleted else ""),
            "subject": f.subject or "—",
            "length": f"{length} / {NAME_LIMIT}" + ("  — too long" if length > NAME_LIMIT else ""),
            "position": str(item.position) if item.position else "not in the queue",
            "audience": f"{f.audience:,} records" if f.audience is not None else "not read yet",
            "queued": (
                f"{formatting.short_time(format_iso(f.queued_at))}"
                + (f", waiting {duration(item.waiting_s)}" if item.waiting_s is not None else "")
                if f.queued_at
                else "—"
            ),
            "eta": (
                f"~{duration(item.eta_s)} ({item.eta_note.lower()})"
                if item.eta_s is not None
                else (item.eta_note or "—")
            ),
            "campaign": (
                f"{f.campaign_id}, seen {formatting.short_time(format_iso(f.arrived_at))}"
                if f.campaign_id and f.arrived_at
                else (f.campaign_id or "not seen in Spotler")
            ),
        }
        for key, text in values.items():
            self._values[key].setText(text)
        self._values["campaign"].setToolTip(f.matched_by or "")
        self._values["length"].setStyleSheet(
            f"color:{fg('#ae2a19')}" if length > NAME_LIMIT else ""
        )
        # A removed mailshot's advice no longer applies: its timeline says what happened.
        shown = [] if item.state is QueueState.REMOVED else list(item.problems)
        self.problems.setText(
            "<br>".join(
                f"<span style='color:{fg('#ae2a19' if p.blocking else '#8a5a00')}'>"
                f"{html.escape(p.message)}</span>"
                for p in shown
            )
        )
        blocking_name = any(p.code in ("blocking_queue", "name_too_long") for p in item.problems)
        self.fix_button.setVisible(item.state.in_queue and blocking_name)
        self.retry_button.setVisible(item.state is QueueState.FAILED)
        self.cancel_button.setVisible(item.state is QueueState.WAITING)
        if changed or reload_timeline:
            self._load_timeline(f.id)

    def set_busy(self, busy: bool, text: str = "") -> None:
        for button in (self.fix_button, self.retry_button, self.cancel_button):
            button.setEnabled(not busy)
        if text:
            self.outcome.setText(html.escape(text))

    def show_outcome(self, text: str, *, error: bool = False) -> None:
        colour = fg("#ae2a19" if error else "#216e4e")
        self.outcome.setText(f"<span style='color:{colour}'>{html.escape(text)}</span>")

    def _emit(self, signal: SignalInstance) -> None:
        if self._item is not None:
            signal.emit(self._item.id)

    def _fix(self) -> None:
        if self._item is not None:
            self.fix_requested.emit(self._item.id, self._item.facts.name)  # subject: from the item

    def _load_timeline(self, mailshot_id: int) -> None:
        service = self._service
        if service is None:
            return
        self._generation += 1
        generation = self._generation

        async def load() -> None:
            events = await service.timeline_async(mailshot_id)
            if generation == self._generation:
                self._show_timeline(events)

        self._timeline_task = asyncio.get_event_loop().create_task(load())

    def _show_timeline(self, events: list[TimelineEvent]) -> None:
        self.timeline.clear()
        for event in events:
            state = (
                QueueState(event.state) if event.state in QueueState._value2member_map_ else None
            )
            label = state.label if state else event.state
            item = QListWidgetItem(
                f"{formatting.short_time(event.at)}  ·  {label}  ·  {event.source}\n{event.detail}"
            )
            item.setToolTip(formatting.full_time(event.at))
            if state is not None:
                item.setForeground(Qt.GlobalColor.black)
            self.timeline.addItem(item)
        if not events:
            self.timeline.addItem("No state change recorded yet.")
