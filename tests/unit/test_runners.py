"""The scheduler's runners and the run notices, shared by the window and the daemon."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from recording_sink import RecordingSink
from syncmonitor.domain.timestamps import format_iso, utc_now
from syncmonitor.engine.runs.events import CancelToken, RunOutcome, RunResult
from syncmonitor.engine.runs.kinds import SyncKind
from syncmonitor.engine.runs.runners import RunNotices, register_sync_runners
from syncmonitor.engine.runs.scheduler import ALL_RECORDS, PERSON, Scheduler
from syncmonitor.engine.runs.targets import RunRequest, Target, Trigger


def run(outcome: RunOutcome, title: str | None = None) -> RunResult:
    stamp = format_iso(utc_now())
    return RunResult(1, outcome, stamp, stamp, 1.0, error_title=title, error_message="why")


class BatchingSink(RecordingSink):
    """Records the batch brackets and forgets too."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    def begin_batch(self) -> None:
        self.calls.append("begin")

    def end_batch(self) -> None:
        self.calls.append("end")

    def forget(self, event: str) -> None:
        self.calls.append(f"forget {event}")


def test_a_failure_streak_is_told_once_per_failure_and_its_end_once() -> None:
    sink = BatchingSink()
    notices = RunNotices(sink)
    notices.started()
    notices.finished(run(RunOutcome.FAILED, "Outreach cannot be reached"))
    notices.started()
    notices.finished(run(RunOutcome.FAILED, "Outreach cannot be reached"))
    notices.started()
    notices.finished(run(RunOutcome.SUCCEEDED))
    notices.started()
    notices.finished(run(RunOutcome.SUCCEEDED))

    assert sink.events() == ["sync.failed", "sync.failed", "sync.recovered"]
    failed = sink.posted[0]
    assert failed.key == "Outreach cannot be reached"  # the policy tells each title once
    assert sink.posted[2].title == "Sync works again"
    # Every run is one batch; a success forgets the failure so a new streak is news again.
    assert sink.calls == [
        "begin",
        "end",
        "begin",
        "end",
        "begin",
        "forget sync.failed",
        "end",
        "begin",
        "forget sync.failed",
        "end",
    ]


def test_a_cancelled_run_tells_nothing() -> None:
    sink = BatchingSink()
    RunNotices(sink).finished(run(RunOutcome.CANCELLED))
    assert sink.posted == []


class RecordingSync:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    async def sync_once(self, **kwargs: Any) -> RunResult:
        self.calls.append(kwargs)
        return run(RunOutcome.SUCCEEDED)


def test_the_runners_sync_every_record_of_a_kind_or_one_person_fully() -> None:
    sync = RecordingSync()
    available: list[RecordingSync | None] = [sync]
    scheduler = Scheduler({SyncKind.FULL: timedelta(minutes=30)})
    register_sync_runners(scheduler, lambda: available[0])
    runners = scheduler._runners
    assert set(runners) == {ALL_RECORDS, PERSON}

    async def go(target: Target) -> RunResult:
        request = RunRequest(target, Trigger.FORCED)
        return await runners[target.type](request, lambda _p: None, CancelToken())

    asyncio.run(go(Target.sync_of(SyncKind.INBOUND)))
    asyncio.run(go(Target.person(42, "Ada")))
    assert [(c["kind"], c["person"], c["trigger"]) for c in sync.calls] == [
        (SyncKind.INBOUND, None, "forced"),
        (SyncKind.FULL, 42, "forced"),
    ]
    available[0] = None  # the services are not running (yet, or any more)
    assert asyncio.run(go(Target.sync_of())).outcome is RunOutcome.CANCELLED
