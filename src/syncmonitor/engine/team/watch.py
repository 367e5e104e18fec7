"""What a watching desktop polls: a cheap fingerprint of the team store that changes whenever the
server commits something a page shows (a run starts or ends, a page of states is written, a
request moves), and the words for a store that stopped answering."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, select

from syncmonitor.engine.runs.events import RunOutcome, RunResult
from syncmonitor.store.database import Database
from syncmonitor.store.issues_schema import sync_issues
from syncmonitor.store.mailshot_schema import mailshot_events
from syncmonitor.store.runs import recent_runs
from syncmonitor.store.schema import state_history, sync_runs, workbooks_people
from syncmonitor.store.team_schema import team_requests

POLL_S = 1.0  # the issue allows 5 s at most; one indexed max() per table is cheap enough

Fingerprint = tuple[object, ...]


def fingerprint(engine: Engine) -> Fingerprint:
    """Changes when the server commits anything the pages show (every max() is an index read)."""
    with engine.connect() as conn:
        row = conn.execute(
            select(
                select(func.max(sync_runs.c.id)).scalar_subquery(),
                select(func.max(sync_runs.c.finished_at)).scalar_subquery(),
                select(func.max(state_history.c.id)).scalar_subquery(),
                select(func.max(workbooks_people.c.updated_at)).scalar_subquery(),
                select(func.max(sync_issues.c.last_seen)).scalar_subquery(),
                select(func.max(mailshot_events.c.id)).scalar_subquery(),
                select(func.max(team_requests.c.id)).scalar_subquery(),
                select(func.max(team_requests.c.finished_at)).scalar_subquery(),
            )
        ).one()
    return tuple(row)


def run_result(run: dict[str, Any]) -> RunResult:
    """A recorded run (sync_runs) as the window shows a run."""
    return RunResult(
        run_id=int(run["id"]),
        outcome=RunOutcome(str(run["outcome"])),
        started_at=str(run["started_at"]),
        finished_at=str(run["finished_at"] or run["started_at"]),
        duration_s=float(run["duration_s"] or 0.0),
        records_read=dict(run["records_read"]),
        records_written=dict(run["records_written"]),
        error_title=run["error_title"],
        error_message=run["error_message"],
    )


def newest_run(database: Database) -> RunResult | None:
    """The store's newest run, whoever made it (the server, mostly)."""
    with database.engine.connect() as conn:
        runs = recent_runs(conn, 1)
    return run_result(runs[0]) if runs else None


def unreachable_text(since: datetime) -> str:
    """The desktop's line while the store does not answer (`since` in local time)."""
    return (
        f"The team store cannot be reached since {since:%H:%M}. The pages show what it held "
        "then, and update again as soon as it answers."
    )


WATCH_ONLY_TEXT = (
    "Watching the team store: this login can see every page but cannot sync or change anything "
    "(Sync now and the other actions are off)."
)
