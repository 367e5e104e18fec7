"""Partial failure end to end: an Outreach token that lacks one scope fails only the part that
needs it. Every other part runs and commits, the failing part's cursor stays where it was, the
run ends Partly failed naming the part and the remote's words, and the cause is told once."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from engine_helpers import Harness, harness
from sqlalchemy import select
from two_way_helpers import everyone, workbooks_list

from recording_sink import RecordingSink
from syncmonitor.engine.runs.events import RunOutcome
from syncmonitor.engine.runs.notify_policy import NotificationPolicy
from syncmonitor.engine.runs.report import failure_notices
from syncmonitor.sandbox.process import SandboxEndpoints
from syncmonitor.store.runs import recent_runs
from syncmonitor.store.schema import sync_cursors

CALLS_CURSOR = "two_way.outreach.calls.updatedAt"
TASKS_CURSOR = "two_way.outreach.tasks.updatedAt"


@pytest.fixture
def h(make_sandbox: Callable[..., SandboxEndpoints], tmp_path: Path) -> Iterator[Harness]:
    endpoints = make_sandbox(seed=31, people=40, tick=0)
    with harness(endpoints, tmp_path / "cache", two_way=True) as made:
        everyone(made)
        yield made


def cursors(h: Harness) -> dict[str, str]:
    with h.engine.connect() as conn:
        rows = conn.execute(select(sync_cursors.c.name, sync_cursors.c.value)).all()
    return {str(name): str(value) for name, value in rows}


def test_a_token_without_calls_read_fails_only_the_calls_and_everything_else_runs(
    h: Harness,
) -> None:
    h.admin.outreach_scopes(["calls.read"])

    result = h.sync()

    assert result.outcome is RunOutcome.PARTLY_FAILED, result.summary
    outcomes = {job.job: job.outcome.value for job in result.jobs}
    assert outcomes == {
        "outreach.pull": "succeeded",
        "workbooks.push": "succeeded",
        "workbooks.step_numbers": "succeeded",
        "workbooks.tasks": "succeeded",
        "workbooks.calls": "failed",
        "outreach.outbound": "succeeded",
        "mappings.apply": "succeeded",
    }
    calls = next(j for j in result.jobs if j.job == "workbooks.calls")
    assert calls.error_kind == "permission" and calls.service == "Outreach"
    assert "calls.read" in (calls.error_message or ""), calls.error_message  # the remote's words
    assert "Calls into Workbooks" in (result.error_title or "")
    # What the other parts did is there: people read to send out, tasks into Workbooks.
    assert result.records_read.get("outbound_people", 0) > 0
    assert result.records_written.get("workbooks_cancelled_tasks", 0) > 0
    assert any(t["created_through_reference"] for t in workbooks_list(h, "activity/tasks"))
    assert not any(
        str(a.get("created_through_reference", "")).startswith("outreach:call:")
        for a in workbooks_list(h, "activity/activities")
    )
    # The failing part's cursor never moved; the part next to it moved on.
    assert CALLS_CURSOR not in cursors(h) and TASKS_CURSOR in cursors(h)
    # Stored with the run, every part's outcome.
    with h.engine.connect() as conn:
        row = recent_runs(conn, 1)[0]
    assert row["outcome"] == "partly_failed"
    assert [j["outcome"] for j in row["jobs"]] == list(outcomes.values())
    assert row["jobs"][4]["error"]["kind"] == "permission"

    # The scope granted again: the next run reads the calls and succeeds.
    h.admin.outreach_scopes([])
    again = h.sync()
    assert again.outcome is RunOutcome.SUCCEEDED, again.summary
    assert again.records_read.get("outreach_calls", 0) > 0
    assert CALLS_CURSOR in cursors(h)


def test_the_same_cause_is_told_once_across_runs(h: Harness) -> None:
    h.admin.outreach_scopes(["calls.read", "tasks.read"])
    told = RecordingSink()
    policy = NotificationPolicy(told.post)
    for _ in range(2):
        policy.begin_batch()
        result = h.sync()
        for notice in failure_notices(result):
            policy.post(notice)
        policy.end_batch()
        assert result.outcome is RunOutcome.PARTLY_FAILED
    failed = [n for n in told.posted if n.event == "sync.failed"]
    # Two parts failed, each for its own scope: two causes, each told once in two runs.
    assert len(failed) == 2, [n.title for n in told.posted]


def test_new_credentials_apply_from_the_next_run_without_a_restart(h: Harness) -> None:
    """Settings saved a new (wrong) token: the next run uses it, the one after the fix too."""
    good = h.service.remotes
    wrong = dataclasses.replace(good, outreach_token="replaced-token-0000")
    answers = iter([wrong, good])
    h.service._resolve = lambda config: next(answers)
    assert h.sync().ok  # nothing changed yet: the remotes it started with
    h.service.reconfigure(h.service.config)
    refused = h.sync()
    assert refused.outcome is RunOutcome.FAILED and "access token" in (refused.error_title or "")
    assert h.sync().outcome is RunOutcome.FAILED  # resolved once per change, not per run
    h.service.reconfigure(h.service.config)
    assert h.sync().ok
