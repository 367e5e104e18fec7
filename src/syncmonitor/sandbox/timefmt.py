"""Timestamps as the two emulated services write and read them.

The world stores every instant as an integer: milliseconds since the epoch for Outreach records,
seconds for Workbooks ones (Workbooks datetimes have no fractions). Integers are small, compare
fast and sort in the paging indexes; text is only made when a page is served.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_NUMBERS = {name.lower(): number for number, name in enumerate(_MONTHS, start=1)}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# A page of 1000 sequence states with its includes formats about 11,000 instants, so this is hot:
# table lookups instead of strftime or zero-padding format specs make it about three times faster.
_iso_days: dict[int, str] = {}  # a few hundred "YYYY-MM-DDT" prefixes
_HOURS = tuple(f"{h:02d}:" for h in range(24))
_MINUTES_SECONDS = tuple(f"{m:02d}:{s:02d}" for m in range(60) for s in range(60))
_MILLIS = tuple(f".{ms:03d}Z" for ms in range(1000))


def now_ms() -> int:
    """The current time in epoch milliseconds."""
    return time.time_ns() // 1_000_000


def iso_ms(ms: int | None) -> str | None:
    """Format epoch milliseconds the Outreach way: `2026-11-22T15:58:00.000Z`."""
    if ms is None:
        return None
    day, rest = divmod(ms, 86_400_000)
    date = _iso_days.get(day)
    if date is None:
        date = time.strftime("%Y-%m-%dT", time.gmtime(day * 86_400))
        _iso_days[day] = date
    seconds, millis = divmod(rest, 1000)
    hours, seconds = divmod(seconds, 3600)
    return date + _HOURS[hours] + _MINUTES_SECONDS[seconds] + _MILLIS[millis]


def parse_iso_ms(text: str) -> int:
    """Parse an ISO 8601 instant (`Z`, an offset, or none meaning UTC) to epoch milliseconds.

    Raises ValueError for anything else, so a bad filter can be answered with a 422.
    """
    value = datetime.fromisoformat(text.strip().replace("z", "Z"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    # Integer arithmetic: going through a float timestamp can land one millisecond low.
    delta = value - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def workbooks_datetime(seconds: int | None) -> str | None:
    """Format epoch seconds the Workbooks way: `Fri May 15 14:36:54 UTC 2009`.

    Day and month names come from our own tables, not strftime, which follows the locale.
    """
    if seconds is None:
        return None
    t = time.gmtime(seconds)
    return (
        f"{_DAYS[t.tm_wday]} {_MONTHS[t.tm_mon - 1]} {t.tm_mday:02d} "
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} UTC {t.tm_year}"
    )


def parse_workbooks_datetime(text: str) -> int:
    """Parse what Workbooks accepts for a datetime to epoch seconds.

    Accepted: its own format (`Fri May 15 14:36:54 UTC 2009`), a date (`22 May 2009`), ISO 8601
    (`2009-05-15T14:36:54Z`, `2009-05-15 14:36:54`, `2009-05-15`) and epoch seconds.
    Raises ValueError for anything else.
    """
    raw = text.strip()
    if raw.lstrip("-").isdigit():
        return int(raw)
    parts = raw.split()
    if len(parts) == 6 and parts[4].upper() == "UTC":
        # "Fri May 15 14:36:54 UTC 2009": the weekday is redundant, so it is not checked.
        month = _MONTH_NUMBERS[parts[1][:3].lower()]
        hour, minute, second = (int(p) for p in parts[3].split(":"))
        moment = datetime(int(parts[5]), month, int(parts[2]), hour, minute, second, tzinfo=UTC)
        return int(moment.timestamp())
    if len(parts) == 3 and parts[1][:3].lower() in _MONTH_NUMBERS:
        month = _MONTH_NUMBERS[parts[1][:3].lower()]
        return int(datetime(int(parts[2]), month, int(parts[0]), tzinfo=UTC).timestamp())
    return parse_iso_ms(raw) // 1000
