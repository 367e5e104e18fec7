"""How long something took or will take, in the one wording the window and the command line
share: "0.4 s", "45 s", "3 min 05 s", "1 h 20 min", and "—" when it is not known."""

from __future__ import annotations

UNKNOWN = "—"


def duration_text(seconds: float | None, unknown: str = UNKNOWN) -> str:
    """A short human duration; tenths of a second below 10 s, where they still matter."""
    if seconds is None:
        return unknown
    if seconds < 9.95:
        return f"{max(seconds, 0.0):.1f} s"
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"
