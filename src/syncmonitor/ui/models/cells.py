"""How a sequence state and a timestamp look in any table: one place, so every table agrees."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont

from syncmonitor.domain.states import CanonicalState, ResolvedState
from syncmonitor.ui import formatting
from syncmonitor.ui.resources import dot
from syncmonitor.ui.style import fg_colour

Role = Qt.ItemDataRole


def _italic() -> QFont:
    font = QFont()
    font.setItalic(True)
    return font


def state_cell(state: ResolvedState | None, role: int, provider: str = "outreach") -> Any:
    """A state: a coloured dot and its label; an unknown state in italics and its own colour."""
    if state is None:
        return formatting.EMPTY if role == Role.DisplayRole else None
    unknown = state.state is CanonicalState.UNKNOWN
    if role == Role.DisplayRole:
        return state.label
    if role == Role.DecorationRole:
        return dot(formatting.state_colour(state).name())
    if role == Role.ToolTipRole:
        return formatting.state_tooltip(state, provider)
    if role == Role.FontRole and unknown:
        return _italic()
    if role == Role.ForegroundRole and unknown:
        return fg_colour(formatting.UNKNOWN_TEXT.name())
    return None


def time_cell(text: str | None, role: int) -> Any:
    """A timestamp in compact local time; the full time and the UTC original in the tooltip."""
    if role == Role.DisplayRole:
        return formatting.short_time(text)
    if role == Role.ToolTipRole:
        return formatting.full_time(text)
    return None
