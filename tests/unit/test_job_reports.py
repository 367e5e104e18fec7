"""The run service knows no job by name: each job fills the same report, a failure skips only
the jobs that need it (or the remote that stopped answering), and the run's outcome, figures
and words follow from the reports."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from recording_sink import RecordingSink
from store_backends import open_sqlite
from syncmonitor.app.config import Config
from syncmonitor.app.errors import UserFacingError
from syncmonitor.connectors.errors import AuthenticationError, NetworkError
from syncmonitor.engine.runs import service as service_module
from syncmonitor.engine.runs.events import RunOutcome
from syncmonitor.engine.runs.jobs import Job, JobContext, Remotes, SyncKind
from syncmonitor.engine.runs.lock import SyncLock
from syncmonitor.engine.runs.notices import Notice, NoticeLevel
from syncmonitor.engine.runs.report import JobOutcome, JobReport
from syncmonitor.engine.runs.service import SyncService
from syncmonitor.store.runs import recent_runs


def job(name: str, *, fails: Exception | None = None, **kw: object) -> Job:
    async def run(ctx: JobContext, report: JobReport) -> None:
        report.read[f"{name}_read"] = 2
        report.written["things"] = 1
        report.notices.append(Notice("x.news", NoticeLevel.INFO, name, "news", key=name))
        if fails is not None:
            raise fails

    return Job(name, name.title(), run, **kw)  # type: ignore[arg-type]


def run_jobs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *jobs: Job) -> tuple:
    monkeypatch.setitem(service_module.KINDS, SyncKind.FULL, tuple(jobs))
    database = open_sqlite(tmp_path / "cache.sqlite3")
    sink = RecordingSink()
    service = SyncService(
        Config(),
        database,
        Remotes(None, None, None, None),
        lock=SyncLock(tmp_path / "lock"),
        sandbox_mode=False,
        notices=sink,
    )
    try:
        result = asyncio.run(service.sync_once())
        with database.engine.connect() as conn:
            row = recent_runs(conn, 1)[0]
    finally:
        database.close()
    return result, row, sink


def test_a_failure_skips_only_what_needs_it_and_the_run_partly_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    refused = UserFacingError("The remote said no to b.", "Fix b.")
    result, row, sink = run_jobs(
        tmp_path,
        monkeypatch,
        job("a"),
        job("b", fails=refused),
        job("c", needs=("b",)),
        job("d"),
    )
    outcomes = [(j.job, j.outcome) for j in result.jobs]
    assert outcomes == [
        ("a", JobOutcome.SUCCEEDED),
        ("b", JobOutcome.FAILED),
        ("c", JobOutcome.SKIPPED),
        ("d", JobOutcome.SUCCEEDED),
    ]
    assert result.outcome is RunOutcome.PARTLY_FAILED
    assert result.error_title == "B failed"
    assert "The remote said no to b." in (result.error_message or "")
    assert "B" in (result.jobs[2].reason or "")
    # Figures of every job that ran, the failed one included (what it did before failing).
    assert result.records_written == {"things": 3}
    assert result.records_read == {"a_read": 2, "b_read": 2, "d_read": 2}
    assert sorted(n.title for n in sink.posted) == ["a", "b", "d"]
    assert row["outcome"] == "partly_failed"
    assert [j["outcome"] for j in row["jobs"]] == ["succeeded", "failed", "skipped", "succeeded"]


def test_a_remote_that_stops_answering_skips_the_later_jobs_that_use_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    down = NetworkError("Outreach", "Cannot reach Outreach", "No route.")
    result, _row, _sink = run_jobs(
        tmp_path,
        monkeypatch,
        job("pull", fails=down, uses=frozenset({"Outreach"})),
        job("calls", uses=frozenset({"Outreach", "Workbooks"})),
    )
    assert [j.outcome for j in result.jobs] == [JobOutcome.FAILED, JobOutcome.SKIPPED]
    assert "Outreach failed earlier in this run" in (result.jobs[1].reason or "")
    assert result.outcome is RunOutcome.FAILED and result.error_kind == "offline"
    assert result.error_title == "Cannot reach Outreach"


def test_a_missing_permission_does_not_stop_other_jobs_on_the_same_remote(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scope = AuthenticationError("Outreach", "Refused", "No calls.read scope.", status_code=403)
    result, _row, _sink = run_jobs(
        tmp_path,
        monkeypatch,
        job("calls", fails=scope, uses=frozenset({"Outreach"})),
        job("outbound", uses=frozenset({"Outreach"})),
    )
    assert [j.outcome for j in result.jobs] == [JobOutcome.FAILED, JobOutcome.SUCCEEDED]
    assert result.jobs[0].error_kind == "permission"
    assert result.outcome is RunOutcome.PARTLY_FAILED


def test_a_job_with_nothing_to_do_is_off_and_the_run_succeeds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def off(ctx: JobContext, report: JobReport) -> None:
        report.off("not set up")

    result, row, _sink = run_jobs(tmp_path, monkeypatch, job("a"), Job("b", "B", off))
    assert result.outcome is RunOutcome.SUCCEEDED
    assert row["jobs"][1] == {
        "job": "b",
        "label": "B",
        "outcome": "off",
        "read": {},
        "written": {},
        "issues": 0,
        "reason": "not set up",
    }
    assert JobReport.from_json(row["jobs"][1]).reason == "not set up"
