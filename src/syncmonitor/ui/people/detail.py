"""The right-hand pane of the People page: one person's sequences now, and everything before."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from syncmonitor.ui import formatting
from syncmonitor.ui.models import CurrentStatesModel, TimelineModel
from syncmonitor.ui.models.lazy import background_reader, read_in_background
from syncmonitor.ui.people.pair_view import PairView
from syncmonitor.ui.people.timeline_view import timeline_view
from syncmonitor.ui.service_protocols import ServicesLike
from syncmonitor.ui.widgets import compact_table, empty_state, named, section_title

if TYPE_CHECKING:  # types only: the engine loads after the window (ui/page_stack.py)
    from syncmonitor.engine.services.people import PersonDetail, PersonView, ProspectMatch
    from syncmonitor.engine.services.two_way import Link, LinkedPerson

log = logging.getLogger(__name__)


def _read_person(
    services: ServicesLike, provider: str, prospect_id: int
) -> tuple[PersonView, LinkedPerson | None]:
    """Everything the pane shows of one person (runs in a worker thread). The same person in the
    other provider (same email) is read with them: one page, one timeline."""
    view = services.people.person(provider, prospect_id)
    linked = services.two_way.linked_person(prospect_id) if provider == "outreach" else None
    return view, linked


class PersonDetailPane(QWidget):
    """Header (name, email, opted out, Workbooks record), current states and the timeline."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._services: ServicesLike | None = None
        self.person: tuple[str, int] | None = None
        self.loading = False  # a person is being read
        self._generation = 0  # bumps on every read, so a stale result is dropped
        self._reading: tuple[tuple[str, int], bool] | None = None
        self._reader = background_reader(self)

        self.name_label = named(QLabel(), "personName")
        self.name_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.opted_out_badge = named(QLabel("Opted out"), "optedOutBadge")
        self.opted_out_badge.setToolTip(
            "This person unsubscribed. Sync Monitor sets No Email on their Workbooks record."
        )
        self.opted_out_badge.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.email_label = named(QLabel(), "personMeta")
        # Long names and addresses are clipped rather than widening the pane past the splitter.
        self.name_label.setMinimumWidth(1)
        self.email_label.setMinimumWidth(1)
        self.email_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.workbooks_label = named(QLabel(), "personMeta")
        self.workbooks_label.setWordWrap(True)
        # Seed 001: which Workbooks record the address matched, and what waits for one.
        self.match_label = named(QLabel(), "personMeta")
        self.match_label.setWordWrap(True)
        self.parked_label = named(QLabel(), "hint")
        self.parked_label.setWordWrap(True)

        self.states = CurrentStatesModel(self)
        self.states_view = compact_table(self.states)
        self.states_view.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.states_view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # A handful of rows: columns can fit their contents; the sequence name takes the rest.
        header = self.states_view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(CurrentStatesModel.SEQUENCE, QHeaderView.ResizeMode.Stretch)
        self.no_states = named(QLabel("Not in any sequence."), "hint")

        self.timeline = TimelineModel(self)
        self.timeline_view = timeline_view(self.timeline)
        self.history_title = section_title("History, newest first")

        details = QWidget()
        layout = QVBoxLayout(details)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.setSpacing(4)
        title_row = QWidget()
        title_layout = _hbox(title_row)
        title_layout.addWidget(self.name_label)
        title_layout.addWidget(self.opted_out_badge, 0, Qt.AlignmentFlag.AlignVCenter)
        title_layout.addStretch(1)
        layout.addWidget(title_row)
        layout.addWidget(self.email_label)
        layout.addWidget(self.workbooks_label)
        layout.addWidget(self.match_label)
        layout.addWidget(self.parked_label)
        layout.addSpacing(12)
        layout.addWidget(section_title("Current sequence states"))
        layout.addWidget(self.states_view)
        layout.addWidget(self.no_states)
        layout.addSpacing(12)
        self.pair = PairView()  # the two-way sync: both records and their fields side by side
        layout.addWidget(self.pair)
        layout.addSpacing(12)
        layout.addWidget(self.history_title)
        layout.addWidget(self.timeline_view, 1)

        self.placeholder = empty_state(
            "Select a person",
            "Their current sequence states and every change Sync Monitor has seen appear here.",
        )
        self.stack = QStackedWidget()
        self.stack.addWidget(self.placeholder)
        self.stack.addWidget(details)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.stack)

    def set_services(self, services: ServicesLike | None) -> None:
        self._services = services
        self.timeline.set_source(services.people if services else None)
        self.pair.set_service(services.two_way if services else None)
        if services is None:
            self.clear()

    def clear(self) -> None:
        """Show the placeholder."""
        self.person = None
        self._generation += 1
        self._reading, self.loading = None, False
        self.states.set_rows([], "outreach")
        self.timeline.clear_person()
        self.stack.setCurrentWidget(self.placeholder)

    def show_person(self, provider: str, prospect_id: int) -> None:
        """Read one person on a reader thread (a few bounded queries), then show them."""
        if self._services is None:
            return
        self.person = (provider, prospect_id)
        self._load(reset_timeline=True)

    def refresh(self) -> None:
        """Re-read the shown person after a sync, keeping the timeline's scroll position."""
        if self.person is not None and self._services is not None:
            self._load(reset_timeline=False)

    def _load(self, *, reset_timeline: bool) -> None:
        assert self._services is not None and self.person is not None
        services, (provider, prospect_id) = self._services, self.person
        self._generation += 1
        self._reading = (self.person, reset_timeline)
        self.loading = True
        read_in_background(
            lambda: _read_person(services, provider, prospect_id), self._reader, self._generation
        )

    def _on_read(self, generation: int, result: object, kind: str) -> None:
        if generation != self._generation or self._reading is None:
            return  # another person (or none) was chosen meanwhile
        (provider, prospect_id), reset_timeline = self._reading
        self._reading, self.loading = None, False
        if isinstance(result, BaseException):
            log.warning("Reading a person failed: %s", result)
            return
        assert isinstance(result, tuple)
        view, linked = result
        self._show(provider, prospect_id, view, linked, reset_timeline=reset_timeline)
        if reset_timeline:
            self.timeline_view.scrollToTop()
            self.stack.setCurrentIndex(1)

    def _show(
        self,
        provider: str,
        prospect_id: int,
        view: PersonView,
        linked: LinkedPerson | None,
        *,
        reset_timeline: bool,
    ) -> None:
        detail, keys, by_key = view.detail, view.keys, list(view.states)
        by_key.sort(key=lambda pr: (pr[1].state_changed_at or "", pr[1].sequence_state_id))
        by_key.reverse()  # most recently changed first, whichever provider
        rows = [r for _p, r in by_key]
        # Opted out in any provider (an Outreach prospect unsubscribed in Salesmate, say).
        opted = any(r.state.opted_out for _p, r in by_key)
        self._show_header(provider, prospect_id, detail, [p for p, _ in keys[1:]], opted)
        self.states.set_rows(rows, provider, [p for p, _r in by_key])
        # "From" only earns its width when a state comes from another provider than the record.
        own_only = all(p == provider for p, _r in by_key)
        self.states_view.setColumnHidden(CurrentStatesModel.SOURCE, own_only)
        self.no_states.setVisible(not rows)
        self.states_view.setVisible(bool(rows))
        # Show every sequence without an inner scroll bar up to six, then scroll.
        visible = min(max(len(rows), 1), 6)
        row_height = self.states_view.verticalHeader().defaultSectionSize()
        frame = self.states_view.frameWidth() * 2
        header = self.states_view.horizontalHeader().sizeHint().height()
        self.states_view.setFixedHeight(header + visible * row_height + frame)
        self._show_match(view.match, view.waiting)
        self.pair.show_linked(prospect_id if linked is not None else None, linked)
        if self.pair.link is not None and (detail is None or not detail.name):
            self._show_link_header(self.pair.link)
        step_counts = {(p, r.sequence_state_id): r.step_count for p, r in by_key if r.step_count}
        if reset_timeline:
            self.timeline.show_person(provider, prospect_id, step_counts, tuple(keys[1:]))
        else:
            self.timeline.step_counts = step_counts
            self.timeline.refresh()

    def _show_header(
        self,
        provider: str,
        prospect_id: int,
        detail: PersonDetail | None,
        also_in: list[str] | None = None,
        opted_elsewhere: bool = False,
    ) -> None:
        who = formatting.provider_name(provider)
        kind = "prospect" if provider == "outreach" else "person"
        name = detail.name if detail and detail.name else f"{who} {kind} {prospect_id}"
        self.name_label.setText(name)
        self.opted_out_badge.setVisible(bool(detail and detail.opted_out) or opted_elsewhere)
        email = detail.email if detail and detail.email else "no email address"
        self.email_label.setText(email)
        self.email_label.setToolTip(email)
        ids = f"{who} {kind} {prospect_id}"
        others = sorted({formatting.provider_name(p) for p in also_in or [] if p != provider})
        if others:
            ids += f", also in {' and '.join(others)}"
        if detail is None or detail.workbooks_person_id is None:
            self.workbooks_label.setText(f"{ids}  ·  no matching Workbooks person yet")
            return
        state = detail.workbooks_sequence_state or "empty"
        no_email = "on" if detail.workbooks_no_email else "off"
        self.workbooks_label.setText(
            f"{ids}  ·  Workbooks person {detail.workbooks_person_id}: "
            f"Sequence State “{state}”, No Email {no_email}"
        )

    def _show_match(self, match: ProspectMatch | None, waiting: dict[str, int]) -> None:
        """How the address matched a Workbooks record (seed 001), and what is parked."""
        if match is None:
            self.match_label.setVisible(False)
        else:
            what = "sales lead" if match.record_type == "sales_lead" else "person"
            how = {
                "main email": "by its main email",
                "contact details": "by an address on its Contact Details",
                "sales lead": (
                    "by the lead's email field (inferred: Workbooks documents none); the "
                    "sequence state fields wait for a person"
                ),
                "Outreach id": "by the Outreach id on the person",
            }.get(match.matched_by, match.matched_by)
            self.match_label.setText(
                f"Matched Workbooks {what} {match.record_id} {how}, "
                f"at the sync of {formatting.short_time(match.matched_at)}"
            )
            self.match_label.setVisible(True)
        if not waiting:
            self.parked_label.setVisible(False)
            return
        names = {"task": "skipped task", "call": "call", "meeting": "meeting"}
        parts = [
            f"{n} {names.get(k, k)}{'s' if n != 1 else ''}" for k, n in sorted(waiting.items())
        ]
        self.parked_label.setText(
            f"Waiting for a Workbooks person with this address: {', '.join(parts)}. They are "
            "kept and created at the first sync after such a person exists (main email or "
            "Contact Details)."
        )
        self.parked_label.setVisible(True)

    def _show_link_header(self, link: Link) -> None:
        """A prospect the two-way sync made or linked but the sequence-state pull has not read
        (no sequence yet): name it from the link rather than as an unknown prospect."""
        emails = link.outreach_values.get("emails")
        first = emails[0] if isinstance(emails, list) and emails else ""
        email = str(link.crm_values.get("main_location[email]") or first or "no email address")
        self.name_label.setText(link.label or f"Outreach prospect {link.outreach_id}")
        self.email_label.setText(email)
        self.email_label.setToolTip(email)
        self.workbooks_label.setText(
            f"Outreach prospect {link.outreach_id}  ·  linked to Workbooks person {link.crm_id} "
            "by the two-way sync"
        )


def _hbox(widget: QWidget) -> QHBoxLayout:
    layout = QHBoxLayout(widget)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(10)
    return layout
