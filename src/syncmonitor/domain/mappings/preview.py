"""The dry-run preview: what a sync would send and load for one linked pair under the mapping
being edited, next to what the saved mapping does, so the difference a save makes is visible."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from syncmonitor.domain.mappings.apply import Change, MappingContext, Plan, Record, Skip, plan_pair
from syncmonitor.domain.mappings.fields import ObjectPair
from syncmonitor.domain.mappings.mapping_set import MappingSet

# Which system receives: the values written into the CRM record come from Outreach.
SEND, LOAD = "Outreach → CRM", "CRM → Outreach"


@dataclass(frozen=True)
class Outcome:
    """What one plan does to one field: write `value`, leave it (`skipped`), or nothing."""

    text: str
    writes: bool
    value: object = None

    @staticmethod
    def of(plan: Plan, field_name: str) -> Outcome:
        change = next((c for c in plan.changes if c.field == field_name), None)
        if change is not None:
            return _change(change)
        skip = next((s for s in plan.skipped if s.field == field_name), None)
        if skip is not None:
            return _skip(skip)
        return Outcome("not mapped", False)


def _change(change: Change) -> Outcome:
    shown = "(blank)" if change.value is None else str(change.value)
    if not change.changes_something:
        return Outcome(f"{shown} (already)", False, change.value)
    return Outcome(shown, True, change.value)


def _skip(skip: Skip) -> Outcome:
    return Outcome(f"left alone: {skip.reason}", False)


@dataclass(frozen=True)
class PreviewRow:
    """One field of the preview."""

    where: str  # SEND or LOAD
    field: str
    now: object
    edited: Outcome
    saved: Outcome

    @property
    def differs(self) -> bool:
        """Saving the edit would change what the sync does to this field."""
        return (self.edited.writes, self.edited.value) != (self.saved.writes, self.saved.value)


def preview(
    edited: MappingSet,
    saved: MappingSet,
    pair: ObjectPair,
    crm: Record,
    outreach: Record,
    ctx: MappingContext,
    *,
    crm_is_newer: bool,
) -> list[PreviewRow]:
    """Every field either mapping touches for this pair, with both outcomes."""
    plans = {}
    for name, mappings in (("edited", edited), ("saved", saved)):
        context = dataclasses.replace(ctx, status=mappings.status)
        plans[name] = plan_pair(
            mappings.fields[pair], crm, outreach, context, crm_is_newer=crm_is_newer
        )
    rows: list[PreviewRow] = []
    for position, (where, record) in enumerate(((SEND, crm), (LOAD, outreach))):
        fields: dict[str, None] = {}
        for name in ("edited", "saved"):
            plan = plans[name][position]
            fields.update(dict.fromkeys(c.field for c in plan.changes))
            fields.update(dict.fromkeys(s.field for s in plan.skipped))
        for field_name in fields:
            rows.append(
                PreviewRow(
                    where,
                    field_name,
                    record.get(field_name),
                    Outcome.of(plans["edited"][position], field_name),
                    Outcome.of(plans["saved"][position], field_name),
                )
            )
    return rows
