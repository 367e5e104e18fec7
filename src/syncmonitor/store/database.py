"""Opening the cache: SQLite in WAL mode (one person), or a shared PostgreSQL team store
(store/postgres.py), migrated to the schema this app knows.

A cache written by a newer Sync Monitor is refused with a clear message instead of being
"upgraded" into something neither version understands. Before any migration of an existing cache a
copy is kept beside it, so a failed upgrade never costs the user their history.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from syncmonitor.app.config import CacheSettings
from syncmonitor.app.credentials import Secret, get_secret
from syncmonitor.store import postgres
from syncmonitor.store.cache_faults import CacheError, damaged, explain, read_only

__all__ = ["CacheError", "Database", "SchemaTooNewError", "open_database"]

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

# Alembic loads only when a cache is opened (on the engine's thread, after the window is up):
# importing it costs about a third of the window's modules.

_MIGRATIONS = Path(__file__).with_name("migrations")


class SchemaTooNewError(CacheError):
    """The cache on disk was written by a newer version of the app."""

    title = "The local cache is from a newer Sync Monitor"


def _alembic_config() -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    return cfg


# The newest revision in migrations/versions, written out so that opening a cache that is already
# at it needs neither Alembic nor its scripts: reading them took about a fifth of each command's
# start-up (`syncmonitor status`, a script's `runs --json`, every resumed `sync --once`).
# tests/unit/test_database.py keeps it equal to Alembic's own head; a cache at any other revision
# still goes through Alembic, which decides with the scripts themselves.
HEAD_REVISION = "0014"


def head_revision() -> str:
    """The newest schema revision this app knows."""
    return HEAD_REVISION


def _stamped_revision(engine: Engine) -> str | None:
    """The revision the store says it is at, without Alembic; None when it has no stamp (a new
    store, or one Alembic must look at)."""
    # Any other failure (a read-only folder's WAL, a damaged file) is raised, as Alembic did.
    exists = (
        "SELECT to_regclass('alembic_version') IS NOT NULL"
        if engine.dialect.name == "postgresql"
        else "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
    )
    with engine.connect() as conn:
        if not conn.exec_driver_sql(exists).scalar():
            return None
        rows = conn.exec_driver_sql("SELECT version_num FROM alembic_version").fetchall()
    return str(rows[0][0]) if len(rows) == 1 else None


def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")  # safe with WAL: a crash loses no committed data
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA temp_store=MEMORY")
    cur.execute("PRAGMA cache_size=-32000")
    cur.close()


def _on_connect_read_only(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA query_only=ON")
    cur.close()


def create_cache_engine(path: Path, *, uri: str | None = None) -> Engine:
    """An engine for the cache file with the pragmas every connection needs; with `uri` (a
    read-only `file:` URI) one that only reads."""
    if uri is not None:
        engine = create_engine(
            f"sqlite:///{path}",  # a file URL, for the file's pool; `creator` opens it by URI
            creator=lambda: sqlite3.connect(uri, uri=True, check_same_thread=False, timeout=10),
            pool_size=5,
            max_overflow=5,
        )
        event.listen(engine, "connect", _on_connect_read_only)
        return engine
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
    # True when the folder (or file) cannot be written: reads work, a write raises
    # CacheReadOnlyError (through cache_faults.explain).
    read_only: bool = False
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


def _writable(path: Path) -> bool:
    folder_ok = os.access(path.parent, os.W_OK)
    return folder_ok and (not path.exists() or os.access(path, os.W_OK))


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
    """Open (creating if needed) and migrate the cache at `path`.

    Every page is checked first (`PRAGMA quick_check`), so a damaged file is told as damaged,
    with the copy the app keeps, before anything reads a wrong answer from it. A cache in a
    folder that cannot be written is opened read-only (the commands that only read still work)
    and is never called damaged.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise read_only(path, exc.strerror or str(exc)) from exc
    existed = path.exists() and path.stat().st_size > 0
    writable = _writable(path)
    if not writable and not existed:
        raise read_only(path, "there is no cache yet and none can be made")
    if existed:
        _check_pages(path)
    if not writable:
        return _open_read_only(path)
    if not path.exists():
        with contextlib.suppress(OSError):  # made user-only before SQLite makes its -wal/-shm
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    engine = create_cache_engine(path)
    try:
        _migrate(engine, path, existed)
    except Exception as exc:
        engine.dispose()
        raise (explain(exc, path) or exc) from exc
    # The -wal and -shm files hold the same data as the cache: user-only too (SQLite gives
    # them the cache's mode, which an older version left at the umask's).
    for name in (path.name, f"{path.name}-wal", f"{path.name}-shm"):
        with contextlib.suppress(OSError):  # e.g. FAT in portable use
            path.with_name(name).chmod(0o600)
    return Database(path, engine)


def _read_only_uri(path: Path, *, immutable: bool = False) -> str:
    flag = "immutable=1" if immutable else "mode=ro"
    return f"{path.resolve().as_uri()}?{flag}"


def _check_pages(path: Path) -> None:
    """Refuse a damaged cache (every b-tree page walked) with what to do about it."""
    last: sqlite3.DatabaseError | None = None
    for immutable in (False, True):  # a WAL cache in a read-only folder needs immutable
        try:
            with contextlib.closing(
                sqlite3.connect(_read_only_uri(path, immutable=immutable), uri=True)
            ) as conn:
                rows = conn.execute("PRAGMA quick_check(5)").fetchall()
        except sqlite3.DatabaseError as exc:
            last = exc
            if "unable to open" in str(exc).lower():
                continue
            raise (explain(exc, path) or damaged(path, str(exc))) from exc
        lines = [line for r in rows if r and r[0] != "ok" for line in str(r[0]).splitlines()]
        problems = [line for line in lines if line.strip() and not line.startswith("***")]
        if problems:
            more = "at least " if len(problems) >= 5 else ""
            raise damaged(
                path,
                f"SQLite's page check found {more}{len(problems)} problem(s), the first: "
                f"{problems[0][:120]}",
            )
        return
    assert last is not None
    raise read_only(path, str(last)) from last


def _open_read_only(path: Path) -> Database:
    for immutable in (False, True):
        engine = create_cache_engine(path, uri=_read_only_uri(path, immutable=immutable))
        try:
            current = _stamped_revision(engine)
        except Exception as exc:
            engine.dispose()
            if immutable:
                raise (explain(exc, path) or exc) from exc
            continue
        if current != head_revision():
            engine.dispose()
            raise read_only(path, "this version must first upgrade the cache, which writes to it")
        return Database(path, engine, read_only=True)
    raise AssertionError("unreachable")


def _too_new(where: str, current: str, head: str | None) -> SchemaTooNewError:
    return SchemaTooNewError(
        f"{where} uses cache schema {current!r}, which this version (newest schema {head!r}) "
        "does not know. It was written by a newer Sync Monitor.",
        "Install the newer version again, or start this one with another SYNCMONITOR_HOME "
        "(for a team store: update every desktop and the server to the same version).",
    )


def _migrate_postgres(engine: Engine, url: URL) -> None:
    """Upgrade in one transaction under a migration lock; a newer schema is refused unwritten."""
    if _stamped_revision(engine) == HEAD_REVISION:
        return
    from alembic import command
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

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


def _migrate(engine: Engine, path: Path, existed: bool) -> None:
    if existed and _stamped_revision(engine) == HEAD_REVISION:
        return
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
