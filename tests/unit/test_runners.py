"""The scheduler's runners and the run notices, shared by the window and the daemon."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

import pytest

from recording_sink import RecordingSink
from syncmonitor.domain.timestamps import format_iso, utc_now
from syncmonitor.engine.runs.events import CancelToken, RunOutcome, RunResult
from syncmonitor.engine.runs.kinds import SyncKind
from syncmonitor.engine.runs.report import JobOutcome, JobReport, run_outcome
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

    def forget(self, event: str, key: str = "") -> None:
        self.calls.append(f"forget {event} {key}".strip())


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
    # Every run is one batch; the recovery forgets that failure, so a new streak is news again
    # (and the new streak's recovery too).
    assert sink.calls == [
        "begin",
        "forget sync.recovered Outreach cannot be reached",
        "end",
        "begin",
        "end",
        "begin",
        "forget sync.failed Outreach cannot be reached",
        "end",
        "begin",
        "end",
    ]


def job(label: str, outcome: str, **error: str) -> JobReport:
    report = JobReport(label.lower(), label, JobOutcome(outcome))
    if error:
        report.error_title, report.error_message = error["title"], "why"
        report.error_kind, report.service = error["kind"], error["service"]
    return report


def jobs_run(*reports: JobReport) -> RunResult:
    stamp = format_iso(utc_now())
    outcome = run_outcome(reports)
    return RunResult(1, outcome, stamp, stamp, 1.0, jobs=tuple(reports))


def test_each_recovery_is_named_after_its_cause_and_told_once_in_the_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sink = RecordingSink()
    notices = RunNotices(sink)
    token = {"title": "Outreach refused the access token", "kind": "auth", "service": "Outreach"}
    busy = {"title": "Workbooks is unavailable", "kind": "unavailable", "service": "Workbooks"}
    caplog.set_level(logging.INFO, logger="syncmonitor.engine.runs.runners")
    # Outreach refuses the token and Workbooks is down: two causes, each told.
    notices.finished(jobs_run(job("Pull", "failed", **token), job("Push", "failed", **busy)))
    # Workbooks is back, the token is still refused: one recovery, no repeat of the failure.
    notices.finished(jobs_run(job("Pull", "failed", **token), job("Push", "succeeded")))
    notices.finished(jobs_run(job("Pull", "failed", **token), job("Push", "succeeded")))
    # Then everything works.
    notices.finished(jobs_run(job("Pull", "succeeded"), job("Push", "succeeded")))
    notices.finished(jobs_run(job("Pull", "succeeded"), job("Push", "succeeded")))

    told = [(n.event, n.title) for n in sink.posted]
    assert told == [
        ("sync.failed", "Outreach refused the access token"),
        ("sync.failed", "Workbooks is unavailable"),
        ("sync.recovered", "Workbooks is available again"),
        ("sync.failed", "Outreach refused the access token"),  # the policy drops this repeat
        ("sync.failed", "Outreach refused the access token"),
        ("sync.recovered", "Outreach accepts the access token again"),
    ]
    assert sink.posted[0].key == sink.posted[5].key  # the same streak, so one recovery per key
    lines = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert [line.split(".")[0] for line in lines] == [
        "Workbooks is available again",
        "Outreach accepts the access token again",
    ]
    assert 'It had failed with "Outreach refused the access token" (Pull)' in lines[1]


def test_a_missing_scope_granted_again_is_named() -> None:
    sink = RecordingSink()
    notices = RunNotices(sink)
    scope = {
        "title": "The Outreach token lacks the accounts.read scope",
        "kind": "permission",
        "service": "Outreach",
    }
    notices.finished(jobs_run(job("Accounts", "failed", **scope), job("Pull", "succeeded")))
    notices.finished(jobs_run(job("Accounts", "succeeded"), job("Pull", "succeeded")))
    assert sink.posted[-1].title == "Outreach grants the accounts.read scope now"


def test_a_failure_whose_part_did_not_run_is_not_called_recovered() -> None:
    sink = RecordingSink()
    notices = RunNotices(sink)
    limited = {"title": "Outreach limits the rate", "kind": "rate-limited", "service": "Outreach"}
    offline = {"title": "Workbooks cannot be reached", "kind": "offline", "service": "Workbooks"}
    notices.finished(jobs_run(job("Pull", "failed", **limited), job("Push", "succeeded")))
    # Another failure stops the run before the pull: the rate limit is not known to be over.
    notices.finished(jobs_run(job("Pull", "skipped"), job("Push", "failed", **offline)))
    assert "sync.recovered" not in sink.events()
    notices.finished(jobs_run(job("Pull", "succeeded"), job("Push", "succeeded")))
    assert [n.title for n in sink.posted if n.event == "sync.recovered"] == [
        "Outreach no longer limits the rate",
        "Workbooks can be reached again",
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


def test_a_recovery_is_in_the_log_once_even_when_notified_and_in_every_streak(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from syncmonitor.engine.runs.notify_policy import NotificationPolicy
    from syncmonitor.ui.notifier import LogNotifier

    caplog.set_level(logging.INFO)
    delivered: list[str] = []
    notifier = LogNotifier()

    def deliver(notice: Any) -> None:
        delivered.append(notice.title)
        notifier.notify(notice)

    notices = RunNotices(NotificationPolicy(deliver))
    token = {"title": "Outreach refused the access token", "kind": "auth", "service": "Outreach"}
    for _ in range(2):  # two streaks within the policy's de-duplication window
        for _ in range(3):
            notices.started()
            notices.finished(jobs_run(job("Pull", "failed", **token)))
        notices.started()
        notices.finished(jobs_run(job("Pull", "succeeded")))
    again = "Outreach accepts the access token again"
    assert delivered == ["Outreach refused the access token", again] * 2
    told = [r for r in caplog.records if r.levelno >= logging.INFO and again in r.getMessage()]
    assert len(told) == 2  # once per streak, not once more by the notifier
