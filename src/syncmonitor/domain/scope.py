"""Which Workbooks records the two-way sync sends to Outreach: the scope filter.

Like the Outlook connector, the default is "assigned to me or watching" (Workbooks' My People
view): people whose `assigned_to` is the API user, or whom the API user watches. "Me" is the user
the Workbooks API key belongs to unless a user id is set. On top of that, conditions over any
Workbooks field with Workbooks' own operators, all or any of them matching.

The integration's own rule always applies as well: Sync to Outreach = true, Outreach Sync Error =
false, Outreach Duplicate = false (`base_conditions`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

OPERATORS: dict[str, str] = {
    "eq": "equals",
    "ne": "does not equal",
    "gt": "is greater than",
    "ge": "is at least",
    "lt": "is less than",
    "le": "is at most",
    "ct": "contains",
    "nct": "does not contain",
    "bg": "begins with",
    "nbg": "does not begin with",
    "blank": "is blank",
    "not_blank": "is not blank",
    "true": "is true",
    "false": "is false",
}
NO_VALUE = frozenset({"blank", "not_blank", "true", "false"})
ASSIGNED_FIELD = "assigned_to"
WATCHING_FIELD = "is_watched"

Triple = tuple[str, str, str]


@dataclass(frozen=True)
class Condition:
    """One condition: a Workbooks field, an operator, a value (none for blank/true/false)."""

    field: str
    operator: str
    value: str = ""


@dataclass(frozen=True)
class ScopeFilter:
    """The saved scope of the outbound sync."""

    mine: bool = True  # assigned to me or watching
    me: int | None = None  # the user "me" is; None: the Workbooks API user
    conditions: tuple[Condition, ...] = ()
    match_all: bool = True  # all conditions (AND) or any of them (OR)


def problems(scope: ScopeFilter) -> list[str]:
    """What is wrong with a scope before it is saved (empty: fine)."""
    found: list[str] = []
    for n, c in enumerate(scope.conditions, 1):
        if not c.field.strip():
            found.append(f"Condition {n}: choose a field.")
        if c.operator not in OPERATORS:
            found.append(f"Condition {n}: {c.operator!r} is not a Workbooks operator.")
        elif c.operator not in NO_VALUE and not c.value.strip():
            found.append(f"Condition {n}: '{OPERATORS[c.operator]}' needs a value.")
    if scope.me is not None and scope.me <= 0:
        found.append("The user id for 'me' must be a positive number.")
    return found


def base_conditions(sync_field: str, error_field: str, duplicate_field: str) -> list[Triple]:
    """The integration's own rule, as Workbooks filter conditions."""
    return [(sync_field, "true", ""), (error_field, "false", ""), (duplicate_field, "false", "")]


def workbooks_filter(
    scope: ScopeFilter, me: int | None, base: list[Triple]
) -> tuple[list[Triple], str]:
    """(conditions, `_fm` expression): `base` AND (assigned to me OR watching) AND the scope's
    own conditions (all or any). `me` is the resolved user id (needed when `scope.mine`)."""
    conditions = list(base)
    groups = [str(n) for n in range(1, len(base) + 1)]
    if scope.mine:
        if me is None:
            raise ValueError("the scope is 'assigned to me or watching' but 'me' is not known")
        first = len(conditions) + 1
        conditions += [(ASSIGNED_FIELD, "eq", str(me)), (WATCHING_FIELD, "true", "")]
        groups.append(f"({first} OR {first + 1})")
    if scope.conditions:
        first = len(conditions) + 1
        conditions += [(c.field, c.operator, c.value) for c in scope.conditions]
        joiner = " AND " if scope.match_all else " OR "
        numbers = [str(n) for n in range(first, len(conditions) + 1)]
        groups.append(f"({joiner.join(numbers)})")
    return conditions, " AND ".join(groups) if groups else "and"


def describe(scope: ScopeFilter) -> str:
    """One line for Settings and the run log."""
    parts = []
    if scope.mine:
        who = "me" if scope.me is None else f"user {scope.me}"
        parts.append(f"assigned to {who} or watched by {who}")
    if scope.conditions:
        joined = (" and " if scope.match_all else " or ").join(
            f"{c.field} {OPERATORS.get(c.operator, c.operator)}"
            + (f" {c.value!r}" if c.operator not in NO_VALUE else "")
            for c in scope.conditions
        )
        parts.append(joined)
    return "; ".join(parts) or "every person marked Sync to Outreach"


def to_json(scope: ScopeFilter) -> str:
    return json.dumps(
        {
            "mine": scope.mine,
            "me": scope.me,
            "match_all": scope.match_all,
            "conditions": [
                {"field": c.field, "operator": c.operator, "value": c.value}
                for c in scope.conditions
            ],
        }
    )


def from_json(text: str | None) -> ScopeFilter:
    """A saved scope; nothing saved (or unreadable) is the default scope."""
    if not text:
        return ScopeFilter()
    try:
        raw: Any = json.loads(text)
        conditions = tuple(
            Condition(str(c["field"]), str(c["operator"]), str(c.get("value") or ""))
            for c in raw.get("conditions", [])
        )
        me = raw.get("me")
        return ScopeFilter(
            bool(raw.get("mine", True)),
            int(me) if isinstance(me, int) else None,
            conditions,
            bool(raw.get("match_all", True)),
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        return ScopeFilter()
