"""The rules of the two-way sync, free of I/O: emails, required fields, conflicts.

*Conflicts.* For every linked pair the cache keeps the value each mapped field had when the two
sides last agreed (the last-synced value). On the next sync a field is:
- unchanged on both sides: nothing to do;
- changed on one side only: that side's value goes to the other (as the rule's direction allows);
- changed on both sides to different values: a conflict. The rule's ConflictRule decides
  (CRM wins / Outreach wins / newest wins: the side whose record was saved last; the default), and
  the conflict is recorded with both values, the rule and the winner for review.
- never synced before (no last-synced value) and different: the rule decides too, but this is a
  first link, not a conflict, and is not recorded as one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from syncmonitor.domain.mappings.apply import blank, same
from syncmonitor.domain.mappings.fields import ConflictRule

_SEPARATORS = re.compile(r"[\s,;]+")
_EMAIL = re.compile(r"^[^@\s<>()\[\],;:\"]+@[^@\s<>()\[\],;:\"]+\.[^@\s<>()\[\],;:\"]+$")


def normalise_emails(raw: object) -> list[str]:
    """Every valid address in a field, lower case, once each, in order.

    Handles what people type into a CRM: surrounding spaces, capitals, several addresses
    separated by commas, semicolons or spaces, `Name <addr>` forms and `mailto:` prefixes.
    """
    values: Iterable[object] = raw if isinstance(raw, list | tuple) else [raw]
    found: list[str] = []
    for value in values:
        if not isinstance(value, str):
            continue
        text = value.replace("<", " ").replace(">", " ")
        for part in _SEPARATORS.split(text):
            candidate = part.strip().strip(".").lower().removeprefix("mailto:")
            if candidate and _EMAIL.match(candidate) and candidate not in found:
                found.append(candidate)
    return found


class Side(StrEnum):
    """Where a value came from or went to."""

    CRM = "crm"
    OUTREACH = "outreach"

    @property
    def label(self) -> str:
        return "Workbooks" if self is Side.CRM else "Outreach"


@dataclass(frozen=True)
class Resolution:
    """What to do with one both-way field of one linked pair."""

    winner: Side | None  # None: nothing to write (the sides agree, or neither changed)
    conflict: bool  # both sides changed since the last sync


def resolve(
    crm_value: object,
    outreach_value: object,
    last_synced: object,
    *,
    known: bool,
    rule: ConflictRule,
    crm_is_newer: bool,
) -> Resolution:
    """Decide one field of a linked pair (values compared as the mappings compare them).

    `known`: a last-synced value exists for this field (False on a pair's first sync).
    """
    if same(crm_value, outreach_value):
        return Resolution(None, False)
    if known:
        crm_changed = not same(crm_value, last_synced)
        outreach_changed = not same(outreach_value, last_synced)
        if crm_changed and not outreach_changed:
            return Resolution(Side.CRM, False)
        if outreach_changed and not crm_changed:
            return Resolution(Side.OUTREACH, False)
    winner = _by_rule(rule, crm_is_newer)
    return Resolution(winner, known)


def _by_rule(rule: ConflictRule, crm_is_newer: bool) -> Side:
    if rule is ConflictRule.CRM_WINS:
        return Side.CRM
    if rule is ConflictRule.OUTREACH_WINS:
        return Side.OUTREACH
    return Side.CRM if crm_is_newer else Side.OUTREACH


REQUIRED = {
    "prospect": ("emails", "a prospect needs at least one valid email address"),
    "account": ("name", "an account needs a name"),
    "opportunity": ("name", "an opportunity needs a name"),
}


def missing_required(kind: str, attributes: dict[str, object]) -> str | None:
    """Why Outreach would refuse this new record, or None (checked before sending)."""
    need = REQUIRED.get(kind)
    if need is None:
        return None
    name, why = need
    value = attributes.get(name)
    if blank(value) or value == []:
        return f"Not sent to Outreach: {why}, and this record has none."
    return None


def display(value: object) -> str:
    """A value as the conflicts view and the person page show it."""
    if blank(value):
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)
