"""A person's timeline: every observed transition, newest first, read 100 at a time.

One column; each item carries a headline (the state), a time (when it changed) and a detail line
(sequence, step, the raw provider value, when Sync Monitor saw it), which TimelineDelegate paints
as a two-line entry.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Qt
from sqlalchemy import Connection

from syncmonitor.store.people import TransitionRow, history
from syncmonitor.ui import formatting
from syncmonitor.ui.models.cells import state_cell
from syncmonitor.ui.models.lazy import LazyTableModel

Role = Qt.ItemDataRole
TIME_ROLE = int(Role.UserRole) + 2  # "8 Sep 14:01": when the state changed
DETAIL_ROLE = int(Role.UserRole) + 3  # the second line


class TimelineModel(LazyTableModel[TransitionRow]):
    """The transitions of one person (`show_person`), paged backwards by `TransitionRow.key`."""

    headers = ("Transition",)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(page_size=100, parent=parent)
        self.person: tuple[str, int] | None = None
        self.step_counts: dict[int, int] = {}  # sequence state id -> steps in its sequence

    def show_person(self, provider: str, prospect_id: int, step_counts: dict[int, int]) -> None:
        self.person = (provider, prospect_id)
        self.step_counts = step_counts
        self.reload()

    def clear_person(self) -> None:
        self.person = None
        self.clear()

    def query(self) -> tuple[str, int] | None:
        return self.person

    @staticmethod
    def read_window(
        conn: Connection,
        query: tuple[str, int] | None,
        after: TransitionRow | None,
        limit: int,
    ) -> list[TransitionRow]:
        if query is None:
            return []
        provider, prospect_id = query
        before = after.key if after else None
        return history(conn, provider, prospect_id, before=before, limit=limit)

    def step(self, row: TransitionRow) -> str:
        return formatting.step_text(row.step_order, self.step_counts.get(row.sequence_state_id))

    def cell(self, row: TransitionRow, column: int, role: int) -> Any:
        if role == TIME_ROLE:
            return formatting.short_time(row.state_changed_at)
        if role == DETAIL_ROLE:
            step = self.step(row)
            parts = [row.sequence_name]
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
                f"Sequence: {row.sequence_name}, step {self.step(row)}\n"
                f"Changed: {formatting.full_time(row.state_changed_at)}\n"
                f"Seen by Sync Monitor: {formatting.full_time(row.observed_at)}"
            )
        return state_cell(row.state, role, row.provider)
