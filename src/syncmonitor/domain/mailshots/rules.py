"""The rules GatorMail (Spotler Mail+) applies to a Workbooks mailshot, and the API key's window.

Name length: Spotler Mail+ refuses campaign names over 100 characters (seed 003). Mail+ is a Java
service, and Java counts a string's length in UTF-16 code units, so an emoji or any other
character outside the Basic Multilingual Plane counts as 2. Sync Monitor counts the same way: a
name that passes this rule also passes a code-point count, so a name the app accepts can never
block the queue whichever way Spotler really counts. The editor shows the rule.
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


@dataclass(frozen=True)
class ApiKeyFacts:
    """The Workbooks API key the GatorMail integration uses (Enabled, Valid From, Until)."""

    name: str
    enabled: bool
    valid_from: datetime | None
    valid_until: datetime | None

    def problem(self, now: datetime) -> str | None:
        """Why the integration cannot use the key right now, in words; None when it can."""
        where = "Start > Configuration > Automation > API Keys in Workbooks"
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


def _day(value: datetime) -> str:
    # The local time with its zone named: the reader and Workbooks' server may be apart.
    return human_time(value, zone=True, year=True)


INTEGRATION_STOPPED = (
    "The GatorMail integration is not running, so no mailshot can reach Spotler. In Spotler, "
    "open Tools > Integration > General and check the field next to 'Integration running'; if "
    "it is not a green check, contact Workbooks Support (support@workbooks.com)."
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
    shortened = " ".join(kept).rstrip(" ,;:-–")
    if shortened:
        return shortened
    cut = ""
    for char in text:  # one enormous word: keep whole characters while they fit
        if name_length(cut + char) > limit:
            break
        cut += char
    return cut
