"""Queries for the Issues list: per-record sync errors that clear when the record syncs.

One deleted person is one issue: a Workbooks person deleted while its Outreach prospect lives
on is a delete hazard (source "outreach.prospects", key "workbooks:<id>"), and the sequence-state
push then finds no Workbooks person for that prospect (source "workbooks.push", key "<prospect
id>"). Both rows are kept (each clears on its own terms and keeps its actions), but while the
hazard is open the push's row is read as the hazard's consequence, never as an issue of its own:
in the list, in the count, in caches written before this rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import (
    Connection,
    String,
    and_,
    bindparam,
    cast,
    delete,
    exists,
    func,
    not_,
    select,
    update,
)

from syncmonitor.domain.timestamps import format_iso, utc_now
from syncmonitor.store.dialect import upsert_insert
from syncmonitor.store.issues_schema import sync_issues
from syncmonitor.store.schema import sequence_states
from syncmonitor.store.two_way_schema import delete_hazards

PUSH_SOURCE = "workbooks.push"  # the sequence-state push (engine.issues.WORKBOOKS_PUSH)
HAZARD_SOURCE = "outreach.prospects"  # a person's delete hazard (engine.two_way.outbound)
HAZARD_PREFIX = "workbooks:"


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
    # A delete hazard's consequences: the push's issues for its prospect, and how many of that
    # prospect's sequence states have no Workbooks person to go to.
    consequences: tuple[StoredIssue, ...] = ()
    held_states: int = 0

    @property
    def ids(self) -> list[int]:
        """This issue's row and its consequences' (dismissed together)."""
        return [self.id, *(c.id for c in self.consequences)]


def _is_consequence() -> Any:
    """True for a push issue whose prospect's Workbooks person was deleted (an open hazard)."""
    return and_(
        sync_issues.c.source == PUSH_SOURCE,
        sync_issues.c.record_type == "person",
        exists().where(
            delete_hazards.c.kind == "person",
            delete_hazards.c.deleted_side == "crm",
            delete_hazards.c.resolved_at.is_(None),
            cast(delete_hazards.c.outreach_id, String) == sync_issues.c.record_key,
        ),
    )


def consequence_keys(conn: Connection, keys: Iterable[str]) -> set[str]:
    """Which of these push issue keys (prospect ids) are a delete hazard's consequence."""
    wanted = sorted({int(k) for k in keys if k.isdigit()})
    found = _ids_in(
        conn,
        select(delete_hazards.c.outreach_id, delete_hazards.c.outreach_id).where(
            delete_hazards.c.kind == "person",
            delete_hazards.c.deleted_side == "crm",
            delete_hazards.c.resolved_at.is_(None),
        ),
        delete_hazards.c.outreach_id,
        wanted,
    )
    return {str(k) for k in found}


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
    dismiss_issues(conn, [issue_id])


def dismiss_issues(conn: Connection, issue_ids: Iterable[int]) -> int:
    """Hide issues (a whole group, say) until the remote answers something new for each."""
    wanted = list(issue_ids)
    total = 0
    for start in range(0, len(wanted), 500):
        result = conn.execute(
            update(sync_issues)
            .where(sync_issues.c.id.in_(bindparam("ids", expanding=True)))
            .values(dismissed=True),
            {"ids": wanted[start : start + 500]},
        )
        total += int(result.rowcount)
    return total


def open_issues(
    conn: Connection,
    *,
    include_dismissed: bool = False,
    limit: int = 5000,
    before_id: int | None = None,
) -> list[StoredIssue]:
    """Issues newest first (by id: a repeat keeps its row, so its place stays put), a delete
    hazard's consequences folded into it."""
    query = select(sync_issues).where(not_(_is_consequence())).order_by(sync_issues.c.id.desc())
    if before_id is not None:
        query = query.where(sync_issues.c.id < before_id)
    if not include_dismissed:
        query = query.where(sync_issues.c.dismissed.is_(False))
    found = [_stored(r) for r in conn.execute(query.limit(limit))]
    return _with_consequences(conn, found, include_dismissed=include_dismissed)


def _stored(r: Any) -> StoredIssue:
    return StoredIssue(
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


def _with_consequences(
    conn: Connection, found: list[StoredIssue], *, include_dismissed: bool
) -> list[StoredIssue]:
    """Each person's delete hazard with the push's issues for its prospect and the count of that
    prospect's sequence states waiting for a Workbooks person."""
    hazard_ids = {
        int(key): i
        for i in found
        if i.source == HAZARD_SOURCE and (key := i.record_key.removeprefix(HAZARD_PREFIX)).isdigit()
    }
    if not hazard_ids:
        return found
    prospect_of = _ids_in(
        conn,
        select(delete_hazards.c.crm_id, delete_hazards.c.outreach_id).where(
            delete_hazards.c.kind == "person",
            delete_hazards.c.deleted_side == "crm",
            delete_hazards.c.resolved_at.is_(None),
        ),
        delete_hazards.c.crm_id,
        list(hazard_ids),
    )
    if not prospect_of:
        return found
    keys = [str(p) for p in prospect_of.values()]
    query = select(sync_issues).where(
        sync_issues.c.source == PUSH_SOURCE,
        sync_issues.c.record_type == "person",
        sync_issues.c.record_key.in_(bindparam("keys", expanding=True)),
    )
    if not include_dismissed:
        query = query.where(sync_issues.c.dismissed.is_(False))
    pushed: dict[str, list[StoredIssue]] = {}
    for r in conn.execute(query, {"keys": keys}):
        pushed.setdefault(r.record_key, []).append(_stored(r))
    held = _ids_in(
        conn,
        select(sequence_states.c.prospect_id, func.count())
        .where(sequence_states.c.provider == "outreach")
        .group_by(sequence_states.c.prospect_id),
        sequence_states.c.prospect_id,
        list(prospect_of.values()),
    )
    out: list[StoredIssue] = []
    for issue in found:
        key = issue.record_key.removeprefix(HAZARD_PREFIX)
        prospect = (
            prospect_of.get(int(key)) if issue.source == HAZARD_SOURCE and key.isdigit() else None
        )
        if prospect is None:
            out.append(issue)
            continue
        out.append(
            replace(
                issue,
                consequences=tuple(pushed.get(str(prospect), ())),
                held_states=int(held.get(prospect, 0)),
            )
        )
    return out


def _ids_in(conn: Connection, query: Any, column: Any, ids: list[int]) -> dict[int, int]:
    """`query`'s two columns as a dict, for the rows whose `column` is in `ids` (500 at a time)."""
    found: dict[int, int] = {}
    for start in range(0, len(ids), 500):
        rows = conn.execute(
            query.where(column.in_(bindparam("ids", expanding=True))),
            {"ids": ids[start : start + 500]},
        )
        found.update({int(a): int(b) for a, b in rows})
    return found


def count_open_issues(conn: Connection) -> int:
    """Open issues, a delete hazard and its consequences counted once."""
    return int(
        conn.execute(
            select(func.count())
            .select_from(sync_issues)
            .where(sync_issues.c.dismissed.is_(False), not_(_is_consequence()))
        ).scalar_one()
    )
