"""One syncer per team store, across machines: a PostgreSQL advisory lock.

The file lock (engine/runs/lock.py) only keeps apart processes on one computer; a team store is
opened from many. The advisory lock lives on one session of the store's server, held for the
whole run (and by the server daemon for its whole life), and PostgreSQL drops it when that
session ends, so a holder that crashes or loses its network never blocks the store. Who holds it
(host, process, since when) is written beside it, for the message the next one gets. Whoever
takes it afresh (the daemon, a `sync --once`) first closes the runs and requests a dead holder
left (engine/team/recover.py).
"""

from __future__ import annotations

import logging
import os
import socket
from pathlib import Path
from types import TracebackType

from sqlalchemy import Connection, Engine

from syncmonitor.domain.timestamps import format_iso, parse_iso, utc_now
from syncmonitor.engine.runs.lock import AlreadySyncingError, Lock, SyncLock
from syncmonitor.engine.team.recover import recover_store
from syncmonitor.store import team
from syncmonitor.store.database import Database

log = logging.getLogger(__name__)

ROLE_WORDS = {
    "server": "the Sync Monitor server",
    "desktop": "a Sync Monitor desktop",
    "command": "a `syncmonitor` command",
}


class StoreLock:
    """The team store's sync lock; re-entrant within this process (the daemon holds it for its
    life, and each of its runs takes it again)."""

    def __init__(self, engine: Engine, *, role: str = "desktop") -> None:
        self.engine = engine
        self.role = role
        self.host = socket.gethostname()
        self.pid = os.getpid()
        self._conn: Connection | None = None
        self._depth = 0

    def acquire(self) -> None:
        if self._depth:
            self._depth += 1
            return
        conn = self.engine.connect()
        try:
            with conn.begin():
                got = team.try_lock(conn)
            if not got:
                with conn.begin():
                    holder = team.current_holder(conn)
                raise AlreadySyncingError(*held_by(holder))
            with conn.begin():
                team.record_holder(
                    conn, team.Holder(self.host, self.pid, self.role, format_iso(utc_now()))
                )
            with conn.begin():  # the lock is new to us: whatever is "running" was a dead holder's
                recover_store(conn)
        except BaseException:
            conn.close()  # ends the session: a lock taken above is let go with it
            raise
        self._conn = conn
        self._depth = 1

    def release(self) -> None:
        if self._depth == 0:
            return
        self._depth -= 1
        if self._depth or self._conn is None:
            return
        conn, self._conn = self._conn, None
        try:
            with conn.begin():
                team.forget_holder(conn, self.host, self.pid)
                team.unlock(conn)
        except Exception:  # the session is gone: the server has dropped the lock already
            log.warning("the team store's sync lock could not be released cleanly", exc_info=True)
            conn.invalidate()
        finally:
            conn.close()

    @property
    def held(self) -> bool:
        return self._depth > 0

    def __enter__(self) -> StoreLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def held_by(holder: team.Holder | None) -> tuple[str, str]:
    """The message and what to do, for someone who could not take the lock."""
    if holder is None:
        return (
            "Another Sync Monitor is syncing the team store right now.",
            "Wait for its run to finish; the pages here show what it writes as it goes.",
        )
    who = ROLE_WORDS.get(holder.role, "another Sync Monitor")
    at = parse_iso(holder.since)
    since = f"{at:%H:%M} UTC on {at:%d %b %Y}" if at else holder.since
    return (
        f"The team store is synced by {who} on {holder.host} (process {holder.pid}) since {since}.",
        "Only one Sync Monitor syncs a team store at a time. Stop that one first, or leave the "
        "syncing to it: a desktop's actions are sent to it as requests.",
    )


def lock_for(database: Database, lock_file: Path, *, role: str = "desktop") -> Lock:
    """The sync lock that suits the store: the advisory lock on a team store, else the file."""
    if database.shared:
        return StoreLock(database.engine, role=role)
    return SyncLock(lock_file)
