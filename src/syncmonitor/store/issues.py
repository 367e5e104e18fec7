"""Queries for the Issues list: per-record sync errors that clear when the record syncs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, and_, bindparam, delete, func, select, update

from syncmonitor.domain.timestamps import format_iso, utc_now
from syncmonitor.store.dialect import upsert_insert
from syncmonitor.store.issues_schema import sync_issues


@dataclass(frozen=True)
class RecordIssue:
    """One record that did not sync: which record, what the remote said, what to do."""

    source: str
    record_type: str
    record_key: str
    record_label: str
    problem: str
    todo: str


@dataclass(frozen=True)
class StoredIssue:
    """An issue as the Issues list shows it."""

    id: int
    source: str
    record_type: str
    record_key: str
    record_label: str
    problem: str
    todo: str
    first_seen: str
    last_seen: str
    occurrences: int
    dismissed: bool


def record_issues(conn: Connection, issues: Iterable[RecordIssue], run_id: int | None) -> int:
    """Add or refresh issues; a repeat counts up and comes back even if it was dismissed with an
    older answer (a new answer from the remote is news)."""
    now = format_iso(utc_now())
    rows = [
        {
            "source": i.source,
            "record_type": i.record_type,
            "record_key": i.record_key,
            "record_label": i.record_label,
            "problem": i.problem,
            "todo": i.todo,
            "first_seen": now,
            "last_seen": now,
            "occurrences": 1,
            "run_id": run_id,
            "dismissed": False,
        }
        for i in issues
    ]
    if not rows:
        return 0
    stmt = upsert_insert(conn, sync_issues)
    stmt = stmt.on_conflict_do_update(
        index_elements=["source", "record_type", "record_key"],
        set_={
            "record_label": stmt.excluded.record_label,
            "problem": stmt.excluded.problem,
            "todo": stmt.excluded.todo,
            "last_seen": stmt.excluded.last_seen,
            "run_id": stmt.excluded.run_id,
            "occurrences": sync_issues.c.occurrences + 1,
            # Dismissed stays dismissed while the remote keeps saying the same thing.
            "dismissed": and_(
                sync_issues.c.dismissed, sync_issues.c.problem == stmt.excluded.problem
            ),
        },
    )
    conn.execute(stmt, rows)
    return len(rows)


def clear_issues(conn: Connection, source: str, record_type: str, keys: Iterable[str]) -> int:
    """The records synced: their issues are resolved."""
    wanted = list(keys)
    if not wanted:
        return 0
    total = 0
    for start in range(0, len(wanted), 500):
        result = conn.execute(
            delete(sync_issues).where(
                sync_issues.c.source == source,
                sync_issues.c.record_type == record_type,
                sync_issues.c.record_key.in_(bindparam("keys", expanding=True)),
            ),
            {"keys": wanted[start : start + 500]},
        )
        total += int(result.rowcount)
    return total


def dismiss_issue(conn: Connection, issue_id: int) -> None:
    """Hide an issue until the remote answers something new for that record."""
    conn.execute(update(sync_issues).where(sync_issues.c.id == issue_id).values(dismissed=True))


def open_issues(
    conn: Connection,
    *,
    include_dismissed: bool = False,
    limit: int = 5000,
    before_id: int | None = None,
) -> list[StoredIssue]:
    """Issues newest first (by id: a repeat keeps its row, so its place stays put)."""
    query = select(sync_issues).order_by(sync_issues.c.id.desc())
    if before_id is not None:
        query = query.where(sync_issues.c.id < before_id)
    if not include_dismissed:
        query = query.where(sync_issues.c.dismissed.is_(False))
    return [
        StoredIssue(
            id=r.id,
            source=r.source,
            record_type=r.record_type,
            record_key=r.record_key,
            record_label=r.record_label,
            problem=r.problem,
            todo=r.todo,
            first_seen=r.first_seen,
            last_seen=r.last_seen,
            occurrences=r.occurrences,
            dismissed=bool(r.dismissed),
        )
        for r in conn.execute(query.limit(limit))
    ]


def count_open_issues(conn: Connection) -> int:
    return int(
        conn.execute(
            select(func.count()).select_from(sync_issues).where(sync_issues.c.dismissed.is_(False))
        ).scalar_one()
    )
