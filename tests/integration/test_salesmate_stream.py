"""A Salesmate export streamed into the cache: written in batches (a crash keeps what was
committed, a rerun adds only the rest), a dry run over many batches writes nothing, and a file
changed after its check is refused."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from store_backends import open_sqlite
from syncmonitor.engine.salesmate import imports
from syncmonitor.engine.salesmate.imports import (
    ImportRefusedError,
    Preview,
    load_export,
    prepare,
    write_import,
)
from syncmonitor.store import bulk
from syncmonitor.store.database import Database
from syncmonitor.store.schema import prospects, state_history

PEOPLE = 60


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_sqlite(tmp_path / "cache.sqlite3")
    columns = ("provider", "id", "email", "name", "opted_out", "search_text")
    sql = bulk.upsert_sql(prospects, columns, ("provider", "id"))
    rows = [("outreach", i, f"p{i}@example.com", f"P {i}", False, f"p {i}") for i in range(PEOPLE)]
    with database.engine.begin() as conn:
        bulk.executemany(conn, sql, rows)
    yield database
    database.close()


def export(folder: Path, rows: int = 240) -> Path:
    path = folder / "export.csv"
    lines = ["Email,Sequence,Status,Date"]
    lines += [
        f"p{n % PEOPLE}@example.com,S{n % 3},{'Active' if n % 2 else 'Paused'},"
        f"2026-02-{1 + n // PEOPLE:02d} 10:{n % 60:02d}"
        for n in range(rows)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def checked(db: Database, path: Path) -> Preview:
    return asyncio.run(prepare(db.engine, load_export(path), zone=UTC))


def history(db: Database) -> int:
    with db.engine.connect() as conn:
        return conn.execute(
            select(func.count()).where(state_history.c.provider == "salesmate")
        ).scalar_one()


def test_a_crash_keeps_the_committed_batches_and_a_rerun_adds_only_the_rest(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = export(tmp_path)
    preview = checked(db, path)
    assert preview.checked.ready_count == 240
    monkeypatch.setattr(imports, "WRITE_BATCH", 50)
    real = imports.write_enrolments
    calls: list[int] = []

    def dies_on_the_third(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt  # the process is stopped mid-import
        return real(*args, **kwargs)

    monkeypatch.setattr(imports, "write_enrolments", dies_on_the_third)
    with pytest.raises(KeyboardInterrupt):
        write_import(db.engine, preview)
    assert history(db) == 100  # two batches of 50 committed, the third rolled back

    monkeypatch.setattr(imports, "write_enrolments", real)
    again = write_import(db.engine, checked(db, path))
    assert history(db) == 240  # the rest, nothing twice
    assert (again.counts.transitions, again.counts.already_known) == (140, 100)


def test_a_dry_run_over_many_batches_writes_nothing_and_counts_exactly(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(imports, "WRITE_BATCH", 50)
    path = export(tmp_path)
    dry = write_import(db.engine, checked(db, path), dry_run=True)
    assert history(db) == 0
    real = write_import(db.engine, checked(db, path))
    assert dry.counts.transitions == real.counts.transitions == history(db) == 240
    assert dry.counts.people_added == real.counts.people_added == PEOPLE


def test_a_file_changed_after_its_check_is_refused_and_nothing_is_written(
    db: Database, tmp_path: Path
) -> None:
    path = export(tmp_path)
    preview = checked(db, path)
    with path.open("a", encoding="utf-8") as out:
        out.write("p1@example.com,S9,Active,2026-03-01 10:00\n")
    with pytest.raises(ImportRefusedError) as refused:
        write_import(db.engine, preview)
    assert "export.csv changed after it was checked" in refused.value.message
    assert "Nothing was imported" in refused.value.message
    assert "Check the file again" in refused.value.todo
    assert history(db) == 0
