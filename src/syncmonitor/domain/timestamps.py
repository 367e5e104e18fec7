"""Timestamps as the remotes write them, as aware UTC datetimes, and back."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo


def parse_iso(text: str | None) -> datetime | None:
    """Parse an ISO 8601 timestamp (`2026-11-22T15:58:00.000Z`); None for empty or bad text."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def format_iso(value: datetime) -> str:
    """Format as Outreach writes timestamps: UTC with milliseconds and a Z."""
    return (
        value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    )


def utc_now() -> datetime:
    """Now, as an aware UTC datetime."""
    return datetime.now(UTC)


def human_time(
    value: datetime,
    *,
    now: datetime | None = None,
    zone: bool = False,
    tz: tzinfo | None = None,
    year: bool = False,
) -> str:
    """The one way a moment reads on screen and in messages: "1 Dec 11:44" this year,
    "1 Dec 2025 11:44" another year, in local time (`tz`, else this computer's zone); with
    `zone`, the zone's name after it ("1 Dec 11:44 CET") where the reader may be elsewhere;
    with `year`, the year always (a date people plan around, such as a key's expiry)."""
    local = value.astimezone(tz)
    current = (now or utc_now()).astimezone(tz)
    text = f"{local.day} {local:%b}"
    if year or local.year != current.year:
        text += f" {local.year}"
    text += f" {local:%H:%M}"
    if zone:
        text += f" {local.tzname() or local.strftime('%z')}"
    return text
