"""Header values a remote sends about waiting, read so that no value can break the client.

`Retry-After`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` come from the remote (or from
whatever sits in front of it): `inf`, `nan`, `1e300`, `-5` or garbage must end in the rate-limit
or server error they stand for, never in an OverflowError. Every number is checked for being
finite and is clamped to what the clock can represent; `describe_wait` says a wait the way a
person reads it, honestly, however long it is ("in about 3 hours", "not before 2057").
"""

from __future__ import annotations

import email.utils
import math
from datetime import datetime, timedelta

# Below this an X-RateLimit-Reset value is a number of seconds, not an epoch time.
_EPOCH_THRESHOLD = 1_000_000_000
# The longest wait worded as a date: a thousand years. Anything longer (1e20, inf) is
# "so far away it cannot be meant", and worded as such.
MAX_MEANINGFUL_WAIT = 1000 * 365.25 * 86400.0
# The largest count kept from X-RateLimit-Remaining (a remote claiming more is claiming "plenty").
_MAX_COUNT = 10**12


def _finite(text: str) -> float | None:
    try:
        number = float(text.strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _bounded_wait(seconds: float) -> float:
    """A wait from the remote: never negative or nan (a huge one is kept, for the message)."""
    if math.isnan(seconds):
        return 0.0
    return max(0.0, seconds)


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a Retry-After header (delta seconds or an HTTP-date), or None.

    A value past any meaning (`inf`, `1e20`) is kept as it is: longer than anyone will wait, and
    `describe_wait` words it so (nothing computes a date from it). `nan` and garbage are None.
    """
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        pass
    else:
        return None if math.isnan(number) else _bounded_wait(number)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # an HTTP-date is always GMT; be lenient about the zone being absent
        return None
    return _bounded_wait(when.timestamp() - now)


def parse_rate_limit_remaining(value: str | None) -> int | None:
    """The smallest of the comma-separated counts in X-RateLimit-Remaining, or None.

    Parts that are not finite numbers are skipped; huge ones are clamped (a remote claiming
    1e300 calls left is claiming plenty).
    """
    if not value:
        return None
    counts: list[int] = []
    for part in value.split(","):
        number = _finite(part)
        if number is None:
            continue
        counts.append(int(max(-_MAX_COUNT, min(float(_MAX_COUNT), number))))
    return min(counts) if counts else None


def parse_rate_limit_reset(value: str | None, now: float) -> float | None:
    """Epoch seconds when the budget refills, from X-RateLimit-Reset, or None.

    Outreach documents epoch seconds; a small number is taken as seconds from now and a huge
    one as epoch milliseconds, so either reading of the header works. A value beyond any
    meaning stays huge (or `math.inf`): the budget comes back "never", for a person.
    """
    if not value:
        return None
    numbers = [n for n in (_finite(part) for part in value.split(",") if part.strip())]
    if not numbers or any(n is None for n in numbers):
        if value.strip().lower().lstrip("+") in ("inf", "infinity"):
            return math.inf
        return None
    number = min(n for n in numbers if n is not None)
    if number < _EPOCH_THRESHOLD:
        return now + max(0.0, number)
    if number > _EPOCH_THRESHOLD * 1000:
        number /= 1000.0
    return now + _bounded_wait(number - now)


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}{'' if count == 1 else 's'}"


def describe_wait(seconds: float, now: float) -> str:
    """A wait from `now` in words a person can act on, never raising.

    "in about 40 seconds", "in about 12 minutes (after 14:05)", "in about 3 hours (after 17:20)",
    "in about 9 days (after 10 Dec)", "not before 2057", and for a wait past any meaning
    "at no time it gave that makes sense (it asked to wait 1e+20 seconds)".
    """
    if not math.isfinite(seconds) or seconds > MAX_MEANINGFUL_WAIT:
        asked = "for ever" if math.isinf(seconds) else f"{seconds:.3g} seconds"
        return f"at no time that makes sense (it asked to wait {asked})"
    seconds = max(0.0, seconds)
    try:
        when: datetime | None = datetime.fromtimestamp(now).astimezone() + timedelta(
            seconds=seconds
        )
    except (OverflowError, OSError, ValueError):
        when = None
    if seconds < 90:
        return f"in about {_plural(max(1, round(seconds)), 'second')}"
    clock = f" (after {when:%H:%M})" if when else ""
    if seconds < 59.5 * 60:
        return f"in about {_plural(round(seconds / 60), 'minute')}{clock}"
    if seconds < 36 * 3600:
        return f"in about {_plural(round(seconds / 3600), 'hour')}{clock}"
    if seconds < 60 * 86400:
        day = f" (after {when:%d %b %H:%M})" if when else ""
        return f"in about {_plural(round(seconds / 86400), 'day')}{day}"
    if when is not None:
        if seconds < 2 * 365 * 86400:
            return f"not before {when:%B %Y}"
        return f"not before {when.year}"
    return f"not before the year {int(1970 + (now + seconds) / (365.25 * 86400))}"
