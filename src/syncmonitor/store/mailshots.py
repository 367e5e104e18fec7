"""Reading and writing the mailshot queue's cache: the latest facts and the timeline."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, select

from syncmonitor.store.bulk import executemany, upsert_sql
from syncmonitor.store.dialect import upsert_insert
from syncmonitor.store.mailshot_schema import (
    mailshot_checks,
    mailshot_events,
    mailshot_statuses,
    mailshots,
)
from syncmonitor.store.schema import sync_cursors

MAILSHOT_COLUMNS = tuple(c.name for c in mailshots.columns)
EVENT_COLUMNS = ("mailshot_id", "at", "state", "detail", "source")


@dataclass(frozen=True)
class TimelineEvent:
    """One state change of a mailshot, as the cache keeps it."""

    at: str
    state: str
    detail: str
    source: str


def load_mailshots(conn: Connection) -> list[dict[str, Any]]:
    """Every cached mailshot row, as a dict of its columns."""
    return [dict(row._mapping) for row in conn.execute(select(mailshots).order_by(mailshots.c.id))]


def save_mailshots(
    conn: Connection, rows: Sequence[dict[str, Any]], events: Sequence[dict[str, Any]]
) -> None:
    """Upsert changed mailshot rows and append their new timeline events (one transaction)."""
    if rows:
        sql = upsert_sql(mailshots, MAILSHOT_COLUMNS, ("id",))
        executemany(conn, sql, [tuple(row.get(c) for c in MAILSHOT_COLUMNS) for row in rows])
    if events:
        columns = ", ".join(EVENT_COLUMNS)
        marks = ", ".join("?" * len(EVENT_COLUMNS))
        sql = f"INSERT INTO {mailshot_events.name} ({columns}) VALUES ({marks})"
        executemany(conn, sql, [tuple(e[c] for c in EVENT_COLUMNS) for e in events])


def timeline(conn: Connection, mailshot_id: int) -> list[TimelineEvent]:
    """A mailshot's state changes, newest first."""
    rows = conn.execute(
        select(
            mailshot_events.c.at,
            mailshot_events.c.state,
            mailshot_events.c.detail,
            mailshot_events.c.source,
        )
        .where(mailshot_events.c.mailshot_id == mailshot_id)
        .order_by(mailshot_events.c.id.desc())
    )
    return [TimelineEvent(*row) for row in rows]


STATUS_COLUMNS = ("value", "role", "confirmed", "source", "first_seen_at")


def load_statuses(conn: Connection) -> list[dict[str, Any]]:
    """Every mailshot status value known, with its meaning (see domain.mailshots.statuses)."""
    rows = conn.execute(select(mailshot_statuses).order_by(mailshot_statuses.c.value))
    return [dict(row._mapping) for row in rows]


def save_statuses(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Upsert status values (a new value, or an admin's answer)."""
    if rows:
        sql = upsert_sql(mailshot_statuses, STATUS_COLUMNS, ("value",))
        executemany(conn, sql, [tuple(row[c] for c in STATUS_COLUMNS) for row in rows])


@dataclass(frozen=True)
class AdminCheck:
    """What an admin recorded having seen (where no API reads it)."""

    kind: str  # "api_key" or "integration"
    checked_at: str
    valid_until: str | None
    ok: bool | None


def latest_checks(conn: Connection) -> dict[str, AdminCheck]:
    """The newest check of each kind."""
    found: dict[str, AdminCheck] = {}
    rows = conn.execute(
        select(
            mailshot_checks.c.kind,
            mailshot_checks.c.checked_at,
            mailshot_checks.c.valid_until,
            mailshot_checks.c.ok,
        ).order_by(mailshot_checks.c.id)
    )
    for row in rows:
        found[row.kind] = AdminCheck(*row)
    return found


def add_check(conn: Connection, check: AdminCheck) -> None:
    conn.execute(
        insert(mailshot_checks).values(
            kind=check.kind, checked_at=check.checked_at, valid_until=check.valid_until, ok=check.ok
        )
    )


# The last reading of the queue a team server took (its whole snapshot, encoded by
# engine.mailshots.recorded), kept as one named value beside the sync watermarks: one row,
# replaced at every poll, so a watching desktop reads the live queue without remote credentials.
SERVER_READING = "mailshots.server_reading"


def save_server_reading(conn: Connection, text: str, taken_at: str) -> None:
    """Replace the server's last queue reading (inside the caller's transaction)."""
    stmt = upsert_insert(conn, sync_cursors).values(
        name=SERVER_READING, value=text, updated_at=taken_at
    )
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["name"],
            set_={"value": stmt.excluded.value, "updated_at": stmt.excluded.updated_at},
        )
    )


def load_server_reading(conn: Connection) -> str | None:
    """The server's last queue reading, or None before its first."""
    return conn.execute(
        select(sync_cursors.c.value).where(sync_cursors.c.name == SERVER_READING)
    ).scalar_one_or_none()
