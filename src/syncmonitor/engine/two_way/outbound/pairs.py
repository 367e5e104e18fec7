"""Planning one record of the outbound sync: what goes to Outreach, what comes back to Workbooks.

Pure functions of the record, its twin, its link (last-synced values) and the field mapping:
every advanced option is applied by `domain.mapping_apply` (skip-empty, placeholders, lookups,
names instead of ids), and both-way fields are settled by `domain.two_way.resolve`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from syncmonitor.connectors.outreach.sync import Remote
from syncmonitor.connectors.workbooks.format import parse_optional_datetime
from syncmonitor.domain.mappings.apply import Change, load_rule, plan_load, send_rule
from syncmonitor.domain.mappings.fields import Direction
from syncmonitor.domain.mappings.values import FieldKind
from syncmonitor.domain.timestamps import parse_iso
from syncmonitor.domain.two_way import Side, display, resolve
from syncmonitor.engine.two_way.outbound.kinds import OutboundKind
from syncmonitor.store.two_way import Conflict, Hazard, Link

# Outreach relationships a write can set (a lookup resolves to the related record's id).
RELATIONSHIPS = frozenset({"stage", "account", "opportunityStage"})
# An opportunity's `stage` is read-only in the OpenAPI file; the writable one is
# `opportunityStage`. A mapping saved before the fix still says `stage`.
_OPPORTUNITY_ALIASES = {"stage": "opportunityStage"}


def _writable_relationships(kind: OutboundKind, plan: PairPlan) -> None:
    if kind.name != "opportunity":
        return
    for old, new in _OPPORTUNITY_ALIASES.items():
        if old in plan.relationships:
            plan.relationships.setdefault(new, plan.relationships.pop(old))


@dataclass
class PairPlan:
    """What the sync does with one Workbooks record and its (new or existing) twin."""

    crm_id: int
    record: dict[str, Any]
    label: str
    twin: Remote | None  # None: to be created
    attributes: dict[str, Any] = field(default_factory=dict)
    relationships: dict[str, Any] = field(default_factory=dict)
    crm_changes: dict[str, Any] = field(default_factory=dict)  # mapped values sent to Workbooks
    link_changes: dict[str, Any] = field(default_factory=dict)  # the Outreach id on Workbooks
    last_values: dict[str, Any] = field(default_factory=dict)
    conflicts: list[Conflict] = field(default_factory=list)
    failed: str | None = None  # Outreach refused it (the remote's words)
    duplicate: bool = False
    link_failed: str | None = None  # Outreach is done, but the Workbooks write was refused


@dataclass
class Batch:
    """One page of records being synced, and what became of each."""

    kind: OutboundKind
    run_id: int | None
    at: str
    plans: list[PairPlan] = field(default_factory=list)
    hazards: list[Hazard] = field(default_factory=list)
    refused: list[tuple[int, str, str]] = field(default_factory=list)
    duplicates: list[tuple[int, str, str]] = field(default_factory=list)

    def refuse(self, crm_id: int, label: str, why: str) -> None:
        self.refused.append((crm_id, label, why))

    def duplicate(self, crm_id: int, label: str, why: str) -> None:
        self.duplicates.append((crm_id, label, why))


def _put(plan: PairPlan, outreach_field: str, value: object, ctx: Any = None) -> None:
    info = ctx.outreach_fields.get(outreach_field) if ctx is not None else None
    if info is not None and info.kind is FieldKind.NUMBER and value is not None:
        plan.attributes[outreach_field] = _number(value)
        return
    if outreach_field in RELATIONSHIPS:
        if value is None or (isinstance(value, int) and not isinstance(value, bool)):
            plan.relationships[outreach_field] = value
        # a name (display name instead of id) cannot set a relationship: left alone
    else:
        plan.attributes[outreach_field] = None if value is None else str(value)


def _number(value: object) -> object:
    """A number for a numeric Outreach attribute (Workbooks sends amounts as text)."""
    try:
        number = float(str(value).replace(",", "").strip())
    except ValueError:
        return value  # Outreach says what is wrong with it, as the record's issue
    return int(number) if number.is_integer() else number


def _label(kind: OutboundKind, record: dict[str, Any]) -> str:
    name = str(record.get("name") or "").strip()
    email = str(record.get("main_location[email]") or "").strip()
    if name and email:
        return f"{name} <{email}>"
    return name or email or f"{kind.label} {record.get('id')}"


def plan_new(
    kind: OutboundKind,
    record: dict[str, Any],
    setup: Any,
    defaults: dict[str, object],
    batch: Batch,
) -> PairPlan:
    """A record to create in Outreach: the mapping's loaded values over the default names."""
    rid = int(record["id"])
    plan = PairPlan(rid, record, _label(kind, record), None)
    for name, value in defaults.items():
        if value is not None:
            _put(plan, name, value)
    load = plan_load(setup.mapping, record, None, setup.ctx)
    for change in load.changes:
        _put(plan, change.field, change.value, setup.ctx)
    for rule in setup.mapping.rules:
        if rule.enabled and rule.crm_field:
            plan.last_values[rule.crm_field] = record.get(rule.crm_field)
    if kind.identity is not None:
        plan.attributes[kind.identity] = str(rid)
    _writable_relationships(kind, plan)
    return plan


def _crm_is_newer(record: dict[str, Any], twin: Remote) -> bool:
    try:
        crm_at = parse_optional_datetime(record.get("updated_at"))
    except ValueError:
        crm_at = None
    outreach_at = parse_iso(twin.attributes.get("updatedAt"))
    if crm_at is None or outreach_at is None:
        return crm_at is not None
    return crm_at >= outreach_at


def plan_linked(
    kind: OutboundKind,
    record: dict[str, Any],
    twin: Remote,
    link: Link | None,
    setup: Any,
    batch: Batch,
) -> PairPlan:
    """Bring a linked pair in line, field by field (see `domain.two_way`)."""
    rid = int(record["id"])
    plan = PairPlan(rid, record, _label(kind, record), twin)
    outreach = twin.values()
    last = dict(link.last_values) if link is not None else {}
    plan.last_values = dict(last)
    newer = _crm_is_newer(record, twin)
    for row, rule in enumerate(setup.mapping.rules):
        if not rule.enabled or not rule.crm_field or not rule.outreach_field:
            continue
        if rule.direction is Direction.LOAD:
            into = load_rule(rule, row, record, outreach, setup.ctx)
            if isinstance(into, Change):
                if into.changes_something:
                    _put(plan, into.field, into.value, setup.ctx)
                plan.last_values[rule.crm_field] = record.get(rule.crm_field)
            continue
        if rule.direction is Direction.SEND:
            out = send_rule(rule, row, outreach, record, setup.ctx)
            if isinstance(out, Change):
                if out.changes_something:
                    plan.crm_changes[out.field] = out.value
                plan.last_values[rule.crm_field] = out.value
            continue
        out = send_rule(rule, row, outreach, record, setup.ctx)
        into = load_rule(rule, row, record, outreach, setup.ctx)
        crm_value = record.get(rule.crm_field)
        if not isinstance(out, Change) and not isinstance(into, Change):
            continue  # both sides skipped (lookups that found nothing, skip-empty)
        if not isinstance(out, Change):  # only loading is possible
            if isinstance(into, Change) and into.changes_something:
                _put(plan, into.field, into.value, setup.ctx)
            continue
        if not isinstance(into, Change):  # only sending is possible
            if out.changes_something:
                plan.crm_changes[out.field] = out.value
            continue
        decided = resolve(
            crm_value,
            out.value,
            last.get(rule.crm_field),
            known=rule.crm_field in last,
            rule=rule.options.conflict,
            crm_is_newer=newer,
        )
        if decided.winner is Side.CRM:
            if into.changes_something:
                _put(plan, into.field, into.value, setup.ctx)
            plan.last_values[rule.crm_field] = crm_value
        elif decided.winner is Side.OUTREACH:
            if out.changes_something:
                plan.crm_changes[out.field] = out.value
            plan.last_values[rule.crm_field] = out.value
        else:
            plan.last_values[rule.crm_field] = crm_value
        if decided.conflict and decided.winner is not None:
            plan.conflicts.append(
                Conflict(
                    kind.name,
                    rid,
                    twin.id,
                    plan.label,
                    rule.crm_field,
                    rule.outreach_field,
                    display(crm_value),
                    display(out.value),
                    display(last.get(rule.crm_field)),
                    rule.options.conflict.value,
                    decided.winner.value,
                    batch.at,
                    batch.run_id,
                )
            )
    if kind.identity is not None and str(twin.attributes.get(kind.identity) or "") != str(rid):
        plan.attributes[kind.identity] = str(rid)
    _writable_relationships(kind, plan)
    return plan
