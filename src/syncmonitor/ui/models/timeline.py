"""A person's timeline: every observed transition, newest first, read 100 at a time.

One column; each item carries a headline (the state), a time (when it changed) and a detail line
(the provider, sequence, step, the raw provider value, when Sync Monitor saw it), which
TimelineDelegate paints as a two-line entry. A person known to Outreach and Salesmate (the same
email address) has one timeline with both providers' transitions, each marked with its provider.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt

from syncmonitor.ui import formatting
from syncmonitor.ui.models.cells import state_cell
from syncmonitor.ui.models.lazy import LazyTableModel

if TYPE_CHECKING:  # types only: the engine loads after the window (ui/page_stack.py)
    from syncmonitor.engine.services.people import PeopleService, PersonKey, TransitionRow

Role = Qt.ItemDataRole
TIME_ROLE = int(Role.UserRole) + 2  # "8 Sep 14:01": when the state changed
DETAIL_ROLE = int(Role.UserRole) + 3  # the second line
PROVIDER_ROLE = int(Role.UserRole) + 4  # "Salesmate": where the transition came from


class TimelineModel(LazyTableModel["TransitionRow"]):
    """The transitions of one person in every provider (`show_person`), paged backwards by
    `TransitionRow.key`."""

    headers = ("Transition",)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(page_size=100, parent=parent)
        self.person: tuple[PersonKey, ...] | None = None  # the person's records, theirs first
        self.step_counts: dict[tuple[str, int], int] = {}  # (provider, state id) -> steps

    def show_person(
        self,
        provider: str,
        prospect_id: int,
        step_counts: dict[tuple[str, int], int],
        linked: tuple[PersonKey, ...] = (),
    ) -> None:
        """Show `(provider, prospect_id)` and the `linked` records of the same person."""
        self.person = ((provider, prospect_id), *linked)
        self.step_counts = step_counts
        self.reload()

    def clear_person(self) -> None:
        self.person = None
        self.clear()

    def query(self) -> tuple[PersonKey, ...] | None:
        return self.person

    @staticmethod
    def read_window(
        source: PeopleService,
        query: tuple[PersonKey, ...] | None,
        after: TransitionRow | None,
        limit: int,
    ) -> list[TransitionRow]:
        if query is None:
            return []
        before = after.key if after else None
        return source.history(query, before, limit)

    def step(self, row: TransitionRow) -> str:
        count = self.step_counts.get((row.provider, row.sequence_state_id))
        return formatting.step_text(row.step_order, count)

    def cell(self, row: TransitionRow, column: int, role: int) -> Any:
        if role == TIME_ROLE:
            return formatting.short_time(row.state_changed_at)
        if role == PROVIDER_ROLE:
            return formatting.provider_name(row.provider)
        if role == DETAIL_ROLE:
            step = self.step(row)
            parts = [formatting.provider_name(row.provider), row.sequence_name]
            if step != formatting.EMPTY:
                parts.append(f"step {step}")
            parts.append(f"raw “{row.state.raw}”")
            parts.append(
                f"seen {formatting.short_time(row.observed_at, since=row.state_changed_at)}"
            )
            return "  ·  ".join(parts)
        if role == Role.ToolTipRole:
            return (
                f"{formatting.state_tooltip(row.state, row.provider)}\n\n"
                f"{formatting.provider_name(row.provider)} sequence: {row.sequence_name}, "
                f"step {self.step(row)}\n"
                f"Changed: {formatting.full_time(row.state_changed_at)}\n"
                f"Seen by Sync Monitor: {formatting.full_time(row.observed_at)}"
            )
        return state_cell(row.state, role, row.provider)
