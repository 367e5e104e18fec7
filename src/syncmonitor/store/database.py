"""Opening the cache: SQLite in WAL mode (one person), or a shared PostgreSQL team store
(store/postgres.py), migrated to the schema this app knows.

A cache written by a newer Sync Monitor is refused with a clear message instead of being
"upgraded" into something neither version understands. Before any migration of an existing cache a
copy is kept beside it, so a failed upgrade never costs the user their history.
"""

from __future__ import annotations

import contextlib
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from syncmonitor.app.config import CacheSettings
from syncmonitor.app.credentials import Secret, get_secret
from syncmonitor.app.errors import UserFacingError
from syncmonitor.store import postgres

_MIGRATIONS = Path(__file__).with_name("migrations")


class CacheError(UserFacingError):
    """The cache cannot be opened."""

    title = "The local cache cannot be opened"


class SchemaTooNewError(CacheError):
    """The cache on disk was written by a newer version of the app."""

    title = "The local cache is from a newer Sync Monitor"


def _alembic_config() -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    return cfg


def head_revision() -> str:
    """The newest schema revision this app knows."""
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None
    return head


def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")  # safe with WAL: a crash loses no committed data
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA temp_store=MEMORY")
    cur.execute("PRAGMA cache_size=-32000")
    cur.close()


def create_cache_engine(path: Path) -> Engine:
    """An engine for the cache file with the pragmas every connection needs."""
    engine = create_engine(
        f"sqlite:///{path}",
        connect_args={"check_same_thread": False, "timeout": 10},
        pool_size=5,
        max_overflow=5,
    )
    event.listen(engine, "connect", _on_connect)
    return engine


@dataclass
class Database:
    """The open, migrated cache: a SQLite file (`path`) or a team store (`url`)."""

    path: Path | None
    engine: Engine
    url: str | None = None  # the team store's address, never with its password
    writable: bool = True  # False: a watching role (it reads, and asks the server to act)

    @property
    def shared(self) -> bool:
        """A PostgreSQL team store several machines open at once."""
        return self.engine.dialect.name == "postgresql"

    @property
    def description(self) -> str:
        return store_description(self.url, self.path, writable=self.writable)

    def close(self) -> None:
        self.engine.dispose()


def store_description(url: str | None, path: Path | None, *, writable: bool = True) -> str:
    """Which store is in use, in words (Settings, `syncmonitor status`); never a password."""
    if url:
        role = "" if writable else " (watch only: this login cannot sync or change anything)"
        return f"Team store (PostgreSQL) {postgres.safe_url(url)}{role}"
    return f"This computer's cache file (SQLite) {path}"


def open_cache(settings: CacheSettings, sqlite_path: Path) -> Database:
    """The configured store: the team store when `[cache] url` is set, else the SQLite file."""
    if settings.url:
        return open_store(settings.url, get_secret(Secret.CACHE_PASSWORD))
    return open_database(sqlite_path)


def open_store(url: str, password: str | None) -> Database:
    """Connect to (and migrate, if this login may) the PostgreSQL team store at `url`."""
    full = postgres.full_url(url, password)
    engine = postgres.create_postgres_engine(full)
    try:
        postgres.check_reachable(engine)
        _migrate_postgres(engine, full)
        with engine.connect() as conn:
            writable = postgres.can_write(conn)
    except BaseException:
        engine.dispose()
        raise
    return Database(None, engine, url=postgres.safe_url(full), writable=writable)


def open_database(path: Path) -> Database:
    """Open (creating if needed) and migrate the cache at `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    existed = path.exists()
    if existed:
        _check_readable(path)
    engine = create_cache_engine(path)
    try:
        _migrate(engine, path, existed)
    except Exception:
        engine.dispose()
        raise
    with contextlib.suppress(OSError):  # e.g. FAT in portable use
        path.chmod(0o600)
    return Database(path, engine)


def _too_new(where: str, current: str, head: str | None) -> SchemaTooNewError:
    return SchemaTooNewError(
        f"{where} uses cache schema {current!r}, which this version (newest schema {head!r}) "
        "does not know. It was written by a newer Sync Monitor.",
        "Install the newer version again, or start this one with another SYNCMONITOR_HOME "
        "(for a team store: update every desktop and the server to the same version).",
    )


def _migrate_postgres(engine: Engine, url: URL) -> None:
    """Upgrade in one transaction under a migration lock; a newer schema is refused unwritten."""
    script = ScriptDirectory.from_config(_alembic_config())
    head = script.get_current_head()
    known = {rev.revision for rev in script.walk_revisions()}
    where = f"The team store {postgres.safe_url(url)}"
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    if current == head:
        return
    if current is not None and current not in known:
        raise _too_new(where, current, head)
    with engine.connect() as conn:
        conn.begin()
        try:
            postgres.lock_for_migration(conn)
            current = MigrationContext.configure(conn).get_current_revision()  # another may have
            if current is not None and current not in known:
                raise _too_new(where, current, head)
            if current != head:
                cfg = _alembic_config()
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
            conn.commit()
        except DBAPIError as exc:
            conn.rollback()
            clear = postgres.rights_error(exc, url, "create or change the store's tables")
            if clear is not None:
                raise clear from exc
            raise
        except BaseException:
            conn.rollback()
            raise


def _check_readable(path: Path) -> None:
    try:
        with sqlite3.connect(path) as conn:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        raise CacheError(
            f"{path} is not a readable SQLite database ({exc}).",
            "Quit Sync Monitor, move the file aside, and start again: the cache is rebuilt by the "
            "next sync (history recorded only in the old file would be lost, so keep the copy).",
        ) from exc


def _migrate(engine: Engine, path: Path, existed: bool) -> None:
    script = ScriptDirectory.from_config(_alembic_config())
    head = script.get_current_head()
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    if current == head:
        return
    known = {rev.revision for rev in script.walk_revisions()}
    if current is not None and current not in known:
        raise _too_new(str(path), current, head)
    if existed and current is not None:
        _backup(path, current)
    cfg = _alembic_config()
    with engine.connect() as conn:
        # All migrations in one SQLite transaction, so a crash or kill part-way leaves the cache
        # as it was. pysqlite opens transactions only before INSERT/UPDATE/DELETE, so CREATE TABLE
        # would otherwise commit on its own (and a kill between it and the version stamp would
        # leave a table the next start tries to create again): say BEGIN ourselves.
        raw = conn.connection.driver_connection
        assert isinstance(raw, sqlite3.Connection)
        saved = raw.isolation_level
        raw.isolation_level = None
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
            conn.commit()
        finally:
            if raw.in_transaction:
                raw.rollback()
            raw.isolation_level = saved


def _backup(path: Path, revision: str) -> Path:
    target = path.with_name(f"{path.name}.before-{revision}.bak")
    with sqlite3.connect(path) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    return target
