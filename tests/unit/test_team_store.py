"""The PostgreSQL team store: migrations, the search index, a newer schema refused unwritten, a
watching role, a role without rights, a server that does not answer, two processes starting at
once. Runs on the test PostgreSQL (tests/store_backends.py); skipped without one, except in CI."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from store_backends import PostgresCluster
from syncmonitor.app.config import CacheSettings
from syncmonitor.store.database import (
    SchemaTooNewError,
    head_revision,
    open_cache,
    open_store,
)
from syncmonitor.store.postgres import StoreRightsError, StoreUnreachableError


@pytest.fixture
def cluster(postgres_cluster: PostgresCluster | None) -> PostgresCluster:
    if postgres_cluster is None:
        pytest.skip("PostgreSQL not available (SYNCMONITOR_TEST_POSTGRES_URL unset)")
    return postgres_cluster


@pytest.fixture
def empty_db(cluster: PostgresCluster) -> Iterator[str]:
    name = cluster.empty_database()
    try:
        yield name
    finally:
        cluster.drop(name)


def tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return set(
                conn.execute(
                    text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
                ).scalars()
            )
    finally:
        engine.dispose()


def admin_sql(url: str, *statements: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            for sql in statements:
                conn.execute(text(sql))
    finally:
        engine.dispose()


ROLE_PASSWORD = "pw-of-the-role"


@pytest.fixture
def role(cluster: PostgresCluster, empty_db: str) -> Iterator[str]:
    """A login role of this test's own (roles are cluster-wide: the name is unique per process),
    its password ROLE_PASSWORD; its grants in `empty_db` go with it."""
    name = f"sm_role_{os.getpid()}_{threading.get_ident() % 10000}"
    admin_sql(
        cluster.admin_url,
        f'DROP ROLE IF EXISTS "{name}"',
        f"CREATE ROLE \"{name}\" LOGIN PASSWORD '{ROLE_PASSWORD}'",
    )
    try:
        yield name
    finally:
        admin_sql(cluster.url_of(empty_db), f'DROP OWNED BY "{name}"')
        admin_sql(cluster.admin_url, f'DROP ROLE IF EXISTS "{name}"')


def as_role(url: str, role: str) -> str:
    """The address for `role`, without a password (it is given apart, as the app does)."""
    bare = make_url(url)._replace(username=role, password=None)
    return bare.render_as_string(hide_password=False)


def test_a_new_team_store_is_migrated_to_the_head_with_the_search_index(
    cluster: PostgresCluster, empty_db: str
) -> None:
    url = cluster.url_of(empty_db)
    db = open_store(url, None)
    try:
        assert db.shared and db.writable and db.path is None
        assert db.description.startswith("Team store (PostgreSQL) postgresql+psycopg://")
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == (
                head_revision()
            )
            indexes = set(
                conn.execute(
                    text("SELECT indexname FROM pg_indexes WHERE tablename = 'prospects'")
                ).scalars()
            )
            collation = conn.execute(
                text(
                    "SELECT collation_name FROM information_schema.columns "
                    "WHERE table_name = 'prospects' AND column_name = 'name'"
                )
            ).scalar()
        assert {"ix_prospects_search_trgm", "ix_prospects_name_search"} <= indexes
        assert collation == "C"  # people are listed in the same order as on SQLite
    finally:
        db.close()
    assert {"prospects", "state_history", "sync_runs", "record_links"} <= tables(url)


def test_names_are_ordered_as_on_sqlite(tmp_path, store_backend) -> None:  # type: ignore[no-untyped-def]
    from syncmonitor.store.people import search_people
    from syncmonitor.store.schema import prospects

    names = ["adam", "Zoe", "Émile", "bob", "Bob", "_x"]
    db = store_backend.open(tmp_path)
    with db.engine.begin() as conn:
        conn.execute(
            prospects.insert(),
            [
                {"provider": "outreach", "id": i, "name": n, "email": f"{i}@x", "search_text": n}
                for i, n in enumerate(names)
            ],
        )
    with db.engine.connect() as conn:
        listed = [row.name for row in search_people(conn)]
    assert listed == sorted(names, key=lambda n: n.encode())


def test_a_newer_schema_is_refused_and_nothing_is_written(
    cluster: PostgresCluster, empty_db: str
) -> None:
    url = cluster.url_of(empty_db)
    open_store(url, None).close()
    admin_sql(url, "UPDATE alembic_version SET version_num = '9999_from_the_future'")
    before = tables(url)
    with pytest.raises(SchemaTooNewError) as err:
        open_store(url, None)
    assert "9999_from_the_future" in str(err.value) and "newer Sync Monitor" in str(err.value)
    assert "team store" in str(err.value)
    assert tables(url) == before
    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == (
            "9999_from_the_future"
        )
    engine.dispose()


def test_a_watching_role_opens_the_store_read_only(
    cluster: PostgresCluster, empty_db: str, role: str
) -> None:
    url = cluster.url_of(empty_db)
    open_store(url, None).close()  # the server (owner) made the schema
    admin_sql(
        url,
        f'GRANT CONNECT ON DATABASE "{empty_db}" TO "{role}"',
        f'GRANT USAGE ON SCHEMA public TO "{role}"',
        f'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{role}"',
    )
    db = open_store(as_role(url, role), ROLE_PASSWORD)
    try:
        assert db.writable is False
        assert "watch only" in db.description and role in db.description
    finally:
        db.close()


def test_a_role_without_rights_is_told_so_and_nothing_is_made(
    cluster: PostgresCluster, empty_db: str, role: str
) -> None:
    url = cluster.url_of(empty_db)
    admin_sql(url, f'GRANT CONNECT ON DATABASE "{empty_db}" TO "{role}"')
    with pytest.raises(StoreRightsError) as err:
        open_store(as_role(url, role), ROLE_PASSWORD)
    assert role in str(err.value) and "syncer role" in str(err.value)
    assert tables(url) == set()


def test_an_unreachable_server_is_one_clear_error(cluster: PostgresCluster) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once closed
    url = f"postgresql+psycopg://syncer@127.0.0.1:{port}/team"
    with pytest.raises(StoreUnreachableError) as err:
        open_store(url, "s3cret-password")
    assert "127.0.0.1" in str(err.value) and "s3cret-password" not in str(err.value)


def test_the_password_comes_from_the_environment(
    cluster: PostgresCluster,
    empty_db: str,
    role: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    admin_sql(cluster.admin_url, f"ALTER ROLE \"{role}\" PASSWORD 'pw-from-env'")
    admin_sql(cluster.admin_url, f'GRANT CONNECT ON DATABASE "{empty_db}" TO "{role}"')
    url = cluster.url_of(empty_db)
    open_store(url, None).close()
    admin_sql(url, f'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{role}"')
    address = as_role(url, role)
    monkeypatch.setenv("SYNCMONITOR_CACHE_PASSWORD", "wrong")
    with pytest.raises(StoreUnreachableError, match="password"):  # the test cluster checks it
        open_cache(CacheSettings(url=address), tmp_path / "unused.sqlite3")
    monkeypatch.setenv("SYNCMONITOR_CACHE_PASSWORD", "pw-from-env")
    db = open_cache(CacheSettings(url=address), tmp_path / "unused.sqlite3")
    try:
        assert db.shared and not (tmp_path / "unused.sqlite3").exists()
        assert "pw-from-env" not in db.description and "pw-from-env" not in str(db.url)
    finally:
        db.close()


def test_two_processes_starting_at_once_migrate_once(
    cluster: PostgresCluster, empty_db: str
) -> None:
    url = cluster.url_of(empty_db)
    errors: list[BaseException] = []
    start = threading.Barrier(3)

    def open_it() -> None:
        start.wait()
        try:
            open_store(url, None).close()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
    engine.dispose()


def test_a_read_of_a_team_store_that_refuses_the_connection_is_told_unreachable() -> None:
    from syncmonitor.engine.services.reads import timed_read

    with socket.socket() as probe:  # a loopback port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    engine = create_engine(f"postgresql+psycopg://someone:secret@127.0.0.1:{port}/store")
    try:
        with pytest.raises(StoreUnreachableError) as caught, timed_read(engine, "the people list"):
            raise AssertionError("a refused connection gave a connection")
    finally:
        engine.dispose()
    assert f"127.0.0.1:{port}/store did not answer or refused the login" in caught.value.message
    assert "secret" not in caught.value.message
    # The SQLite cache's own faults are not called an unreachable team store.
    sqlite = create_engine("sqlite:////nonexistent-folder/cache.sqlite3")
    with pytest.raises(Exception) as other, timed_read(sqlite, "the people list"):
        pass
    assert not isinstance(other.value, StoreUnreachableError)
