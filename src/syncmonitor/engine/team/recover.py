"""What the new holder of a team store's sync lock closes that a dead holder left: runs still
"running" (marked interrupted) and requests still "running" (finished, waiting again, or failed,
by what the action may bear).

Whoever takes the lock afresh does this (engine/team/lock.py): the server daemon, and a
`syncmonitor sync --once` on the store, so no page or command shows a dead server's run or
request as running. Nobody else can be running then: only the lock's holder runs or serves.

A request is never done twice:
- a sync (or a person's sync) whose run finished is finished with that run's result; one whose
  run was cut short or never began waits again (a sync is crash-safe: a repeat re-reads);
- an action that may be repeated (saving a mapping or the scope, dismissing an issue, counting)
  waits again: doing it twice leaves the store as doing it once;
- any other action (a Fix name, a mailshot's retry or cancel, a deleted record's action) may have
  reached a remote before the server died: it is failed with words that say so, and never sent
  again by the server; the person looks and asks again if it is still needed.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Connection

from syncmonitor.domain.timestamps import format_iso, utc_now
from syncmonitor.store import team_requests as store
from syncmonitor.store.runs import close_interrupted_runs

log = logging.getLogger(__name__)

SYNC_ACTIONS = frozenset({"sync", "sync_person"})
REPEATABLE_ACTIONS = frozenset(
    {
        "save_mappings",  # replaces the whole set
        "dismiss_issue",
        "dismiss_issues",
        "save_scope",
        "queue_key_check",  # records what an admin saw: the same again changes nothing
        "queue_integration_check",
        "count_scope",  # reads
        "refresh_sources",  # reads into the cache
        "read_samples",  # reads into the cache
    }
)

CUT_SHORT = (
    "The Sync Monitor server stopped while it was doing this, so it may be half done. It was "
    "not repeated, so nothing is done twice: look at the result (the Queue page, the Issues "
    "page) and ask again if it is still needed."
)


def synced_words(duration_s: float, new: int) -> str:
    return f"Synced by the server in {duration_s:.1f} s: {new} new transitions."


def run_summary(run: dict[str, Any]) -> tuple[bool, str]:
    """(ok, words) for a recorded run, as the desktop shows it."""
    if run["outcome"] == "succeeded":
        written = run.get("records_written") or {}
        return True, synced_words(float(run["duration_s"] or 0), int(written.get("transitions", 0)))
    return False, f"{run['error_title'] or run['outcome']}: {run['error_message'] or ''}".strip()


def recover_store(conn: Connection, repeatable: frozenset[str] = REPEATABLE_ACTIONS) -> int:
    """Close what a dead holder left (in the caller's transaction); returns how many requests
    wait again."""
    closed = close_interrupted_runs(conn)
    if closed:
        log.warning("%d run(s) were interrupted when the last holder of the store stopped", closed)
    again = 0
    now = format_iso(utc_now())
    for request in store.left_running(conn):
        if request.action in SYNC_ACTIONS:
            run = store.finished_run_for(conn, request)
            if run is not None:
                ok, words = run_summary(run)
                store.finish(conn, request.id, ok=ok, result=words, at=now)
                log.info("Request %d had finished before the last server stopped", request.id)
                continue
        elif request.action not in repeatable:
            store.finish(conn, request.id, ok=False, result=CUT_SHORT, at=now)
            log.warning("Request %d (%s) was cut short: not repeated", request.id, request.action)
            continue
        store.requeue(conn, request.id)
        again += 1
    if again:
        log.warning("%d request(s) left half-way by the last server will run again", again)
    return again
