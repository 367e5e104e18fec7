"""The cache: WAL, migrations at start, a newer schema refused clearly, a backup before upgrade."""

import sqlite3
from pathlib import Path

import pytest
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from syncmonitor.store.cache_faults import CacheDamagedError
from syncmonitor.store.database import SchemaTooNewError, head_revision, open_database


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


def test_reopening_keeps_data(tmp_path: Path, store_backend) -> None:
    db = store_backend.open(tmp_path)
    with db.engine.begin() as conn:
        conn.execute(text("INSERT INTO sync_cursors VALUES ('x', 'y', 'z')"))
    db.close()
    db = store_backend.open(tmp_path)  # the same file, or the same PostgreSQL database
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT value FROM sync_cursors")).scalar() == "y"
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == (
            head_revision()
        )
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
    with pytest.raises(CacheDamagedError) as caught:
        open_database(path)
    assert "rename cache.sqlite3 to cache.sqlite3.damaged" in caught.value.message


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


def test_a_migration_cut_short_leaves_nothing_half_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every migration runs in one transaction: a failure (or a kill) after some tables were
    created leaves an empty file, and the next start migrates from the beginning."""
    import sqlite3

    from alembic import op

    real = op.create_index
    calls = {"n": 0}

    def failing_create_index(*args: object, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] == 3:  # tables and two indexes are made by now
            raise RuntimeError("killed here")
        return real(*args, **kwargs)

    monkeypatch.setattr(op, "create_index", failing_create_index)
    path = tmp_path / "cache.sqlite3"
    with pytest.raises(RuntimeError, match="killed here"):
        open_database(path)
    with sqlite3.connect(path) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables == set(), f"half-made schema left behind: {sorted(tables)}"

    monkeypatch.setattr(op, "create_index", real)
    database = open_database(path)  # the next start: from the beginning, to the head
    try:
        with database.engine.connect() as conn:
            assert MigrationContext.configure(conn).get_current_revision() == head_revision()
    finally:
        database.close()


def test_the_written_out_head_is_alembics_head() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    import syncmonitor.store.database as database

    cfg = Config()
    cfg.set_main_option("script_location", str(database._MIGRATIONS))
    script = ScriptDirectory.from_config(cfg)
    assert script.get_current_head() == database.HEAD_REVISION == head_revision()
    newest_file = max((database._MIGRATIONS / "versions").glob("[0-9]*.py")).name
    assert newest_file.startswith(f"{database.HEAD_REVISION}_")


def test_a_cache_at_the_head_opens_without_loading_alembic(tmp_path: Path) -> None:
    import subprocess
    import sys

    path = tmp_path / "cache.sqlite3"
    open_database(path).close()
    probe = (
        "import sys; from pathlib import Path; "
        "from syncmonitor.store.database import open_database; "
        f"open_database(Path({str(path)!r})).close(); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic'))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
    # An older stamp still goes through Alembic, which upgrades it (and keeps a copy first).
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0013'")
        for index in ("filter_state", "filter_changed"):
            conn.execute(f"DROP INDEX ix_sequence_states_{index}")
        conn.execute("DROP INDEX ix_prospects_provider_email")
    open_database(path).close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone()[0] == "0014"
        indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        assert "ix_prospects_provider_email" in indexes  # 0014 ran again
    assert (tmp_path / "cache.sqlite3.before-0013.bak").exists()
