"""What the scheduler runs, and what a person hears about the runs: shared by the window and the
daemon so both sync, and tell of failures and recoveries, the same way.

`register_sync_runners` makes the whole sync (of a kind) and one person's sync forceable on a
scheduler; the runners ask `sync()` for the running SyncService each time (None while it starts
or after it closed: the run ends as cancelled). `RunNotices` tells one error per distinct failure
(keyed by its title), brackets each run's notices as one batch, and after a failure streak ends
says that syncing works again and forgets the failure, so a new streak is news again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from syncmonitor.app.config import Config
from syncmonitor.domain.timestamps import format_iso, utc_now
from syncmonitor.engine.runs.events import (
    CancelToken,
    ProgressCallback,
    RunOutcome,
    RunResult,
)
from syncmonitor.engine.runs.kinds import SyncKind
from syncmonitor.engine.runs.notices import Notice, NoticeLevel, NoticeSink
from syncmonitor.engine.runs.report import failure_notices
from syncmonitor.engine.runs.scheduler import Scheduler
from syncmonitor.engine.runs.targets import ALL_RECORDS, PERSON, RunRequest

log = logging.getLogger(__name__)


def schedule_intervals(config: Config) -> dict[SyncKind, timedelta]:
    """How often each kind of sync runs, as configured."""
    return {
        SyncKind.INBOUND: timedelta(minutes=config.schedule.inbound_minutes),
        SyncKind.FULL: timedelta(minutes=config.schedule.full_minutes),
    }


class Syncs(Protocol):
    """What the runners need of a SyncService."""

    async def sync_once(
        self,
        *,
        trigger: str = "forced",
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
        kind: SyncKind | str = SyncKind.FULL,
        person: int | None = None,
    ) -> RunResult: ...


def register_sync_runners(scheduler: Scheduler, sync: Callable[[], Syncs | None]) -> None:
    """Register the full sync (of any kind) and the sync of one person on `scheduler`."""

    async def run(
        request: RunRequest, progress: ProgressCallback, cancel: CancelToken
    ) -> RunResult:
        service = sync()
        if service is None:
            return cancelled_run(utc_now())
        person = int(request.target.key) if request.target.type == PERSON else None
        return await service.sync_once(
            trigger=request.trigger.value,
            progress=progress,
            cancel=cancel,
            kind=SyncKind.FULL if person is not None else request.target.kind,
            person=person,
        )

    scheduler.register(ALL_RECORDS, run, "full sync")
    scheduler.register(PERSON, run, "person")


def cancelled_run(now: datetime) -> RunResult:
    """A run that never started (no service to run it)."""
    stamp = format_iso(now)
    return RunResult(0, RunOutcome.CANCELLED, stamp, stamp, 0.0)


class RunNotices:
    """The notices of the scheduler's runs: call `started()` and `finished(result)` around each."""

    def __init__(self, sink: NoticeSink) -> None:
        self.sink = sink
        self.failing = False

    def started(self) -> None:
        self.sink.begin_batch()

    def finished(self, result: RunResult) -> None:
        # One error per distinct cause (its title and the parts it failed), told once until a
        # run succeeds again; then the recovery, told once.
        causes = failure_notices(result)
        if causes:
            self.failing = True
            for notice in causes:
                self.sink.post(notice)
        elif result.ok and self.failing:
            self.failing = False
            self.sink.forget("sync.failed")
            log.info("Sync works again: %s", result.summary)  # the recovery, told once
            self.sink.post(
                Notice("sync.recovered", NoticeLevel.INFO, "Sync works again", result.summary)
            )
        elif result.ok:
            self.sink.forget("sync.failed")
        self.sink.end_batch()
