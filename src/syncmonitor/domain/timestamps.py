"""Timestamps as the remotes write them, as aware UTC datetimes, and back."""

from __future__ import annotations

from datetime import UTC, datetime


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
