"""What the scheduler runs, and what a person hears about the runs: shared by the window and the
daemon so both sync, and tell of failures and recoveries, the same way.

`register_sync_runners` makes the whole sync (of a kind) and one person's sync forceable on a
scheduler; the runners ask `sync()` for the running SyncService each time (None while it starts
or after it closed: the run ends as cancelled). `RunNotices` tells one error per distinct failure
(keyed by its title and parts), brackets each run's notices as one batch, and when a later run
gets through what a cause failed says once that it works again, named after the cause
(`recoveries`), and forgets the failure, so a new streak is news again.
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
from syncmonitor.engine.runs.recoveries import recovery_message, recovery_title
from syncmonitor.engine.runs.report import Cause, JobOutcome, causes, failure_notices
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
    """The notices of the scheduler's runs: call `started()` and `finished(result)` around each.

    Each distinct failure (its title and the parts it failed) is told once; when a later run gets
    through those parts, its recovery is told once, in the log at INFO and as a "sync.recovered"
    notice named after the cause ("Outreach accepts the access token again"). A cancelled run
    tells nothing either way.
    """

    def __init__(self, sink: NoticeSink) -> None:
        self.sink = sink
        self.failing: dict[str, Cause] = {}  # notice key -> the cause still failing

    def started(self) -> None:
        self.sink.begin_batch()

    def finished(self, result: RunResult) -> None:
        if result.outcome is RunOutcome.CANCELLED:
            self.sink.end_batch()
            return
        now_failing = _failing_causes(result)
        for key, cause in list(self.failing.items()):
            if key not in now_failing and _got_through(result, cause):
                del self.failing[key]
                self._recovered(key, cause, result)
        for notice in failure_notices(result):
            if notice.key not in self.failing:
                # A new streak: its recovery is news again when it comes.
                self.sink.forget("sync.recovered", notice.key)
            self.failing[notice.key] = now_failing.get(notice.key) or Cause(
                notice.title, notice.message, result.error_kind, ()
            )
            self.sink.post(notice)
        self.sink.end_batch()

    @property
    def is_failing(self) -> bool:
        return bool(self.failing)

    def _recovered(self, key: str, cause: Cause, result: RunResult) -> None:
        self.sink.forget("sync.failed", key)  # a new failure of this cause is news again
        title = recovery_title(cause)
        message = recovery_message(cause, result.summary if result.ok else "")
        log.info("%s. %s", title, message)  # the recovery, told once per streak
        self.sink.post(
            Notice("sync.recovered", NoticeLevel.INFO, title, message, key=key, logged=True)
        )


def _failing_causes(result: RunResult) -> dict[str, Cause]:
    """The run's causes keyed as `failure_notices` keys their notices."""
    if result.outcome not in (RunOutcome.FAILED, RunOutcome.PARTLY_FAILED):
        return {}
    found = causes(result.jobs)
    if not found:
        title = result.error_title or "The sync failed"
        return {title: Cause(title, result.error_message or "", result.error_kind, ())}
    return {f"{c.title} ({', '.join(c.jobs)})": c for c in found}


def _got_through(result: RunResult, cause: Cause) -> bool:
    """Did this run do the parts `cause` had failed? (A whole run that succeeded did.)"""
    if result.ok:
        return True
    if not cause.jobs or result.outcome is not RunOutcome.PARTLY_FAILED:
        return False
    done = {r.label for r in result.jobs if r.outcome is JobOutcome.SUCCEEDED}
    return all(job in done for job in cause.jobs)
