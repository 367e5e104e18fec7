"""A forced read of one mailshot, told to the scheduler as a run.

The scheduler forces targets of any registered type one at a time; for the type
"mailshot" the runner reads that mailshot again through the queue monitor, and this turns what the
read found into the `RunResult` the scheduler and the status bar understand. It is not a sync
run, so it is not recorded on the Runs page.
"""

from __future__ import annotations

from datetime import datetime

from syncmonitor.domain.timestamps import format_iso
from syncmonitor.engine.mailshots.monitor import PollResult
from syncmonitor.engine.runs.events import RunOutcome, RunResult

MAILSHOT = "mailshot"  # the scheduler's target type


def mailshot_run_result(poll: PollResult, started: datetime, finished: datetime) -> RunResult:
    """What one forced mailshot read amounted to."""
    error = poll.error
    return RunResult(
        run_id=0,
        outcome=RunOutcome.FAILED if error is not None else RunOutcome.SUCCEEDED,
        started_at=format_iso(started),
        finished_at=format_iso(finished),
        duration_s=max(0.0, (finished - started).total_seconds()),
        records_read={"mailshots": len(poll.snapshot.items), "requests": poll.requests},
        records_written={"mailshot_changes": len(poll.changes)},
        error_title=error.title if error is not None else None,
        error_message=error.message if error is not None else None,
    )
