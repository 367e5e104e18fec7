"""Applying mappings to records: pure functions from a record and a mapping to what a sync writes.

The sync job, the dry-run preview and the tests all call these, so the preview shows exactly what
a sync would send and load. Records are plain dicts: a CRM record by its field names, an Outreach
record by attribute names with relationships as ids (`{"stage": 3, "account": 12}`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from syncmonitor.domain.mappings.fields import Direction, FieldMapping, FieldRule, ObjectPair
from syncmonitor.domain.mappings.statuses import StatusMapping
from syncmonitor.domain.mappings.values import FieldInfo, FieldKind, StatusKind

Record = Mapping[str, object]


@dataclass(frozen=True)
class MappingContext:
    """Everything lookups resolve against, read by the caller beforehand.

    `crm_records` / `outreach_records`: referenced records by type and id (organisations,
    accounts). `live_statuses`: the CRM's current values per kind (None: unknown, not checked).
    `stage_ids`: Outreach's current stages (None: unknown).
    """

    status: Mapping[StatusKind, StatusMapping] = field(default_factory=dict)
    crm_fields: Mapping[str, FieldInfo] = field(default_factory=dict)
    outreach_fields: Mapping[str, FieldInfo] = field(default_factory=dict)
    crm_records: Mapping[str, Mapping[int, Record]] = field(default_factory=dict)
    outreach_records: Mapping[str, Mapping[int, Record]] = field(default_factory=dict)
    live_statuses: Mapping[StatusKind, frozenset[str]] | None = None
    stage_ids: frozenset[int] | None = None


@dataclass(frozen=True)
class Change:
    """A value a sync writes to one field, and the value there now (None: not known)."""

    field: str
    value: object
    row: int
    current: object = None
    note: str = ""

    @property
    def changes_something(self) -> bool:
        return not same(self.value, self.current)


@dataclass(frozen=True)
class Skip:
    """A field a rule leaves alone for this record, and why."""

    field: str
    row: int
    reason: str


@dataclass
class Plan:
    """What one direction of a sync does to one record."""

    changes: list[Change] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)

    def values(self, *, only_changed: bool = True) -> dict[str, object]:
        """Field -> value to write (by default only those that differ from now)."""
        return {c.field: c.value for c in self.changes if c.changes_something or not only_changed}


class _Unresolved(Exception):
    """A lookup that found nothing: the field is skipped with this reason."""


def blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def same(a: object, b: object) -> bool:
    """Equal as a sync sees it: blanks alike, numbers and their digits alike."""
    if blank(a) or blank(b):
        return blank(a) and blank(b)
    if isinstance(a, bool) or isinstance(b, bool):
        return _truth(a) == _truth(b)
    return str(a) == str(b)


def _truth(value: object) -> bool:
    return value in (True, 1, "1", "true", "True")


def _as_id(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


# -- one rule, one direction ----------------------------------------------------------------------


def _send_raw(rule: FieldRule, outreach: Record, ctx: MappingContext) -> object:
    raw = outreach.get(rule.outreach_field)
    if not rule.options.lookup or blank(raw):
        return raw
    kind = rule.status_kind
    if kind is not None:
        stage_id = _as_id(raw)
        mapping = ctx.status.get(kind)
        found = mapping.status_for_stage(stage_id) if mapping and stage_id is not None else None
        if found is None:
            raise _Unresolved(f"stage {raw} is not mapped to any {kind.label}")
        live = ctx.live_statuses.get(kind) if ctx.live_statuses is not None else None
        if live is not None and found.crm_status not in live:
            raise _Unresolved(
                f"{kind.label} {found.crm_status!r} no longer exists in the CRM (renamed or "
                "deleted since the mapping was saved)"
            )
        return found.crm_status
    return _reference_send(rule, raw, ctx)


def _reference_send(rule: FieldRule, raw: object, ctx: MappingContext) -> object:
    o = rule.options
    target = _ref_type(ctx.outreach_fields, rule.outreach_field)
    crm_type = _ref_type(ctx.crm_fields, rule.crm_field, _CRM_TYPE_OF.get(target))
    record = ctx.outreach_records.get(target, {}).get(_as_id(raw) or -1)
    if record is None:
        raise _Unresolved(f"Outreach {target} {raw} is not known")
    key = record.get("name") if o.lookup_by_name else record.get("customId")
    search = o.external_mapped_field or ("name" if o.lookup_by_name else "id")
    match = _find(ctx.crm_records.get(crm_type, {}), search, key)
    if match is None:
        by = "name" if o.lookup_by_name else "CRM id"
        raise _Unresolved(f"no CRM {crm_type} has {search} = {key!r} (looked up by {by})")
    return match.get("name") if o.display_name else match.get("id")


def _load_raw(rule: FieldRule, crm: Record, ctx: MappingContext) -> object:
    raw = crm.get(rule.crm_field)
    if not rule.options.lookup or blank(raw):
        return raw
    kind = rule.status_kind
    if kind is not None:
        mapping = ctx.status.get(kind)
        found = mapping.stage_for(str(raw)) if mapping else None
        if found is None:
            raise _Unresolved(f"{kind.label} {raw!r} is not mapped to a stage")
        if found.stage_id is None or (
            ctx.stage_ids is not None and found.stage_id not in ctx.stage_ids
        ):
            raise _Unresolved(f"stage {found.stage_name!r} no longer exists in Outreach")
        return found.stage_name if rule.options.display_name else found.stage_id
    return _reference_load(rule, raw, ctx)


def _reference_load(rule: FieldRule, raw: object, ctx: MappingContext) -> object:
    o = rule.options
    crm_type = _ref_type(ctx.crm_fields, rule.crm_field)
    target = _ref_type(ctx.outreach_fields, rule.outreach_field, _OUTREACH_TYPE_OF.get(crm_type))
    record = ctx.crm_records.get(crm_type, {}).get(_as_id(raw) or -1)
    if record is None:
        raise _Unresolved(f"CRM {crm_type} {raw} is not known")
    search = o.external_mapped_field or ("name" if o.lookup_by_name else "id")
    key = record.get(search)
    match = _find(
        ctx.outreach_records.get(target, {}), "name" if o.lookup_by_name else "customId", key
    )
    if match is None:
        by = "name" if o.lookup_by_name else "CRM id"
        raise _Unresolved(f"no Outreach {target} matches {key!r} (looked up by {by})")
    return match.get("name") if o.display_name else match.get("id")


# A reference on one side and text on the other: the record types that correspond.
_OUTREACH_TYPE_OF = {pair.crm_type: pair.outreach_type for pair in ObjectPair}
_CRM_TYPE_OF = {pair.outreach_type: pair.crm_type for pair in ObjectPair}


def _ref_type(fields: Mapping[str, FieldInfo], name: str, paired: str | None = None) -> str:
    """The record type a field refers to; for a plain field, the type paired with the other
    side's reference (an organisation's Outreach twin is an account)."""
    info = fields.get(name)
    if info is not None and info.kind is FieldKind.REFERENCE and info.reference_to:
        return info.reference_to
    return paired or name


def _find(records: Mapping[int, Record], field_name: str, key: object) -> Record | None:
    if blank(key):
        return None
    for record in records.values():
        if same(record.get(field_name), key):
            return record
    return None


def _finish(
    value: object, skip_empty: bool, placeholder: str, target: str, row: int, current: object
) -> Change | Skip:
    if blank(value):
        if skip_empty:
            return Skip(target, row, "blank, and Skip empty values is on")
        if placeholder:
            return Change(target, placeholder, row, current, "blank: placeholder used")
        return Change(target, None, row, current, "blank")
    return Change(target, value, row, current)


def send_rule(
    rule: FieldRule, row: int, outreach: Record, crm: Record | None, ctx: MappingContext
) -> Change | Skip:
    """What this rule sends to the CRM field for this Outreach record."""
    current = crm.get(rule.crm_field) if crm is not None else None
    try:
        value = _send_raw(rule, outreach, ctx)
    except _Unresolved as exc:
        return Skip(rule.crm_field, row, str(exc))
    o = rule.options
    return _finish(
        value, o.skip_empty_sending, o.external_placeholder, rule.crm_field, row, current
    )


def load_rule(
    rule: FieldRule, row: int, crm: Record, outreach: Record | None, ctx: MappingContext
) -> Change | Skip:
    """What this rule loads into the Outreach field from this CRM record."""
    current = outreach.get(rule.outreach_field) if outreach is not None else None
    try:
        value = _load_raw(rule, crm, ctx)
    except _Unresolved as exc:
        return Skip(rule.outreach_field, row, str(exc))
    o = rule.options
    return _finish(
        value, o.skip_empty_loading, o.internal_placeholder, rule.outreach_field, row, current
    )


# -- whole records ------------------------------------------------------------------------------


def _add(plan: Plan, result: Change | Skip) -> None:
    if isinstance(result, Skip):
        plan.skipped.append(result)
        return
    # A later rule writing the same field wins (status lookups: the contact status after the
    # lead status); the earlier one is reported as overridden.
    for index, earlier in enumerate(plan.changes):
        if earlier.field == result.field:
            plan.skipped.append(
                Skip(earlier.field, earlier.row, f"overridden by row {result.row + 1}")
            )
            del plan.changes[index]
            break
    plan.changes.append(result)


def plan_load(
    mapping: FieldMapping, crm: Record, outreach: Record | None, ctx: MappingContext
) -> Plan:
    """Everything a sync would load into Outreach for this record (rules that load only)."""
    plan = Plan()
    for row, rule in enumerate(mapping.rules):
        if rule.enabled and rule.direction.loads:
            _add(plan, load_rule(rule, row, crm, outreach, ctx))
    return plan


def plan_pair(
    mapping: FieldMapping,
    crm: Record,
    outreach: Record,
    ctx: MappingContext,
    *,
    crm_is_newer: bool,
) -> tuple[Plan, Plan]:
    """(to the CRM, to Outreach) for a linked pair. A rule that goes both ways and finds the two
    sides disagreeing lets the side changed last win; one-way rules always apply."""
    send, load = Plan(), Plan()
    for row, rule in enumerate(mapping.rules):
        if not rule.enabled:
            continue
        if rule.direction is Direction.BOTH:
            out = send_rule(rule, row, outreach, crm, ctx)
            into = load_rule(rule, row, crm, outreach, ctx)
            out_differs = isinstance(out, Change) and out.changes_something
            into_differs = isinstance(into, Change) and into.changes_something
            if out_differs and into_differs:
                if crm_is_newer:
                    _add(load, into)
                    send.skipped.append(Skip(rule.crm_field, row, "the CRM changed last"))
                else:
                    _add(send, out)
                    load.skipped.append(Skip(rule.outreach_field, row, "Outreach changed last"))
            else:
                _add(send, out)
                _add(load, into)
        elif rule.direction is Direction.SEND:
            _add(send, send_rule(rule, row, outreach, crm, ctx))
        else:
            _add(load, load_rule(rule, row, crm, outreach, ctx))
    return send, load
