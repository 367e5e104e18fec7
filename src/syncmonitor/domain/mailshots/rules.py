"""The rules GatorMail (Spotler Mail+) applies to a Workbooks mailshot, and the API key's window.

Name length: Spotler Mail+ refuses campaign names over 100 characters (the Workbooks article on
mailshots that do not reach GatorMail). Mail+ is a Java service, and Java counts a string's length
in UTF-16 code units, so an emoji or any other character outside the Basic Multilingual Plane counts
as 2. Sync Monitor counts the same way: a name that passes this rule also passes a code-point count,
so a name the app accepts can never block the queue whichever way Spotler really counts. The editor
shows the rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from syncmonitor.domain.timestamps import human_time

NAME_LIMIT = 100
NAME_RULE = (
    "GatorMail accepts at most 100 characters, counted as Spotler counts them: most letters, "
    "accents and Asian characters count 1; emoji and a few rare characters count 2."
)


def name_length(name: str) -> int:
    """The length GatorMail measures: UTF-16 code units (an emoji counts 2)."""
    return len(name.encode("utf-16-le")) // 2


def name_problem(name: str) -> str | None:
    """Why GatorMail would refuse this name, or None when it is fine."""
    if not name.strip():
        return "The name is empty: GatorMail needs a campaign name."
    length = name_length(name)
    if length > NAME_LIMIT:
        return f"The name has {length} characters and GatorMail accepts at most {NAME_LIMIT}."
    return None


KEY_PLACE = "Start > Configuration > Automation > API Keys"
INTEGRATION_PLACE = "Tools > Integration > General"


@dataclass(frozen=True)
class ApiKeyFacts:
    """The Workbooks API key the GatorMail integration uses (Enabled, Valid From, Until).

    No Workbooks API reads API keys: these facts are what an admin recorded having seen in
    Workbooks (`recorded_on`), or, on an account that offers such a read, what it answered."""

    name: str
    enabled: bool
    valid_from: datetime | None
    valid_until: datetime | None
    source: str = "read"
    recorded_on: datetime | None = None  # when an admin recorded it (None: read by API)

    def problem(self, now: datetime) -> str | None:
        """Why the integration cannot use the key right now, in words; None when it can."""
        where = f"{KEY_PLACE} in Workbooks"
        if self.recorded_on is not None:
            if self.valid_until is not None and self.valid_until <= now:
                return (
                    f"The GatorMail API key's Until date you recorded on {_day(self.recorded_on)} "
                    f"({_day(self.valid_until)}) has passed: the key has probably expired, so "
                    f"nothing can sync. A System Admin can check and move it in {where}, then "
                    "record what they saw here."
                )
            return None
        if not self.enabled:
            return (
                f'The Workbooks API key "{self.name}" that GatorMail uses is disabled, so nothing '
                f"can sync. A System Admin can tick 'Enabled?' in {where}."
            )
        if self.valid_until is not None and self.valid_until <= now:
            return (
                f'The Workbooks API key "{self.name}" that GatorMail uses expired on '
                f"{_day(self.valid_until)}, so nothing can sync. A System Admin can set its "
                f"'Until' date in the future (or blank) in {where}."
            )
        if self.valid_from is not None and self.valid_from > now:
            return (
                f'The Workbooks API key "{self.name}" that GatorMail uses is not valid until '
                f"{_day(self.valid_from)}, so nothing can sync before then. A System Admin can "
                f"set its 'Valid From' date in the past (or blank) in {where}."
            )
        return None

    def days_left(self, now: datetime) -> float | None:
        """Days until the key expires (None: no Until date)."""
        if self.valid_until is None:
            return None
        return (self.valid_until - now).total_seconds() / 86400


def format_day(value: datetime, *, year: bool = True) -> str:
    """One way to write a moment everywhere on the queue, the app's own ("1 Dec 2026 10:46
    CET"): local time with its zone named, since the reader and Workbooks' server may be apart."""
    return human_time(value, zone=True, year=year)


def format_date(value: datetime) -> str:
    """A date people plan around, such as a key's Until date: "1 Dec 2026"."""
    local = value.astimezone()
    return f"{local.day} {local:%b} {local.year}"


INTEGRATION_STOPPED = (
    "The GatorMail integration is not running, so no mailshot can reach Spotler. In Spotler, "
    "open Tools > Integration > General and check the field next to 'Integration running'; if "
    "it is not a green check, contact Workbooks Support (support@workbooks.com)."
)


_DANGLING = frozenset(
    [
        "a",
        "an",
        "and",
        "at",
        "by",
        "for",
        "from",
        "in",
        "including",
        "of",
        "on",
        "or",
        "the",
        "to",
        "with",
        "without",
        "&",
        "–",
        "-",
    ]
)


def suggest_short_name(name: str, limit: int = NAME_LIMIT) -> str:
    """A first suggestion for a shorter name: whole words that fit, then an ellipsis-free cut.

    Never splits an emoji (a surrogate pair) in two: characters are dropped whole.
    """
    text = " ".join(name.split())
    if name_length(text) <= limit:
        return text
    words = text.split(" ")
    kept: list[str] = []
    for word in words:
        candidate = " ".join([*kept, word])
        if name_length(candidate) > limit:
            break
        kept.append(word)
    while len(kept) > 1 and kept[-1].casefold().strip(",;:-–") in _DANGLING:
        kept.pop()  # "…Follow-up for non-attendees with" reads cut off: end on a full word
    shortened = " ".join(kept).rstrip(" ,;:-–")
    if shortened:
        return shortened
    cut = ""
    for char in text:  # one enormous word: keep whole characters while they fit
        if name_length(cut + char) > limit:
            break
        cut += char
    return cut


_day = format_day  # the key's messages, short to write
