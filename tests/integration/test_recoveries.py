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


@pytest.fixture
def story(make_sandbox: Callable[..., SandboxEndpoints], tmp_path: Path) -> Iterator[Harness]:
    """The sandbox's own world, with its people deleted in Workbooks whose prospects live on."""
    endpoints = make_sandbox()
    with harness(endpoints, tmp_path / "cache", two_way=True) as made:
        yield made


def test_one_deleted_person_is_one_notification_and_one_issue(story: Harness) -> None:
    from syncmonitor.store.issues import count_open_issues, open_issues

    sink = RecordingSink()
    story.service.notices = sink
    for _ in range(2):
        result = story.sync()
        assert result.outcome is RunOutcome.SUCCEEDED, result.error_message
    hazards = [n for n in sink.posted if n.event == "sync.delete_hazard"]
    assert hazards and len({n.key for n in hazards}) == len(hazards)  # each deletion once
    assert "sync.record_issues" not in sink.events()  # not "1 person did not sync" as well
    with story.engine.connect() as conn:
        found = open_issues(conn)
        assert count_open_issues(conn) == len(found)
    # Every deletion is one issue, with "no Workbooks person" for its prospect under it.
    assert len(found) == len(hazards)
    assert all(i.source == "outreach.prospects" and i.consequences for i in found)
    assert all(i.held_states > 0 for i in found)
    prospects = {c.record_key for i in found for c in i.consequences}
    assert not [i for i in found if i.source == "workbooks.push" and i.record_key in prospects]
