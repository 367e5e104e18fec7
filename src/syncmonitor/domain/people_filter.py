"""What the People list shows: the search text and the filters, and the named views that keep them.

A filter picks people by their *current* sequence states (the one vocabulary of `states`): a person
matches when one of their sequence states is in one of the chosen states, from one of the chosen
providers, in one of the chosen sequences, and changed in the chosen period, all on the same
sequence state. So "Opted out this week" is someone whose opt-out happened this week, not someone
who opted out long ago and whose other sequence moved this week. Choices within one kind are
alternatives (Bounced or Failed); kinds combine (Bounced, and this week). The search text applies
to the name and email as before.

Periods are read in the computer's time zone ("today" starts at local midnight, "this week" on
Monday, ISO 8601), and compared with the providers' UTC timestamps. Pure: no I/O.
"""

from __future__ import annotations

import enum
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from syncmonitor.domain.states import CanonicalState, Provider
from syncmonitor.domain.timestamps import format_iso


class Period(enum.StrEnum):
    """When the state changed."""

    ANY = "any time"
    TODAY = "today"
    THIS_WEEK = "this week"
    LAST_7_DAYS = "last 7 days"
    LAST_30_DAYS = "last 30 days"
    RANGE = "between dates"


# The periods a count is shown for (a date range has one count: the list's).
COUNTED_PERIODS = (Period.TODAY, Period.THIS_WEEK, Period.LAST_7_DAYS, Period.LAST_30_DAYS)

PROVIDER_NAMES = {Provider.OUTREACH: "Outreach", Provider.SALESMATE: "Salesmate"}


@dataclass(frozen=True, slots=True)
class ChangeWindow:
    """A period resolved to UTC timestamps, as the cache stores them: `since <= t < before`."""

    since: str | None
    before: str | None


def _local_midnight(day: date, tz: tzinfo | None) -> datetime:
    naive = datetime.combine(day, time())
    return naive.astimezone() if tz is None else naive.replace(tzinfo=tz)


def period_window(
    period: Period,
    now: datetime,
    tz: tzinfo | None = None,
    *,
    first: date | None = None,
    last: date | None = None,
) -> ChangeWindow:
    """The UTC bounds of `period` at `now` (`tz`: the zone days are counted in; None: this
    computer's). A date range covers whole local days, `first` to `last` inclusive."""
    local_now = now.astimezone(tz) if tz is not None else now.astimezone()
    today = local_now.date()
    if period is Period.TODAY:
        return ChangeWindow(format_iso(_local_midnight(today, tz)), None)
    if period is Period.THIS_WEEK:
        monday = today - timedelta(days=today.weekday())
        return ChangeWindow(format_iso(_local_midnight(monday, tz)), None)
    if period is Period.LAST_7_DAYS:
        return ChangeWindow(format_iso(now - timedelta(days=7)), None)
    if period is Period.LAST_30_DAYS:
        return ChangeWindow(format_iso(now - timedelta(days=30)), None)
    if period is Period.RANGE:
        since = format_iso(_local_midnight(first, tz)) if first else None
        before = format_iso(_local_midnight(last + timedelta(days=1), tz)) if last else None
        return ChangeWindow(since, before)
    return ChangeWindow(None, None)


@dataclass(frozen=True, slots=True)
class PeopleFilter:
    """The search text and the filters of the People list (empty sets: no filter of that kind)."""

    text: str = ""
    states: frozenset[CanonicalState] = frozenset()
    providers: frozenset[Provider] = frozenset()
    sequences: frozenset[tuple[str, int]] = frozenset()  # (provider, sequence id)
    changed: Period = Period.ANY
    first_day: date | None = None  # Period.RANGE only, inclusive local days
    last_day: date | None = None

    @property
    def filters_states(self) -> bool:
        """True when some filter looks at the sequence states (not only the search text)."""
        return bool(
            self.states or self.providers or self.sequences or self.changed is not Period.ANY
        )

    @property
    def is_empty(self) -> bool:
        return not self.text.strip() and not self.filters_states

    def window(self, now: datetime, tz: tzinfo | None = None) -> ChangeWindow:
        return period_window(self.changed, now, tz, first=self.first_day, last=self.last_day)

    def but(self, **changes: Any) -> PeopleFilter:
        """This filter with some fields replaced."""
        return replace(self, **changes)

    def describe(self) -> str:
        """The filters in words: "Opted Out or Bounced · Outreach · changed this week"."""
        parts = []
        if self.states:
            parts.append(" or ".join(sorted(s.value for s in self.states)))
        if self.providers:
            parts.append(" or ".join(sorted(PROVIDER_NAMES[p] for p in self.providers)))
        if self.sequences:
            n = len(self.sequences)
            parts.append("1 sequence" if n == 1 else f"{n} sequences")
        if self.changed is Period.RANGE:
            first = self.first_day.isoformat() if self.first_day else "the start"
            last = self.last_day.isoformat() if self.last_day else "today"
            parts.append(f"changed {first} to {last}")
        elif self.changed is not Period.ANY:
            parts.append(f"changed {self.changed.value}")
        if self.text.strip():
            parts.append(f"matching '{self.text.strip()}'")
        return " · ".join(parts) if parts else "Everyone"

    # Kept as JSON in the settings folder (named views) ---------------------------------------

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if self.text.strip():
            data["text"] = self.text.strip()
        if self.states:
            data["states"] = sorted(s.value for s in self.states)
        if self.providers:
            data["providers"] = sorted(p.value for p in self.providers)
        if self.sequences:
            data["sequences"] = [[p, i] for p, i in sorted(self.sequences)]
        if self.changed is not Period.ANY:
            data["changed"] = self.changed.value
        if self.first_day:
            data["first_day"] = self.first_day.isoformat()
        if self.last_day:
            data["last_day"] = self.last_day.isoformat()
        return data

    @classmethod
    def from_dict(cls, data: Any) -> PeopleFilter:
        """A filter from its saved form; a value this version does not know is left out (a view
        saved by a newer version still opens, with the filters this one understands)."""
        if not isinstance(data, dict):
            return cls()
        states = frozenset(_known(CanonicalState, data.get("states")))
        providers = frozenset(_known(Provider, data.get("providers")))
        sequences = frozenset(
            (str(s[0]), int(s[1]))
            for s in data.get("sequences") or []
            if isinstance(s, list | tuple) and len(s) == 2 and str(s[1]).lstrip("-").isdigit()
        )
        changed = next(iter(_known(Period, [data.get("changed")])), Period.ANY)
        return cls(
            text=str(data.get("text") or ""),
            states=states,
            providers=providers,
            sequences=sequences,
            changed=changed,
            first_day=_day(data.get("first_day")),
            last_day=_day(data.get("last_day")),
        )


def _known(kind: type[enum.StrEnum], values: Any) -> list[Any]:
    if not isinstance(values, list):
        return []
    found = []
    for value in values:
        try:
            found.append(kind(value))
        except ValueError:
            continue
    return found


def _day(text: Any) -> date | None:
    try:
        return date.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class NamedView:
    """A saved filter with the name the admin gave it, shown in the sidebar under People."""

    name: str
    filter: PeopleFilter = field(default_factory=PeopleFilter)


# What a new admin finds in the sidebar: the daily questions of the people who run these syncs.
BUILT_IN_VIEWS = (
    NamedView(
        "Opted out this week",
        PeopleFilter(states=frozenset({CanonicalState.OPTED_OUT}), changed=Period.THIS_WEEK),
    ),
    NamedView(
        "Bounced this week",
        PeopleFilter(states=frozenset({CanonicalState.BOUNCED}), changed=Period.THIS_WEEK),
    ),
    NamedView(
        "Failed or disabled",
        PeopleFilter(states=frozenset({CanonicalState.FAILED, CanonicalState.DISABLED})),
    ),
    NamedView("Changed today", PeopleFilter(changed=Period.TODAY)),
)

MAX_VIEW_NAME = 60


def clean_view_name(name: str) -> str:
    """A view's name as kept: one line of printable text, trimmed, at most MAX_VIEW_NAME
    characters (a name is shown in the sidebar and in a terminal: no control characters)."""
    printable = "".join(c if unicodedata.category(c)[0] != "C" else " " for c in name)
    return " ".join(printable.split())[:MAX_VIEW_NAME]
