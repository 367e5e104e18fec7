"""Reads and writes of the two-way sync's tables (see `two_way_schema`), all Core, per batch."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, select, update

from syncmonitor.store.dialect import upsert_insert
from syncmonitor.store.two_way_schema import (
    activity_links,
    delete_hazards,
    record_links,
    sync_conflicts,
    two_way_settings,
)


@dataclass
class Link:
    """A Workbooks record and its Outreach twin, with what the sync last saw of both."""

    kind: str
    crm_id: int
    outreach_id: int
    label: str = ""
    crm_updated_at: str | None = None
    outreach_updated_at: str | None = None
    last_values: dict[str, Any] = field(default_factory=dict)
    crm_values: dict[str, Any] = field(default_factory=dict)
    outreach_values: dict[str, Any] = field(default_factory=dict)
    synced_at: str = ""


def _link(row: Any) -> Link:
    return Link(
        row.kind,
        row.crm_id,
        row.outreach_id,
        row.label,
        row.crm_updated_at,
        row.outreach_updated_at,
        json.loads(row.last_values or "{}"),
        json.loads(row.crm_values or "{}"),
        json.loads(row.outreach_values or "{}"),
        row.synced_at,
    )


def links_for(conn: Connection, kind: str, crm_ids: Sequence[int]) -> dict[int, Link]:
    """crm id -> link, for these records of `kind`."""
    found: dict[int, Link] = {}
    ids = sorted(set(crm_ids))
    for start in range(0, len(ids), 500):
        rows = conn.execute(
            select(record_links).where(
                record_links.c.kind == kind,
                record_links.c.crm_id.in_(bindparam("ids", expanding=True)),
            ),
            {"ids": ids[start : start + 500]},
        )
        for row in rows:
            found[row.crm_id] = _link(row)
    return found


def link_of(conn: Connection, kind: str, crm_id: int) -> Link | None:
    return links_for(conn, kind, [crm_id]).get(crm_id)


def crm_ids_linked_to(conn: Connection, kind: str, outreach_ids: Sequence[int]) -> list[int]:
    ids = sorted(set(outreach_ids))
    found: list[int] = []
    for start in range(0, len(ids), 500):
        found += conn.execute(
            select(record_links.c.crm_id).where(
                record_links.c.kind == kind,
                record_links.c.outreach_id.in_(bindparam("ids", expanding=True)),
            ),
            {"ids": ids[start : start + 500]},
        ).scalars()
    return found


def save_links(conn: Connection, links: Iterable[Link]) -> None:
    rows = [
        {
            "kind": link.kind,
            "crm_id": link.crm_id,
            "outreach_id": link.outreach_id,
            "label": link.label,
            "crm_updated_at": link.crm_updated_at,
            "outreach_updated_at": link.outreach_updated_at,
            "last_values": json.dumps(link.last_values, default=str, ensure_ascii=False),
            "crm_values": json.dumps(link.crm_values, default=str, ensure_ascii=False),
            "outreach_values": json.dumps(link.outreach_values, default=str, ensure_ascii=False),
            "synced_at": link.synced_at,
        }
        for link in links
    ]
    if not rows:
        return
    stmt = upsert_insert(conn, record_links)
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["kind", "crm_id"],
            set_={k: stmt.excluded[k] for k in rows[0] if k not in ("kind", "crm_id")},
        ),
        rows,
    )


def drop_link(conn: Connection, kind: str, crm_id: int) -> None:
    conn.execute(
        delete(record_links).where(record_links.c.kind == kind, record_links.c.crm_id == crm_id)
    )


# -- conflicts ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Conflict:
    """Both sides changed one mapped field since the last sync; `winner` is what the rule chose."""

    kind: str
    crm_id: int
    outreach_id: int
    label: str
    crm_field: str
    outreach_field: str
    crm_value: str
    outreach_value: str
    last_value: str
    rule: str
    winner: str
    at: str
    run_id: int | None = None


def record_conflicts(conn: Connection, conflicts: Sequence[Conflict]) -> None:
    if conflicts:
        conn.execute(
            sync_conflicts.insert(),
            [{k: getattr(c, k) for k in Conflict.__dataclass_fields__} for c in conflicts],
        )


def conflicts_of_run(conn: Connection, run_id: int, limit: int | None = None) -> list[Conflict]:
    query = select(sync_conflicts).where(sync_conflicts.c.run_id == run_id)
    rows = conn.execute(query.order_by(sync_conflicts.c.id).limit(limit))
    return [Conflict(**{k: getattr(r, k) for k in Conflict.__dataclass_fields__}) for r in rows]


def count_conflicts_of_run(conn: Connection, run_id: int) -> int:
    query = select(func.count()).select_from(sync_conflicts)
    return int(conn.execute(query.where(sync_conflicts.c.run_id == run_id)).scalar_one())


def conflicts_of_record(
    conn: Connection, kind: str, crm_id: int, limit: int = 50
) -> list[Conflict]:
    rows = conn.execute(
        select(sync_conflicts)
        .where(sync_conflicts.c.kind == kind, sync_conflicts.c.crm_id == crm_id)
        .order_by(sync_conflicts.c.id.desc())
        .limit(limit)
    )
    return [Conflict(**{k: getattr(r, k) for k in Conflict.__dataclass_fields__}) for r in rows]


# -- delete hazards -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Hazard:
    """A linked record deleted on one side (`deleted_side`) that still exists on the other."""

    kind: str
    crm_id: int
    outreach_id: int
    label: str
    deleted_side: str
    detected_at: str
    resolved_at: str | None = None
    resolution: str | None = None


def note_hazards(conn: Connection, hazards: Sequence[Hazard]) -> list[Hazard]:
    """Record hazards; returns those that are new (not already open), to notify about once."""
    new: list[Hazard] = []
    for h in hazards:
        found = conn.execute(
            select(delete_hazards.c.resolved_at).where(
                delete_hazards.c.kind == h.kind, delete_hazards.c.crm_id == h.crm_id
            )
        ).first()
        if found is not None and found[0] is None:
            continue  # already open: warned before
        values = {k: getattr(h, k) for k in Hazard.__dataclass_fields__}
        stmt = upsert_insert(conn, delete_hazards).values(values)
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["kind", "crm_id"],
                set_={k: v for k, v in values.items() if k not in ("kind", "crm_id")},
            )
        )
        new.append(h)
    return new


def open_hazards(conn: Connection, kind: str | None = None) -> list[Hazard]:
    query = select(delete_hazards).where(delete_hazards.c.resolved_at.is_(None))
    if kind is not None:
        query = query.where(delete_hazards.c.kind == kind)
    rows = conn.execute(query.order_by(delete_hazards.c.detected_at.desc()))
    return [Hazard(**{k: getattr(r, k) for k in Hazard.__dataclass_fields__}) for r in rows]


def hazard(conn: Connection, kind: str, crm_id: int) -> Hazard | None:
    row = conn.execute(
        select(delete_hazards).where(
            delete_hazards.c.kind == kind, delete_hazards.c.crm_id == crm_id
        )
    ).first()
    return (
        None if row is None else Hazard(**{k: getattr(row, k) for k in Hazard.__dataclass_fields__})
    )


def resolve_hazard(conn: Connection, kind: str, crm_id: int, resolution: str, at: str) -> None:
    conn.execute(
        update(delete_hazards)
        .where(delete_hazards.c.kind == kind, delete_hazards.c.crm_id == crm_id)
        .values(resolved_at=at, resolution=resolution)
    )


# -- activity links -----------------------------------------------------------------------------


def created_for(conn: Connection, outreach_type: str, outreach_ids: Sequence[int]) -> set[int]:
    """The Outreach ids of this type the sync already created a Workbooks record for."""
    ids = sorted(set(outreach_ids))
    found: set[int] = set()
    for start in range(0, len(ids), 500):
        found.update(
            conn.execute(
                select(activity_links.c.outreach_id).where(
                    activity_links.c.outreach_type == outreach_type,
                    activity_links.c.outreach_id.in_(bindparam("ids", expanding=True)),
                ),
                {"ids": ids[start : start + 500]},
            ).scalars()
        )
    return found


def note_created(conn: Connection, rows: Sequence[tuple[str, int, str, int]], at: str) -> None:
    """(outreach type, outreach id, Workbooks endpoint, Workbooks id) created just now."""
    if rows:
        stmt = upsert_insert(conn, activity_links).on_conflict_do_nothing()
        conn.execute(
            stmt,
            [
                {
                    "outreach_type": t,
                    "outreach_id": oid,
                    "workbooks_endpoint": endpoint,
                    "workbooks_id": wid,
                    "created_at": at,
                }
                for t, oid, endpoint, wid in rows
            ],
        )


# -- settings -----------------------------------------------------------------------------------


def get_setting(conn: Connection, name: str) -> str | None:
    return conn.execute(
        select(two_way_settings.c.value).where(two_way_settings.c.name == name)
    ).scalar_one_or_none()


def set_setting(conn: Connection, name: str, value: str) -> None:
    stmt = upsert_insert(conn, two_way_settings).values(name=name, value=value)
    conn.execute(stmt.on_conflict_do_update(index_elements=["name"], set_={"value": value}))


def any_link(conn: Connection, kind: str) -> bool:
    return (
        conn.execute(
            select(record_links.c.crm_id).where(record_links.c.kind == kind).limit(1)
        ).first()
        is not None
    )
