"""Reads and writes of seed 001's matching tables (see `matching_schema`), all Core."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, func, select, tuple_

from syncmonitor.store.dialect import upsert_insert
from syncmonitor.store.matching_schema import parked_activities, prospect_matches


@dataclass(frozen=True)
class ProspectMatch:
    record_type: str  # person, sales_lead
    record_id: int
    matched_by: str
    matched_at: str


@dataclass(frozen=True)
class ParkedActivity:
    outreach_type: str
    outreach_id: int
    prospect_id: int
    emails: tuple[str, ...]
    payload: dict[str, Any]
    parked_at: str
    reason: str


def note_matches(
    conn: Connection, matches: Iterable[tuple[str, int, str, int, str]], at: str
) -> None:
    """Upsert (provider, prospect id, record type, record id, matched by)."""
    rows = [
        {
            "provider": provider,
            "prospect_id": pid,
            "record_type": rtype,
            "record_id": rid,
            "matched_by": how,
            "matched_at": at,
        }
        for provider, pid, rtype, rid, how in matches
    ]
    if not rows:
        return
    statement = upsert_insert(conn, prospect_matches)
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=["provider", "prospect_id"],
            set_={
                "record_type": statement.excluded.record_type,
                "record_id": statement.excluded.record_id,
                "matched_by": statement.excluded.matched_by,
                "matched_at": statement.excluded.matched_at,
            },
        ),
        rows,
    )


def match_of(conn: Connection, provider: str, prospect_id: int) -> ProspectMatch | None:
    row = conn.execute(
        select(
            prospect_matches.c.record_type,
            prospect_matches.c.record_id,
            prospect_matches.c.matched_by,
            prospect_matches.c.matched_at,
        ).where(
            prospect_matches.c.provider == provider,
            prospect_matches.c.prospect_id == prospect_id,
        )
    ).first()
    return ProspectMatch(*row) if row is not None else None


def park_activities(
    conn: Connection,
    items: Iterable[tuple[str, int, int, Iterable[str], dict[str, Any], str]],
    at: str,
) -> int:
    """Keep (type, outreach id, prospect id, emails, payload, reason) until a record matches;
    parking one again keeps when it was first parked."""
    rows = [
        {
            "outreach_type": kind,
            "outreach_id": oid,
            "prospect_id": pid,
            "email": " ".join(sorted(set(emails))),
            "payload": json.dumps(payload, sort_keys=True),
            "parked_at": at,
            "reason": reason,
        }
        for kind, oid, pid, emails, payload, reason in items
    ]
    if not rows:
        return 0
    statement = upsert_insert(conn, parked_activities)
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=["outreach_type", "outreach_id"],
            set_={
                "payload": statement.excluded.payload,
                "email": statement.excluded.email,
                "reason": statement.excluded.reason,
            },
        ),
        rows,
    )
    return len(rows)


def parked(conn: Connection, limit: int = 1000) -> list[ParkedActivity]:
    """The oldest parked activities, at most `limit`."""
    rows = conn.execute(
        select(parked_activities)
        .order_by(parked_activities.c.parked_at, parked_activities.c.outreach_id)
        .limit(limit)
    ).all()
    return [
        ParkedActivity(
            r.outreach_type,
            r.outreach_id,
            r.prospect_id,
            tuple(e for e in r.email.split() if e),
            json.loads(r.payload),
            r.parked_at,
            r.reason,
        )
        for r in rows
    ]


def unpark(conn: Connection, keys: Iterable[tuple[str, int]]) -> None:
    wanted = list(keys)
    for start in range(0, len(wanted), 400):
        chunk = wanted[start : start + 400]
        conn.execute(
            delete(parked_activities).where(
                tuple_(parked_activities.c.outreach_type, parked_activities.c.outreach_id).in_(
                    chunk
                )
            )
        )


def parked_for(conn: Connection, prospect_ids: Iterable[int]) -> dict[str, int]:
    """How many activities of each type wait for these prospects (a person's page)."""
    ids = list(prospect_ids)
    if not ids:
        return {}
    return {
        kind: int(count)
        for kind, count in conn.execute(
            select(parked_activities.c.outreach_type, func.count())
            .where(parked_activities.c.prospect_id.in_(ids))
            .group_by(parked_activities.c.outreach_type)
        )
    }
