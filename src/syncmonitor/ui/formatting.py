"""How times, counts and sequence states read on screen. Pure functions; Qt only for colours."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtGui import QColor

from syncmonitor.domain.states import CanonicalState, ResolvedState
from syncmonitor.domain.timestamps import parse_iso

EMPTY = "—"


def short_time(text: str | None, now: datetime | None = None, since: str | None = None) -> str:
    """A compact local time for dense tables: "8 Sep 14:01" this year, "8 Sep 2025" before.

    With `since` on the same day, only the time: "14:08" (seen minutes after it changed).
    """
    value = parse_iso(text)
    if value is None:
        return EMPTY
    local = value.astimezone()
    earlier = parse_iso(since)
    if earlier is not None and earlier.astimezone().date() == local.date():
        return local.strftime("%H:%M")
    this_year = (now or datetime.now(UTC)).astimezone().year
    if local.year == this_year:
        return f"{local.day} {local.strftime('%b %H:%M')}"
    return f"{local.day} {local.strftime('%b %Y')}"


def full_time(text: str | None) -> str:
    """A timestamp for tooltips: local time with seconds and zone, and the UTC original."""
    value = parse_iso(text)
    if value is None:
        return "Not recorded"
    local = value.astimezone()
    # The same day-month(-year) form as everywhere else, with seconds and the zone's name.
    this_year = datetime.now(UTC).astimezone().year
    day = f"{local.day} {local:%b}" + ("" if local.year == this_year else f" {local.year}")
    text = f"{day} {local:%H:%M:%S} {local.tzname() or local.strftime('%z')}"
    if local.utcoffset() == value.utcoffset():
        return text  # local time is UTC: saying it twice adds nothing
    return f"{text} ({value:%H:%M:%S} UTC)"


def _ago_minutes(minutes: int) -> str:
    if minutes < 60:
        return f"{minutes} min"
    hours = minutes // 60
    if hours < 24:
        return f"{hours} h"
    days = hours // 24
    return f"{days} day" + ("s" if days != 1 else "")


def relative_past(when: datetime, now: datetime | None = None) -> str:
    """ "just now", "3 min ago", "2 h ago", "4 days ago"."""
    now = now or datetime.now(UTC)
    seconds = (now - when).total_seconds()
    if seconds < 60:
        return "just now"
    return f"{_ago_minutes(int(seconds // 60))} ago"


def relative_future(when: datetime, now: datetime | None = None) -> str:
    """ "in 12 min"; a time already reached reads "now", never a time in the past."""
    now = now or datetime.now(UTC)
    seconds = (when - now).total_seconds()
    if seconds < 30:
        return "now"
    if seconds < 60:
        return "in 1 min"
    # Round up so "in 0 min" never shows while a minute is still left.
    return f"in {_ago_minutes(int(-(-seconds // 60)))}"


def people_count(count: int) -> str:
    """ "1 person", "1,234 people"."""
    return "1 person" if count == 1 else f"{count:,} people"


def step_text(order: int | None, count: int | None) -> str:
    """ "3 of 5", "3" when the sequence's length is unknown, a dash without a step."""
    if order is None:
        return EMPTY
    return f"{order} of {count}" if count else str(order)


# Calm, readable on light and dark backgrounds: the dot beside a state, never the text colour.
_STATE_COLOURS: dict[CanonicalState, str] = {
    CanonicalState.ACTIVE_RUNNING: "#2e9d5b",
    CanonicalState.ACTIVE_PAUSED: "#d39b22",
    CanonicalState.PENDING: "#4a8fd6",
    CanonicalState.FINISHED: "#7a869a",
    CanonicalState.NOT_ACTIVE: "#a5adba",
    CanonicalState.DISABLED: "#a5adba",
    CanonicalState.OPTED_OUT: "#c9372c",
    CanonicalState.FAILED: "#c9372c",
    CanonicalState.BOUNCED: "#b35c1e",
    CanonicalState.UNKNOWN: "#8e5bd9",
}
UNKNOWN_TEXT = QColor("#6e3fb8")
MUTED_TEXT = QColor("#6b778c")
OPTED_OUT_COLOUR = QColor("#c9372c")


def state_colour(state: ResolvedState) -> QColor:
    """The colour of the dot shown beside a state."""
    return QColor(_STATE_COLOURS.get(state.state, "#7a869a"))


def provider_name(provider: str) -> str:
    """ "outreach" -> "Outreach"."""
    return {"outreach": "Outreach", "salesmate": "Salesmate"}.get(provider, provider.title())


def state_tooltip(state: ResolvedState, provider: str = "outreach") -> str:
    """What the provider said, next to what Sync Monitor made of it."""
    raw = state.raw or "(empty)"
    who = provider_name(provider)
    if state.state is CanonicalState.UNKNOWN:
        return (
            f"{who} said “{raw}”, a value Sync Monitor does not know yet.\n"
            "Workbooks receives the raw text unchanged."
        )
    return f"{state.label}\n{who} said “{raw}”."
