"""The record of every sync run, and the incremental sync watermarks."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from syncmonitor.domain.timestamps import format_iso, parse_iso, utc_now
from syncmonitor.store.dialect import upsert_insert
from syncmonitor.store.schema import prospects, push_outbox, state_history, sync_cursors, sync_runs


def start_run(
    conn: Connection, kind: str, trigger: str, started: datetime, target: str = ""
) -> int:
    """Record that a run started; returns its id. `target` is "" for everything."""
    result = conn.execute(
        insert(sync_runs).values(
            kind=kind,
            trigger=trigger,
            started_at=format_iso(started),
            outcome="running",
            target=target,
        )
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def finish_run(
    conn: Connection,
    run_id: int,
    *,
    outcome: str,
    finished: datetime,
    duration_s: float,
    records_read: dict[str, int],
    records_written: dict[str, int],
    error_title: str | None = None,
    error_message: str | None = None,
    jobs: list[dict[str, Any]] | None = None,
) -> None:
    """Record how a run ended (`jobs`: each job's outcome and figures, in order)."""
    conn.execute(
        update(sync_runs)
        .where(sync_runs.c.id == run_id)
        .values(
            outcome=outcome,
            finished_at=format_iso(finished),
            duration_s=duration_s,
            records_read=json.dumps(records_read, sort_keys=True),
            records_written=json.dumps(records_written, sort_keys=True),
            error_title=error_title,
            error_message=error_message,
            jobs=json.dumps(jobs or []),
        )
    )


INTERRUPTED_TITLE = "The app stopped during this run"


def close_interrupted_runs(conn: Connection) -> int:
    """Runs still marked running belong to a process that died: mark them failed.

    On a team store only the holder of the store's sync lock may say so (a desktop starting
    must not close the server's run): see engine/team/server.py.
    """
    result = conn.execute(
        update(sync_runs)
        .where(sync_runs.c.outcome == "running")
        .values(
            outcome="failed",
            error_title=INTERRUPTED_TITLE,
            error_message="Sync Monitor quit or crashed before the run ended. Everything it had "
            "committed is kept; the next run continues from there.",
            finished_at=format_iso(utc_now()),
        )
    )
    return int(result.rowcount)


def run_of_trigger(conn: Connection, trigger: str) -> dict[str, Any] | None:
    """The newest run started with `trigger` (e.g. "request:12"), or None."""
    row = (
        conn.execute(
            select(sync_runs)
            .where(sync_runs.c.trigger == trigger)
            .order_by(sync_runs.c.id.desc())
            .limit(1)
        )
        .mappings()
        .first()
    )
    if row is None:
        return None
    item = dict(row)
    item["records_read"] = json.loads(item["records_read"] or "{}")
    item["records_written"] = json.loads(item["records_written"] or "{}")
    return item


def recent_runs(conn: Connection, limit: int = 50) -> list[dict[str, Any]]:
    """The newest runs first, as plain dictionaries (for `status --json` and the GUI)."""
    return runs_window(conn, limit=limit)


def get_cursor(conn: Connection, name: str) -> str | None:
    """A watermark's value, or None before the first sync."""
    return conn.execute(
        select(sync_cursors.c.value).where(sync_cursors.c.name == name)
    ).scalar_one_or_none()


def set_cursor(conn: Connection, name: str, value: str) -> None:
    """Move a watermark, inside the caller's transaction (with the data it covers)."""
    stmt = upsert_insert(conn, sync_cursors).values(
        name=name, value=value, updated_at=format_iso(utc_now())
    )
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["name"],
            set_={"value": stmt.excluded.value, "updated_at": stmt.excluded.updated_at},
        )
    )


def last_finished_by_kind(conn: Connection) -> dict[str, datetime | None]:
    """When the last run of everything of each kind ended: {"inbound": …, "full": …}.

    A full run also counts as inbound (it does everything inbound does). Runs recorded before
    the kinds existed ("sequence_states") did what "full" does now. Runs of one record
    (target "person:…") do not count: they leave everyone else as it was.
    """
    rows = conn.execute(
        select(sync_runs.c.kind, func.max(sync_runs.c.finished_at))
        .where(sync_runs.c.target == "", sync_runs.c.outcome != "running")
        .group_by(sync_runs.c.kind)
    ).all()
    ended = {str(kind): parse_iso(when) for kind, when in rows if when}
    full = max(
        (t for k, t in ended.items() if k in ("full", "sequence_states") and t), default=None
    )
    inbound = max((t for t in (ended.get("inbound"), full) if t), default=None)
    return {"inbound": inbound, "full": full}


def runs_window(
    conn: Connection, *, before_id: int | None = None, limit: int = 200
) -> list[dict[str, Any]]:
    """Runs newest first, `limit` at a time behind `before_id` (the Runs page's keyset paging)."""
    query = select(sync_runs).order_by(sync_runs.c.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(sync_runs.c.id < before_id)
    result = []
    for row in conn.execute(query).mappings():
        item = dict(row)
        item["records_read"] = json.loads(item["records_read"] or "{}")
        item["records_written"] = json.loads(item["records_written"] or "{}")
        item["jobs"] = json.loads(item.get("jobs") or "[]")
        result.append(item)
    return result


def cache_counts(conn: Connection) -> dict[str, int]:
    """What `syncmonitor status` counts: people, transitions, Workbooks updates still to send."""

    def count(table: Any) -> int:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())

    return {
        "people": count(prospects),
        "transitions": count(state_history),
        "workbooks_updates_pending": count(push_outbox),
    }
