"""The cache: WAL, migrations at start, a newer schema refused clearly, a backup before upgrade."""

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from syncmonitor.store.database import CacheError, SchemaTooNewError, head_revision, open_database


def test_new_cache_is_created_in_wal_mode_at_head(tmp_path: Path) -> None:
    db = open_database(tmp_path / "data" / "cache.sqlite3")
    try:
        with db.engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == (
                head_revision()
            )
            tables = {r[0] for r in conn.execute(text("SELECT name FROM sqlite_master"))}
        assert {"prospects", "state_history", "sync_runs", "push_outbox"} <= tables
        assert (tmp_path / "data" / "cache.sqlite3").stat().st_mode & 0o077 == 0
    finally:
        db.close()


def test_reopening_keeps_data(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite3"
    db = open_database(path)
    with db.engine.begin() as conn:
        conn.execute(text("INSERT INTO sync_cursors VALUES ('x', 'y', 'z')"))
    db.close()
    db = open_database(path)
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT value FROM sync_cursors")).scalar() == "y"
    db.close()


def test_newer_schema_is_a_clear_error_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite3"
    open_database(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    with pytest.raises(SchemaTooNewError) as err:
        open_database(path)
    assert "newer Sync Monitor" in str(err.value)
    assert "9999_from_the_future" in str(err.value)


def test_garbage_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(CacheError, match="not a readable SQLite database"):
        open_database(path)


def test_an_older_cache_is_backed_up_then_upgraded(tmp_path: Path) -> None:
    from alembic import command

    from syncmonitor.store.database import _alembic_config, create_cache_engine

    path = tmp_path / "cache.sqlite3"
    engine = create_cache_engine(path)
    cfg = _alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
        conn.execute(text("INSERT INTO sync_cursors VALUES ('kept', 'yes', 'now')"))
    engine.dispose()
    db = open_database(path)
    try:
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == (
                head_revision()
            )
            assert conn.execute(text("SELECT value FROM sync_cursors")).scalar() == "yes"
            indexes = {r[1] for r in conn.execute(text("PRAGMA index_list('prospects')"))}
        assert "ix_prospects_name_search" in indexes
    finally:
        db.close()
    backup = tmp_path / "cache.sqlite3.before-0001.bak"
    assert backup.exists()
    with sqlite3.connect(backup) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == ("0001",)
