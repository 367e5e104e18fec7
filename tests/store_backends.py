"""The two engines a store runs on, for tests: SQLite files and a throw-away PostgreSQL.

`.ci/run` starts a PostgreSQL 15 of its own and exports SYNCMONITOR_TEST_POSTGRES_URL (a
superuser's address on loopback). Each pytest worker (xdist) migrates one template database of its
own, once, and every store a test opens is a fresh copy of it (CREATE DATABASE ... TEMPLATE, a file
copy, far quicker than migrating again), dropped when the test ends. Without the variable the
PostgreSQL cases are skipped, except in CI (CI=true), where a missing PostgreSQL is a failure.

SQLite does the same: a new cache file a test opens through this module is a copy of one file this
worker migrated once (`open_database` then finds it at the newest schema and only checks its
pages). Alembic's runs from an empty or an older file are tested where they matter, in
tests/unit/test_database.py, which calls `open_database` itself.
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from syncmonitor.store.database import Database, open_database, open_store

POSTGRES_ENV = "SYNCMONITOR_TEST_POSTGRES_URL"
BACKENDS = ("sqlite", "postgresql")


def postgres_admin_url() -> str | None:
    """The test cluster's superuser address, or None where no PostgreSQL runs; in CI a missing
    one fails the test instead of skipping it."""
    url = os.environ.get(POSTGRES_ENV)
    if url:
        return url
    if os.environ.get("CI") == "true":
        pytest.fail(f"{POSTGRES_ENV} is not set: .ci/run must start PostgreSQL for CI.")
    return None


def _worker() -> str:
    return re.sub(r"\W", "", os.environ.get("PYTEST_XDIST_WORKER", "main")) or "main"


_sqlite_template: Path | None = None


def _migrated_sqlite_template() -> Path:
    """This process's migrated, empty SQLite cache (made once, removed at exit)."""
    global _sqlite_template
    if _sqlite_template is None:
        folder = Path(tempfile.mkdtemp(prefix="syncmonitor-test-template-"))
        atexit.register(shutil.rmtree, folder, True)
        template = folder / "cache.sqlite3"
        open_database(template).close()
        with sqlite3.connect(template) as conn:  # everything into the main file: no -wal to copy
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        _sqlite_template = template
    return _sqlite_template


def open_sqlite(path: Path) -> Database:
    """`open_database(path)`; a cache that does not exist yet starts as a copy of the migrated
    template instead of running every migration again."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        shutil.copyfile(_migrated_sqlite_template(), path)
        path.chmod(0o600)  # as open_database makes it
    return open_database(path)


@dataclass
class PostgresCluster:
    """Databases for one pytest worker on the test cluster."""

    admin_url: str
    made: int = 0
    _template: str | None = None

    def _admin(self, sql: str) -> None:
        engine = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(text(sql))
        finally:
            engine.dispose()

    def url_of(self, name: str) -> str:
        return make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    def empty_database(self) -> str:
        """A new empty database (no schema); its address."""
        self.made += 1
        name = f"sm_{_worker()}_{os.getpid()}_{self.made}"
        self._admin(f'DROP DATABASE IF EXISTS "{name}"')
        self._admin(f'CREATE DATABASE "{name}"')
        return name

    def migrated_database(self) -> str:
        """A new database at the app's schema (a copy of this worker's migrated template)."""
        if self._template is None:
            template = f"sm_{_worker()}_{os.getpid()}_template"
            self._admin(f'DROP DATABASE IF EXISTS "{template}"')
            self._admin(f'CREATE DATABASE "{template}"')
            open_store(self.url_of(template), None).close()
            self._template = template
        self.made += 1
        name = f"sm_{_worker()}_{os.getpid()}_{self.made}"
        self._admin(f'DROP DATABASE IF EXISTS "{name}"')
        self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{self._template}"')
        return name

    def drop(self, name: str) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def drop_template(self) -> None:
        if self._template is not None:
            self.drop(self._template)
            self._template = None


@dataclass
class StoreFactory:
    """Opens stores on one engine for one test, and closes (and drops) them at its end."""

    backend: str
    cluster: PostgresCluster | None
    opened: list[Database] = field(default_factory=list)
    databases: list[str] = field(default_factory=list)
    by_folder: dict[Path, str] = field(default_factory=dict)

    @property
    def postgresql(self) -> bool:
        return self.backend == "postgresql"

    def new_url(self) -> str:
        """A fresh, migrated PostgreSQL store's address (PostgreSQL only)."""
        assert self.cluster is not None
        name = self.cluster.migrated_database()
        self.databases.append(name)
        return self.cluster.url_of(name)

    def open(self, folder: Path) -> Database:
        """The store of `folder`: its SQLite file, or its PostgreSQL database (new the first
        time a folder is named, the same one when the test opens that folder again)."""
        if self.postgresql:
            if folder not in self.by_folder:
                self.by_folder[folder] = self.new_url()
            db = open_store(self.by_folder[folder], None)
        else:
            db = open_sqlite(folder / "cache.sqlite3")
        self.opened.append(db)
        return db

    def close(self) -> None:
        for db in self.opened:
            db.close()
        if self.cluster is not None:
            for name in self.databases:
                self.cluster.drop(name)


# The factory of the test now running (set by the `store_backend` fixture), for helpers such as
# tests/integration/engine_helpers.make_harness that open stores deep inside a test.
active: StoreFactory | None = None


def open_cache(folder: Path) -> Database:
    """A store for a helper: on the running test's engine, or a SQLite file by default."""
    if active is not None:
        return active.open(folder)
    return open_sqlite(folder / "cache.sqlite3")


def factory_for(backend: str, cluster: PostgresCluster | None) -> Iterator[StoreFactory]:
    global active
    if backend == "postgresql" and cluster is None:
        pytest.skip(f"PostgreSQL not available ({POSTGRES_ENV} unset)")
    factory = StoreFactory(backend, cluster if backend == "postgresql" else None)
    previous, active = active, factory
    try:
        yield factory
    finally:
        active = previous
        factory.close()
