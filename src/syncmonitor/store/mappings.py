"""Reading and saving mappings and their sources in the cache (Core, one transaction per save).

A save replaces every rule of the set in the caller's transaction: it commits whole or not at all,
so a failed save or import never leaves half a mapping behind.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from syncmonitor.domain.mappings.fields import (
    Direction,
    FieldMapping,
    FieldOptions,
    FieldRule,
    ObjectPair,
)
from syncmonitor.domain.mappings.mapping_set import MappingSet
from syncmonitor.domain.mappings.statuses import StatusMapping, StatusRule
from syncmonitor.domain.mappings.values import (
    CrmSource,
    CrmStatus,
    FieldInfo,
    FieldKind,
    Stage,
    StatusKind,
)
from syncmonitor.store.mapping_schema import (
    crm_status_values,
    field_mapping_rules,
    mapped_records,
    mapping_settings,
    mapping_source_reads,
    outreach_stages,
    remote_fields,
    status_mapping_rules,
)
from syncmonitor.store.schema import sync_cursors

SAVED_MARKER = "saved_at"
MAPPING_CURSOR = "mappings:person_prospect"


# -- the mappings ---------------------------------------------------------------------------------


def load_mappings(conn: Connection) -> MappingSet:
    """The saved mappings; defaults (empty status mappings, the documented stage lookups) when
    nothing was ever saved."""
    settings = dict(conn.execute(select(mapping_settings.c.name, mapping_settings.c.value)).all())
    if SAVED_MARKER not in settings:
        return MappingSet()
    result = MappingSet(crm_source=CrmSource(settings.get("crm_source", "workbooks")))
    status: dict[StatusKind, list[StatusRule]] = {k: [] for k in StatusKind}
    for kind, crm, stage, stage_id in conn.execute(
        select(
            status_mapping_rules.c.kind,
            status_mapping_rules.c.crm_status,
            status_mapping_rules.c.stage_name,
            status_mapping_rules.c.stage_id,
        ).order_by(status_mapping_rules.c.kind, status_mapping_rules.c.position)
    ):
        status[StatusKind(kind)].append(StatusRule(crm, stage, stage_id))
    fields: dict[ObjectPair, list[FieldRule]] = {p: [] for p in ObjectPair}
    for pair, crm, outreach, direction, enabled, options in conn.execute(
        select(
            field_mapping_rules.c.pair,
            field_mapping_rules.c.crm_field,
            field_mapping_rules.c.outreach_field,
            field_mapping_rules.c.direction,
            field_mapping_rules.c.enabled,
            field_mapping_rules.c.options,
        ).order_by(field_mapping_rules.c.pair, field_mapping_rules.c.position)
    ):
        fields[ObjectPair(pair)].append(
            FieldRule(
                crm, outreach, Direction(direction), FieldOptions(**json.loads(options)), enabled
            )
        )
    for kind, rules in status.items():
        result = result.with_status(StatusMapping(kind, tuple(rules)))
    for pair, field_rules in fields.items():
        result = result.with_fields(FieldMapping(pair, tuple(field_rules)))
    return result


def save_mappings(conn: Connection, mappings: MappingSet, saved_at: str) -> None:
    """Replace every saved rule with `mappings` (inside the caller's transaction)."""
    conn.execute(delete(status_mapping_rules))
    conn.execute(delete(field_mapping_rules))
    status_rows = [
        {
            "kind": kind.value,
            "position": position,
            "crm_status": rule.crm_status,
            "stage_name": rule.stage_name,
            "stage_id": rule.stage_id,
        }
        for kind, mapping in mappings.status.items()
        for position, rule in enumerate(mapping.rules)
    ]
    field_rows = [
        {
            "pair": pair.value,
            "position": position,
            "crm_field": rule.crm_field,
            "outreach_field": rule.outreach_field,
            "direction": rule.direction.value,
            "enabled": rule.enabled,
            "options": json.dumps(asdict(rule.options), ensure_ascii=False),
        }
        for pair, mapping in mappings.fields.items()
        for position, rule in enumerate(mapping.rules)
    ]
    if status_rows:
        conn.execute(insert(status_mapping_rules), status_rows)
    if field_rows:
        conn.execute(insert(field_mapping_rules), field_rows)
    _set(conn, "crm_source", mappings.crm_source.value)
    _set(conn, SAVED_MARKER, saved_at)
    # A changed mapping applies to every linked pair, not only to those changed since last run.
    conn.execute(delete(sync_cursors).where(sync_cursors.c.name == MAPPING_CURSOR))


def _set(conn: Connection, name: str, value: str) -> None:
    conn.execute(delete(mapping_settings).where(mapping_settings.c.name == name))
    conn.execute(insert(mapping_settings).values(name=name, value=value))


def saved_at(conn: Connection) -> str | None:
    row = conn.execute(
        select(mapping_settings.c.value).where(mapping_settings.c.name == SAVED_MARKER)
    ).first()
    return str(row[0]) if row else None


# -- sources ------------------------------------------------------------------------------------


def stages(conn: Connection) -> list[Stage] | None:
    """The cached Outreach stages, or None when they were never read."""
    if read_at(conn, "outreach:stages") is None:
        return None
    return [
        Stage(i, name, order)
        for i, name, order in conn.execute(
            select(
                outreach_stages.c.id, outreach_stages.c.name, outreach_stages.c.stage_order
            ).order_by(outreach_stages.c.stage_order, outreach_stages.c.id)
        )
    ]


def replace_stages(conn: Connection, values: Sequence[Stage], at: str) -> None:
    conn.execute(delete(outreach_stages))
    if values:
        conn.execute(
            insert(outreach_stages),
            [{"id": s.id, "name": s.name, "stage_order": s.order, "color": None} for s in values],
        )
    note_read(conn, "outreach:stages", at)


def statuses(conn: Connection, source: CrmSource, kind: StatusKind) -> list[CrmStatus] | None:
    """The cached CRM status values of one kind, or None when never read."""
    if read_at(conn, f"{source.value}:{kind.value}") is None:
        return None
    c = crm_status_values.c
    return [
        CrmStatus(*row)
        for row in conn.execute(
            select(c.api_name, c.label, c.is_converted, c.is_default, c.sort_order)
            .where(c.source == source.value, c.kind == kind.value)
            .order_by(c.sort_order, c.api_name)
        )
    ]


def replace_statuses(
    conn: Connection, source: CrmSource, kind: StatusKind, values: Iterable[CrmStatus], at: str
) -> None:
    c = crm_status_values.c
    conn.execute(delete(crm_status_values).where(c.source == source.value, c.kind == kind.value))
    rows = {
        v.api_name: {
            "source": source.value,
            "kind": kind.value,
            "api_name": v.api_name,
            "label": v.label,
            "is_converted": v.is_converted,
            "is_default": v.is_default,
            "sort_order": v.sort_order,
        }
        for v in values
    }
    if rows:
        conn.execute(insert(crm_status_values), list(rows.values()))
    note_read(conn, f"{source.value}:{kind.value}", at)


def fields_of(conn: Connection, source: str, record_type: str) -> dict[str, FieldInfo] | None:
    """Cached field metadata of one record type by name, or None when never read."""
    if read_at(conn, f"{source}:fields:{record_type}") is None:
        return None
    c = remote_fields.c
    return {
        name: FieldInfo(name, label, FieldKind(kind), bool(read_only), reference_to)
        for name, label, kind, read_only, reference_to in conn.execute(
            select(c.name, c.label, c.kind, c.read_only, c.reference_to)
            .where(c.source == source, c.record_type == record_type)
            .order_by(c.label)
        )
    }


def replace_fields(
    conn: Connection, source: str, record_type: str, values: Iterable[FieldInfo], at: str
) -> None:
    c = remote_fields.c
    conn.execute(delete(remote_fields).where(c.source == source, c.record_type == record_type))
    rows = {
        f.name: {
            "source": source,
            "record_type": record_type,
            "name": f.name,
            "label": f.label,
            "kind": f.kind.value,
            "read_only": f.read_only,
            "reference_to": f.reference_to,
        }
        for f in values
    }
    if rows:
        conn.execute(insert(remote_fields), list(rows.values()))
    note_read(conn, f"{source}:fields:{record_type}", at)


def note_read(conn: Connection, source: str, at: str, error: str = "") -> None:
    """Remember when `source` was read (or that reading it failed, keeping the last good time)."""
    previous = read_at(conn, source)
    conn.execute(delete(mapping_source_reads).where(mapping_source_reads.c.source == source))
    conn.execute(
        insert(mapping_source_reads).values(
            source=source, read_at=previous if error else at, error=error
        )
    )


def read_at(conn: Connection, source: str) -> str | None:
    row = conn.execute(
        select(mapping_source_reads.c.read_at).where(mapping_source_reads.c.source == source)
    ).first()
    return str(row[0]) if row and row[0] else None


def read_errors(conn: Connection) -> dict[str, str]:
    c = mapping_source_reads.c
    return dict(conn.execute(select(c.source, c.error).where(c.error != "")).all())


# -- records for the preview ----------------------------------------------------------------------


@dataclass(frozen=True)
class SamplePair:
    """A linked CRM record and Outreach record, as last read by the mapping sync."""

    label: str
    crm_id: int
    outreach_id: int
    crm: dict[str, Any]
    outreach: dict[str, Any]


def store_records(
    conn: Connection,
    side: str,
    record_type: str,
    rows: Sequence[tuple[int, int | None, str, dict[str, Any]]],
    at: str,
) -> None:
    """Upsert (id, linked id, label, data) records of one side and type."""
    c = mapped_records.c
    ids = [r[0] for r in rows]
    for start in range(0, len(ids), 500):
        conn.execute(
            delete(mapped_records).where(
                c.side == side, c.record_type == record_type, c.id.in_(ids[start : start + 500])
            )
        )
    if rows:
        conn.execute(
            insert(mapped_records),
            [
                {
                    "side": side,
                    "record_type": record_type,
                    "id": rid,
                    "linked_id": linked,
                    "label": label,
                    "data": json.dumps(data, ensure_ascii=False, default=str),
                    "seen_at": at,
                }
                for rid, linked, label, data in rows
            ],
        )


def sample_pairs(
    conn: Connection, crm_type: str, outreach_type: str, search: str = "", limit: int = 50
) -> list[SamplePair]:
    """Linked pairs from the cache for the preview, by label; `search` narrows by label."""
    crm = mapped_records.alias("crm")
    out = mapped_records.alias("out")
    query = (
        select(crm.c.label, crm.c.id, out.c.id, crm.c.data, out.c.data)
        .select_from(
            crm.join(
                out,
                (out.c.side == "outreach")
                & (out.c.record_type == outreach_type)
                & (out.c.id == crm.c.linked_id),
            )
        )
        .where(crm.c.side == "crm", crm.c.record_type == crm_type)
        .order_by(crm.c.label, crm.c.id)
        .limit(limit)
    )
    if search.strip():
        query = query.where(crm.c.label.ilike(f"%{search.strip()}%"))
    return [
        SamplePair(label, cid, oid, json.loads(cdata), json.loads(odata))
        for label, cid, oid, cdata, odata in conn.execute(query)
    ]


def records_of(conn: Connection, side: str, record_type: str) -> dict[int, dict[str, Any]]:
    """Every cached record of a side and type (referenced records for lookups: organisations,
    accounts), by id."""
    c = mapped_records.c
    return {
        rid: json.loads(data)
        for rid, data in conn.execute(
            select(c.id, c.data).where(c.side == side, c.record_type == record_type)
        )
    }
