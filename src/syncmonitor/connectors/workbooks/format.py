"""Workbooks' date and datetime text formats.

Workbooks writes datetimes as `Fri May 15 14:36:54 UTC 2009` and dates as `22 May 2009`. Day and
month names are always English, whatever the locale of the machine, so this module does not use
`strftime("%a %b")` (which follows the locale).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_NUMBER = {name.lower(): number for number, name in enumerate(_MONTHS, start=1)}

# "Fri May 15 14:36:54 UTC 2009"; also tolerates a missing weekday, a one-digit day, extra
# spaces, full month names, and a numeric zone such as "+0100".
_DATETIME = re.compile(
    r"""^\s*(?:[A-Za-z]{3,9},?\s+)?
    (?P<month>[A-Za-z]{3,9})\s+(?P<day>\d{1,2})\s+
    (?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?\s+
    (?P<zone>UTC|GMT|Z|[+-]\d{2}:?\d{2})\s+
    (?P<year>\d{4})\s*$""",
    re.VERBOSE,
)
_DATE = re.compile(r"^\s*(?P<day>\d{1,2})\s+(?P<month>[A-Za-z]{3,9})\s+(?P<year>\d{4})\s*$")


def _month(name: str) -> int:
    number = _MONTH_NUMBER.get(name[:3].lower())
    if number is None:
        raise ValueError(f"unknown month {name!r}")
    return number


def _zone(text: str) -> timezone:
    if text in ("UTC", "GMT", "Z"):
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return timezone(sign * offset)


def parse_datetime(text: str) -> datetime:
    """A Workbooks datetime (`Fri May 15 14:36:54 UTC 2009`) as an aware UTC datetime.

    ISO 8601 with a zone is accepted as well. Raises ValueError on anything else, including a
    time without a zone (its meaning would be a guess).
    """
    match = _DATETIME.match(text)
    if match:
        parsed = datetime(
            int(match["year"]),
            _month(match["month"]),
            int(match["day"]),
            int(match["hour"]),
            int(match["minute"]),
            int(match["second"] or 0),
            tzinfo=_zone(match["zone"]),
        )
        return parsed.astimezone(UTC)
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"not a Workbooks datetime: {text!r}") from None
    if parsed.tzinfo is None:
        raise ValueError(f"datetime without a time zone: {text!r}")
    return parsed.astimezone(UTC)


def parse_optional_datetime(value: object) -> datetime | None:
    """Like `parse_datetime`, but a blank field (None or "") is None."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"not a Workbooks datetime: {value!r}")
    return parse_datetime(value)


def format_datetime(moment: datetime) -> str:
    """An aware datetime in Workbooks' format, in UTC: `Fri May 15 14:36:54 UTC 2009`.

    Sub-second precision is dropped (the format has none). A naive datetime is a ValueError:
    its zone would be a guess.
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("format_datetime needs an aware datetime")
    utc = moment.astimezone(UTC)
    return (
        f"{_DAYS[utc.weekday()]} {_MONTHS[utc.month - 1]} {utc.day:02d} "
        f"{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d} UTC {utc.year:04d}"
    )


def parse_date(text: str) -> date:
    """A Workbooks date (`22 May 2009`); ISO `2009-05-22` is accepted too."""
    match = _DATE.match(text)
    if match:
        return date(int(match["year"]), _month(match["month"]), int(match["day"]))
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"not a Workbooks date: {text!r}") from None


def format_date(day: date) -> str:
    """A date in Workbooks' format: `22 May 2009`."""
    return f"{day.day:02d} {_MONTHS[day.month - 1]} {day.year:04d}"
