"""Recoveries against the sandbox: each failure a real run hits is told once, and when a later
run gets through it, its end is told once, named after the cause, in the log and as a notice."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from engine_helpers import Harness, harness
from two_way_helpers import everyone

from recording_sink import RecordingSink
from syncmonitor.engine.runs.events import RunOutcome
from syncmonitor.engine.runs.runners import RunNotices
from syncmonitor.sandbox.process import SandboxEndpoints


@pytest.fixture
def h(make_sandbox: Callable[..., SandboxEndpoints], tmp_path: Path) -> Iterator[Harness]:
    endpoints = make_sandbox(seed=37, people=20, tick=0)
    with harness(endpoints, tmp_path / "cache") as made:
        yield made


def told(sink: RecordingSink, event: str) -> list[str]:
    return [n.title for n in sink.posted if n.event == event]


@pytest.mark.parametrize(
    ("target", "status", "recovered"),
    [
        ("outreach", 401, "Outreach accepts the access token again"),
        ("workbooks", 401, "Workbooks accepts the API key again"),
        ("workbooks", 503, "Workbooks is available again"),
        ("outreach", 429, "Outreach no longer limits the rate"),
    ],
)
def test_a_failing_remote_then_working_again_is_told_once_each(
    h: Harness,
    caplog: pytest.LogCaptureFixture,
    target: str,
    status: int,
    recovered: str,
) -> None:
    caplog.set_level(logging.INFO, logger="syncmonitor.engine.runs.runners")
    sink = RecordingSink()
    notices = RunNotices(sink)
    h.admin.set_faults(target=target, fail_next=10_000, fail_status=status)
    for _ in range(2):
        failed = h.sync()
        assert failed.outcome in (RunOutcome.FAILED, RunOutcome.PARTLY_FAILED)
        notices.finished(failed)
    h.admin.clear_faults()
    for _ in range(2):
        ok = h.sync()
        assert ok.outcome is RunOutcome.SUCCEEDED, ok.error_message
        notices.finished(ok)
    assert told(sink, "sync.recovered") == [recovered]
    assert sum(recovered in r.getMessage() for r in caplog.records) == 1


@pytest.fixture
def h2(make_sandbox: Callable[..., SandboxEndpoints], tmp_path: Path) -> Iterator[Harness]:
    endpoints = make_sandbox(seed=31, people=40, tick=0)
    with harness(endpoints, tmp_path / "cache", two_way=True) as made:
        everyone(made)
        yield made


def test_a_missing_scope_granted_again_is_told_once_naming_the_scope(h2: Harness) -> None:
    h = h2
    sink = RecordingSink()
    notices = RunNotices(sink)
    h.admin.deny_outreach_scopes("calls.read")
    partly = h.sync()
    assert partly.outcome is RunOutcome.PARTLY_FAILED, partly.error_message
    notices.finished(partly)
    h.admin.deny_outreach_scopes()
    for _ in range(2):
        notices.finished(h.sync())
    assert told(sink, "sync.recovered") == ["Outreach grants the calls.read scope now"]
