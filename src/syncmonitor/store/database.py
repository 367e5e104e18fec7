"""Opening the cache: SQLite in WAL mode, migrated to the schema this app knows.

A cache written by a newer Sync Monitor is refused with a clear message instead of being
"upgraded" into something neither version understands. Before any migration of an existing cache a
copy is kept beside it, so a failed upgrade never costs the user their history.
"""

from __future__ import annotations

import contextlib
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event

from syncmonitor.app.errors import UserFacingError

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

# Alembic loads only when a cache is opened (on the engine's thread, after the window is up):
# importing it costs about a third of the window's modules.

_MIGRATIONS = Path(__file__).with_name("migrations")


class CacheError(UserFacingError):
    """The cache cannot be opened."""

    title = "The local cache cannot be opened"


class SchemaTooNewError(CacheError):
    """The cache on disk was written by a newer version of the app."""

    title = "The local cache is from a newer Sync Monitor"


def _alembic_config() -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    return cfg


def head_revision() -> str:
    """The newest schema revision this app knows."""
    from alembic.script import ScriptDirectory

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
    """The open, migrated cache."""

    path: Path
    engine: Engine

    def close(self) -> None:
        self.engine.dispose()


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
    from alembic import command
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_alembic_config())
    head = script.get_current_head()
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    if current == head:
        return
    known = {rev.revision for rev in script.walk_revisions()}
    if current is not None and current not in known:
        raise SchemaTooNewError(
            f"{path} uses cache schema {current!r}, which this version (newest schema {head!r}) "
            "does not know. It was written by a newer Sync Monitor.",
            "Install the newer version again, or start this one with another SYNCMONITOR_HOME.",
        )
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
