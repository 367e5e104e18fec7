"""Migration 0005 and the mailshot cache: what the queue keeps, and its timeline."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from store_backends import open_sqlite
from syncmonitor.store import mailshot_schema
from syncmonitor.store.mailshots import load_mailshots, save_mailshots, timeline
from syncmonitor.store.schema import metadata


def test_migration_0005_builds_exactly_the_declared_tables(tmp_path: Path) -> None:
    db = open_sqlite(tmp_path / "cache.sqlite3")
    try:
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), metadata)
    finally:
        db.close()
    ours = {mailshot_schema.mailshots.name, mailshot_schema.mailshot_events.name}
    about_ours = [d for d in diff if ours & set(map(str, _tables(d)))]
    assert about_ours == []


def _tables(change: object) -> list[str]:
    found: list[str] = []
    items = change if isinstance(change, list) else [change]
    for item in items:
        for part in item if isinstance(item, tuple) else ():
            name = getattr(part, "name", None)
            table = getattr(part, "table", None)
            if isinstance(part, str):
                found.append(part)  # modify_* changes name the table as text
            elif table is not None:
                found.append(str(table.name))
            elif name:
                found.append(str(name))
    return found


def row(mailshot_id: int, **changes: object) -> dict[str, object]:
    base: dict[str, object] = {c.name: None for c in mailshot_schema.mailshots.columns}
    base.update(
        id=mailshot_id,
        name=f"Mailshot {mailshot_id}",
        status="Queued",
        state="waiting",
        lock_version=1,
        deleted=False,
        first_seen_at="2026-11-22T10:00:00.000Z",
    )
    base.update(changes)
    return base


def test_rows_are_upserted_and_events_appended_newest_first(tmp_path: Path, store_backend) -> None:
    db = store_backend.open(tmp_path)
    try:
        with db.engine.begin() as conn:
            save_mailshots(
                conn,
                [row(1), row(2)],
                [{"mailshot_id": 1, "at": "t1", "state": "waiting", "detail": "in", "source": "W"}],
            )
            save_mailshots(
                conn,
                [row(1, state="removed", reason="Deleted in Workbooks", deleted=True)],
                [
                    {
                        "mailshot_id": 1,
                        "at": "t2",
                        "state": "removed",
                        "detail": "gone",
                        "source": "W",
                    }
                ],
            )
        with db.engine.connect() as conn:
            rows = {r["id"]: r for r in load_mailshots(conn)}
            events = timeline(conn, 1)
    finally:
        db.close()
    assert set(rows) == {1, 2}  # never dropped: the state says it left
    assert rows[1]["state"] == "removed" and rows[1]["reason"] == "Deleted in Workbooks"
    assert [(e.at, e.state) for e in events] == [("t2", "removed"), ("t1", "waiting")]


def test_status_meanings_and_admin_checks_survive_a_restart(tmp_path: Path) -> None:
    from syncmonitor.domain.mailshots.statuses import StatusMeanings, StatusRole
    from syncmonitor.engine.mailshots.checks import load_meanings, save_meanings
    from syncmonitor.store.mailshots import AdminCheck, add_check, latest_checks

    db = open_sqlite(tmp_path / "cache.sqlite3")
    meanings = StatusMeanings({}).with_values(["Sent", "Queued"], "picklist", "t0")
    meanings = meanings.confirmed({"Queued": StatusRole.QUEUED})
    with db.engine.begin() as conn:
        save_meanings(conn, meanings)
        add_check(conn, AdminCheck("api_key", "2026-12-01T10:00:00Z", "2026-12-05T23:59:00Z", True))
        add_check(conn, AdminCheck("api_key", "2026-12-02T10:00:00Z", None, True))
    db.close()
    db = open_sqlite(tmp_path / "cache.sqlite3")
    with db.engine.connect() as conn:
        again = load_meanings(conn)
        checks = latest_checks(conn)
    db.close()
    assert again.values["Queued"].confirmed and not again.values["Sent"].confirmed
    assert again.role("Sent") is StatusRole.SYNCED
    assert checks["api_key"].valid_until is None  # the newest check wins
