"""Outreach scopes: a token without one resource's scope is told as a missing permission that
names the scope (an Issue, and Settings' Test connection), and the rest of the full sync runs."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from engine_helpers import Harness, harness
from sqlalchemy import select
from two_way_helpers import everyone

from syncmonitor.engine.connection_check import check_outreach
from syncmonitor.engine.runs.events import RunOutcome
from syncmonitor.sandbox.process import SandboxEndpoints
from syncmonitor.store.issues_schema import sync_issues


@pytest.fixture
def h(make_sandbox: Callable[..., SandboxEndpoints], tmp_path: Path) -> Iterator[Harness]:
    endpoints = make_sandbox(seed=31, people=40, tick=0)
    with harness(endpoints, tmp_path / "cache", two_way=True) as made:
        everyone(made)
        yield made


def test_a_missing_calls_scope_partly_fails_the_run_with_one_issue_naming_it(
    h: Harness,
) -> None:
    """review-api.md risk 1: a 403 unauthorizedOauthScope on /calls used to fail every full
    sync as a refused token."""
    h.admin.deny_outreach_scopes("calls.read")
    check = asyncio.run(check_outreach(h.endpoints.outreach_base_url, h.endpoints.outreach_token))
    assert check.ok and "calls.read" in check.message
    result = h.sync()
    # Only the calls part fails (its cursor stays); every other part of the run went through.
    assert result.outcome is RunOutcome.PARTLY_FAILED, result.error_message
    failed = [job for job in result.jobs if job.outcome.value == "failed"]
    assert len(failed) == 1 and "calls.read" in (failed[0].error_message or "")
    assert result.records_written.get("workbooks_cancelled_tasks", 0) > 0  # tasks still came
    with h.engine.connect() as conn:
        issues = conn.execute(
            select(sync_issues.c.record_label, sync_issues.c.problem, sync_issues.c.todo).where(
                sync_issues.c.source == "outreach.calls"
            )
        ).all()
    [(label, problem, todo)] = issues
    assert "calls.read" in label and "calls.read" in todo
    assert "accepted the access token" in problem and "refused the access token" not in problem

    h.admin.deny_outreach_scopes()  # the scope is granted: the issue goes
    again = h.sync()
    assert again.outcome is RunOutcome.SUCCEEDED, again.error_message
    with h.engine.connect() as conn:
        left = conn.execute(
            select(sync_issues.c.id).where(sync_issues.c.source == "outreach.calls")
        ).all()
    assert left == []  # resolved
