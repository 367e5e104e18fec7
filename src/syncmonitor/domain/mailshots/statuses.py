"""What each Workbooks mailshot status value means to the queue.

Workbooks documents one status value, `Draft` (`workbooks-mailshot_example.php`). The others, and
which of them means "Synchronise was pressed" or "synchronised", are in no document: the values
are discovered (the status field's picklist, and the values seen on mailshots) and their meaning
is guessed from their words until an admin confirms it in Settings. A value never seen before is
shown as it is, never dropped.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace


class StatusRole(enum.StrEnum):
    """What a status value says about a mailshot's way to Spotler."""

    IDLE = "idle"  # not asked to sync (Draft)
    QUEUED = "queued"  # Synchronise was pressed: waiting in the integration's queue
    SYNCING = "syncing"  # the integration is working on it
    SYNCED = "synced"  # the integration says it is in Spotler
    FAILED = "failed"  # the integration gave up on it
    UNKNOWN = "unknown"  # Sync Monitor cannot tell

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    StatusRole.IDLE: "not asked to sync (like Draft)",
    StatusRole.QUEUED: "Synchronise was pressed (waiting)",
    StatusRole.SYNCING: "the integration is working on it",
    StatusRole.SYNCED: "synchronised (in GatorMail)",
    StatusRole.FAILED: "the sync failed",
    StatusRole.UNKNOWN: "not known",
}
# What Workbooks documents (workbooks-mailshot_example.php creates mailshots as Draft): no guess.
DOCUMENTED = {"Draft": StatusRole.IDLE}
# The meanings Settings asks about: without them the queue cannot be told.
KEY_ROLES = (StatusRole.QUEUED, StatusRole.SYNCED)

_WORDS: tuple[tuple[StatusRole, str], ...] = (
    (StatusRole.FAILED, r"fail|error|reject|refused"),
    (StatusRole.SYNCED, r"synchroni[sz]ed|synced|sent|arrived|complete|done|success"),
    (StatusRole.SYNCING, r"synchroni[sz]ing|syncing|in progress|processing|sending"),
    (StatusRole.QUEUED, r"queue|pending|waiting|requested|scheduled|ready"),
    (StatusRole.IDLE, r"draft|new|not synchroni[sz]ed|cancel"),
)


def guess_role(value: str) -> StatusRole:
    """A guess from the value's words (English); UNKNOWN when none fits."""
    text = value.strip().casefold()
    if not text:
        return StatusRole.IDLE
    if re.search(r"not synchroni[sz]ed|unsynced", text):
        return StatusRole.IDLE
    for role, pattern in _WORDS:
        if re.search(pattern, text):
            return role
    return StatusRole.UNKNOWN


@dataclass(frozen=True)
class StatusValue:
    """One status value as the cache keeps it."""

    value: str
    role: StatusRole
    confirmed: bool  # an admin said so in Settings (else it is Sync Monitor's guess)
    source: str  # where the value was found: the picklist, or seen on a mailshot
    first_seen_at: str


@dataclass(frozen=True)
class StatusMeanings:
    """Every status value known, with what it means."""

    values: Mapping[str, StatusValue]

    def role(self, value: str) -> StatusRole:
        known = self.values.get(value)
        return known.role if known is not None else guess_role(value)

    def value_for(self, role: StatusRole) -> str | None:
        """The value with this meaning (a confirmed one first), or None."""
        chosen = [v for v in self.values.values() if v.role is role]
        chosen.sort(key=lambda v: (not v.confirmed, v.first_seen_at, v.value))
        return chosen[0].value if chosen else None

    def has(self, role: StatusRole) -> bool:
        return any(v.role is role for v in self.values.values())

    def unconfirmed(self) -> list[StatusRole]:
        """The key meanings that rest on a guess (Settings asks about them)."""
        return [
            role
            for role in KEY_ROLES
            if not any(v.role is role and v.confirmed for v in self.values.values())
        ]

    def unknown_values(self) -> list[str]:
        return sorted(v.value for v in self.values.values() if v.role is StatusRole.UNKNOWN)

    def with_values(self, found: Iterable[str], source: str, now: str) -> StatusMeanings:
        """These values added (guessed) where new; known ones keep their meaning."""
        values = dict(self.values)
        for value in found:
            if value not in values:
                if value in DOCUMENTED:
                    values[value] = StatusValue(value, DOCUMENTED[value], True, source, now)
                else:
                    values[value] = StatusValue(value, guess_role(value), False, source, now)
        return StatusMeanings(values)

    def confirmed(self, roles: Mapping[str, StatusRole]) -> StatusMeanings:
        """The admin's answer: these values mean these roles (confirmed)."""
        values = dict(self.values)
        for value, role in roles.items():
            if value in values:
                values[value] = replace(values[value], role=role, confirmed=True)
        return StatusMeanings(values)

    def guess_note(self) -> str | None:
        """One line saying which key meanings are guesses, or None when all are confirmed."""
        parts = []
        for role in self.unconfirmed():
            value = self.value_for(role)
            what = {StatusRole.QUEUED: "Synchronise was pressed", StatusRole.SYNCED: "synchronised"}
            parts.append(
                f"“{value}” for “{what[role]}”" if value else f"no value for “{what[role]}”"
            )
        if not parts:
            return None
        return (
            "Sync Monitor guessed which Workbooks status means what ("
            + "; ".join(parts)
            + "): no document says. Confirm it in Settings > Queue statuses."
        )
