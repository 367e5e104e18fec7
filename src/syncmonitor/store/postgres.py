"""The team store: the same schema in a shared PostgreSQL database (psycopg 3).

One syncing server and any number of watching desktops open the same database. Its password is a
secret (the keyring or SYNCMONITOR_CACHE_PASSWORD), joined to the configured address only in
memory. PostgreSQL runs DDL in transactions, so the migrations run in one transaction, as on
SQLite, under a transaction-scoped advisory lock so two processes starting at once never migrate
side by side. A role that may only read (the watcher) opens a store at the app's schema and is told
it cannot act; it never tries to migrate one that is behind.
"""

from __future__ import annotations

import socket
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError

from syncmonitor.app.errors import UserFacingError

# pg_advisory_xact_lock key for migrations ("smmigrat" as a 64-bit number; any fixed key works,
# the sync lock uses another).
MIGRATION_LOCK_KEY = 0x736D6D6967726174
CONNECT_TIMEOUT_S = 5


class StoreUnreachableError(UserFacingError):
    """The team store's server did not answer or refused the login."""

    title = "The team store cannot be reached"


class StoreRightsError(UserFacingError):
    """The login may not do what was asked (a watcher asked to write, a role with no rights)."""

    title = "The team store login lacks the rights for this"


def full_url(url: str, password: str | None) -> URL:
    """The address with its password (from the keyring or environment), for connecting only."""
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.set(password=password) if password else parsed


def safe_url(url: str | URL) -> str:
    """The address as it may be shown and logged: never a password."""
    parsed = make_url(url) if isinstance(url, str) else url
    return parsed.render_as_string(hide_password=True).replace(":***@", "@")


def create_postgres_engine(url: URL) -> Engine:
    """A pooled engine: a desktop's page reads and the daemon's writes share a few connections,
    checked before use so a server restart costs one retry, not an error on screen."""
    engine = create_engine(
        url,
        pool_size=5,
        max_overflow=5,
        pool_pre_ping=True,
        pool_recycle=1800,
        connect_args={
            "connect_timeout": CONNECT_TIMEOUT_S,
            # No server-side prepared statements: after five runs of one query psycopg would
            # prepare it, and PostgreSQL may then plan the People search's LIKE once for every
            # text (a generic plan), which made a one-letter search 8x slower in the benchmark.
            "prepare_threshold": None,
            # No JIT: the People count's estimated cost passes jit_above_cost, and compiling the
            # plan took 216 of its 253 ms (measured); these queries are short, JIT never pays.
            "options": "-c jit=off",
            "application_name": f"syncmonitor@{socket.gethostname()}"[:63],
        },
    )
    event.listen(engine, "commit", _notify_before_commit)
    return engine


CHANGES_CHANNEL = "syncmonitor_changes"


def _notify_before_commit(conn: Connection) -> None:
    """Inside the transaction, just before its COMMIT: delivered only if it commits. The watching
    desktops LISTEN (engine/team/changes.py) and re-read their pages at once."""
    raw: Any = conn.connection.driver_connection
    raw.execute(f"NOTIFY {CHANGES_CHANNEL}")


def check_reachable(engine: Engine) -> None:
    """Connect once, turning a refused or unanswered connection into one clear message."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        raise unreachable(engine, exc) from exc


def unreachable(engine: Engine, exc: OperationalError) -> StoreUnreachableError:
    """What a refused or unanswered connection to the team store at `engine` means."""
    return StoreUnreachableError(
        f"The team store at {safe_url(engine.url)} did not answer or refused the login: "
        f"{_first_line(exc)}",
        "Check that the server is running and reachable from here, and the user name and "
        "password (Settings, or SYNCMONITOR_CACHE_PASSWORD).",
    )


def lock_for_migration(conn: Connection) -> None:
    """Wait for any other process migrating this store; released when the transaction ends."""
    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _signed(MIGRATION_LOCK_KEY)})


def can_write(conn: Connection) -> bool:
    """True when this login may record runs (the syncer); False for a watching role."""
    return bool(
        conn.execute(
            text("SELECT has_table_privilege(current_user, 'sync_runs', 'INSERT')")
        ).scalar()
    )


def rights_error(exc: DBAPIError, url: URL, doing: str) -> UserFacingError | None:
    """A clear message for "permission denied" while `doing` something; None for other errors."""
    if not isinstance(exc, ProgrammingError) or "permission denied" not in str(exc.orig).lower():
        return None
    return StoreRightsError(
        f"The login {url.username or '(default)'} on the team store {safe_url(url)} may not "
        f"{doing}: {_first_line(exc)}",
        "Ask the store's administrator for the syncer role (see docs/team-mode.md), or use this "
        "login only to watch.",
    )


def _first_line(exc: DBAPIError) -> str:
    return str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)


def _signed(key: int) -> int:
    return key - (1 << 64) if key >= 1 << 63 else key


def advisory_key(key: int) -> dict[str, Any]:
    return {"k": _signed(key)}
