"""Dates as exports write them, and the day/month question said out loud.

An export may hold ISO dates (`2026-11-03`, `2026-11-03T14:05:00Z`), numeric dates in the
writer's locale (`03/11/2026` is 3 November in London and March 11 in New York, with `/`, `.` or
`-`, two- or four-digit years) or month names (`3 Nov 2026`, `Nov 3, 2026`), each with or without a
time (`14:05`, `14:05:33`, `2:05 PM`).

Numeric dates are never guessed one by one. The whole file decides: a first number above 12
anywhere means day first, a second number above 12 means month first; both in one file is an
error; neither (every date could be read both ways) means the person must choose, unless reading
them either way gives the same dates (`05/05/2026`). A date without a time zone is in the zone
the caller gives (the computer's own by default); one with a zone or offset keeps it.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}

_TIME = (
    r"(?:[ T,]+(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:\.\d+)?)?\s*(?P<ampm>[AaPp][Mm])?)?"
)
_ZONE = r"\s*(?P<zone>Z|UTC|GMT|[+-]\d{2}:?\d{2})?"
_ISO = re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})" + _TIME + _ZONE + "$")
_NUMERIC = re.compile(
    r"^(?P<a>\d{1,2})(?P<sep>[/.-])(?P<b>\d{1,2})(?P=sep)(?P<y>\d{2}|\d{4})" + _TIME + _ZONE + "$"
)
_DAY_MONTH_NAME = re.compile(
    r"^(?P<d>\d{1,2})[ -](?P<mon>[A-Za-z]{3,9})\.?[-, ]*(?P<y>\d{4})" + _TIME + _ZONE + "$"
)
_MONTH_NAME_DAY = re.compile(
    r"^(?P<mon>[A-Za-z]{3,9})\.? (?P<d>\d{1,2}),? (?P<y>\d{4})" + _TIME + _ZONE + "$"
)


class DateOrder(enum.StrEnum):
    """How to read a numeric date such as 03/11/2026."""

    AUTO = "auto"  # decide from the whole file
    DAY_FIRST = "dmy"  # 03/11/2026 is 3 November
    MONTH_FIRST = "mdy"  # 03/11/2026 is 11 March

    @property
    def description(self) -> str:
        return {
            "auto": "decided from the file",
            "dmy": "day first (31/12/2026)",
            "mdy": "month first (12/31/2026)",
        }[self.value]


class DateError(ValueError):
    """A text that is not a date in any supported format (the message says why)."""


@dataclass(frozen=True, slots=True)
class OrderDecision:
    """What the file's numeric dates say about their order."""

    order: DateOrder | None  # None: the person must choose (or nothing to decide)
    needs_choice: bool  # ambiguous numeric dates that read differently both ways
    conflict: bool  # some dates can only be day first, others only month first
    evidence: str  # a date that decided it, e.g. "23/04/2026"

    def note(self) -> str:
        """One sentence for the preview and the CLI."""
        if self.conflict:
            return (
                "Some dates can only be day first and others only month first "
                f"(for example {self.evidence}); the file mixes two formats."
            )
        if self.needs_choice:
            return (
                "Every numeric date could be day/month or month/day (for example "
                f"{self.evidence}); choose how to read them."
            )
        if self.order is DateOrder.DAY_FIRST:
            return f"Numeric dates are read day first ({self.evidence} can only be day first)."
        if self.order is DateOrder.MONTH_FIRST:
            return f"Numeric dates are read month first ({self.evidence} can only be month first)."
        return "Dates are unambiguous (ISO or with month names)."


def _numeric_parts(text: str) -> tuple[int, int] | None:
    match = _NUMERIC.match(text.strip())
    if match is None:
        return None
    return int(match["a"]), int(match["b"])


def decide_order(values: Iterable[str]) -> OrderDecision:
    """Decide how the file's numeric dates read (see the module docstring)."""
    day_first = month_first = ambiguous = ""
    for value in values:
        parts = _numeric_parts(value)
        if parts is None:
            continue
        a, b = parts
        if a > 12 and b <= 12:
            day_first = day_first or value.strip()
        elif b > 12 and a <= 12:
            month_first = month_first or value.strip()
        elif a != b and a <= 12 and b <= 12:
            ambiguous = ambiguous or value.strip()
    if day_first and month_first:
        return OrderDecision(None, False, True, f"{day_first} and {month_first}")
    if day_first:
        return OrderDecision(DateOrder.DAY_FIRST, False, False, day_first)
    if month_first:
        return OrderDecision(DateOrder.MONTH_FIRST, False, False, month_first)
    if ambiguous:
        return OrderDecision(None, True, False, ambiguous)
    return OrderDecision(None, False, False, "")


def _clock(match: re.Match[str]) -> tuple[int, int, int]:
    if match["h"] is None:
        return 0, 0, 0
    hour, minute, second = int(match["h"]), int(match["mi"]), int(match["s"] or 0)
    ampm = (match["ampm"] or "").lower()
    if ampm:
        if not 1 <= hour <= 12:
            raise DateError(f"{hour}:{minute:02d} {ampm.upper()} is not a time")
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    return hour, minute, second


def _zone(text: str | None, default: tzinfo) -> tzinfo:
    if text is None:
        return default
    if text in ("Z", "UTC", "GMT"):
        return UTC
    return datetime.strptime(text.replace(":", ""), "%z").tzinfo or default


def _year(text: str) -> int:
    year = int(text)
    return year + 2000 if len(text) == 2 else year


def parse_export_date(text: str, order: DateOrder, zone: tzinfo) -> datetime:
    """An aware UTC datetime, or DateError saying what is wrong with the text.

    `order` must be DAY_FIRST or MONTH_FIRST to read an ambiguous numeric date; with AUTO only
    dates that read one way (or the same both ways) are accepted.
    """
    value = " ".join(text.strip().split())
    if not value:
        raise DateError("the date is empty")
    if match := _ISO.match(value):
        year, month, day = int(match["y"]), int(match["m"]), int(match["d"])
    elif match := _NUMERIC.match(value):
        a, b, year = int(match["a"]), int(match["b"]), _year(match["y"])
        if order is DateOrder.AUTO:
            if a > 12 or a == b:
                order = DateOrder.DAY_FIRST
            elif b > 12:
                order = DateOrder.MONTH_FIRST
            else:
                raise DateError(
                    f"“{value}” could be {a}/{b} or {b}/{a}: choose day first or month first"
                )
        day, month = (a, b) if order is DateOrder.DAY_FIRST else (b, a)
    elif (match := _DAY_MONTH_NAME.match(value)) or (match := _MONTH_NAME_DAY.match(value)):
        month = _MONTHS.get(match["mon"].lower(), 0)
        if month == 0:
            raise DateError(f"“{match['mon']}” is not a month")
        year, day = int(match["y"]), int(match["d"])
    else:
        raise DateError(
            f"“{value}” is not a date Sync Monitor reads (use 2026-11-03, 03/11/2026, "
            "3 Nov 2026, with or without a time such as 14:05)"
        )
    hour, minute, second = _clock(match)
    try:
        moment = datetime(year, month, day, hour, minute, second, tzinfo=_zone(match["zone"], zone))
    except ValueError as exc:
        raise DateError(f"“{value}” is not a real date or time ({exc})") from None
    return moment.astimezone(UTC)
