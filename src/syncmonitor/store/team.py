"""Team store queries: the sync lock (a PostgreSQL advisory lock) and who holds it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, delete, select, text

from syncmonitor.store.dialect import upsert_insert
from syncmonitor.store.team_schema import sync_holder

# pg_try_advisory_lock key of a store's one sync lock ("smsync" as a number; the migration lock
# is another key). Advisory locks are per database, so each store has its own.
SYNC_LOCK_KEY = 0x736D73796E63
LOCK_NAME = "sync"


@dataclass(frozen=True)
class Holder:
    """Who holds a store's sync lock."""

    host: str
    pid: int
    role: str
    since: str  # ISO 8601 UTC


def try_lock(conn: Connection) -> bool:
    """Take the store's sync lock on this session, without waiting; False if another holds it."""
    return bool(
        conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": SYNC_LOCK_KEY}).scalar()
    )


def unlock(conn: Connection) -> None:
    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": SYNC_LOCK_KEY})


def lock_is_held(conn: Connection) -> bool:
    """True while some session holds the sync lock (from any machine)."""
    return bool(
        conn.execute(
            text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
                "AND ((classid::bigint << 32) | objid::bigint) = :k"
            ),
            {"k": SYNC_LOCK_KEY},
        ).scalar()
    )


def record_holder(conn: Connection, holder: Holder) -> None:
    values = {"name": LOCK_NAME, **holder.__dict__}
    stmt = upsert_insert(conn, sync_holder).values(values)
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["name"], set_={k: v for k, v in values.items() if k != "name"}
        )
    )


def forget_holder(conn: Connection, host: str, pid: int) -> None:
    conn.execute(
        delete(sync_holder).where(
            sync_holder.c.name == LOCK_NAME, sync_holder.c.host == host, sync_holder.c.pid == pid
        )
    )


def current_holder(conn: Connection) -> Holder | None:
    row = conn.execute(
        select(
            sync_holder.c.host, sync_holder.c.pid, sync_holder.c.role, sync_holder.c.since
        ).where(sync_holder.c.name == LOCK_NAME)
    ).first()
    return None if row is None else Holder(row.host, int(row.pid), row.role, row.since)
