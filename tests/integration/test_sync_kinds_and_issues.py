"""Sync kinds, a forced sync of one person, and the Issues list, against the real sandbox."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from engine_helpers import (
    EMAIL,
    PARKED_ATTEMPTS,
    Harness,
    harness,
    read_outreach,
    read_people,
    requests_made,
    workbooks_write,
)
from sqlalchemy import select

from recording_sink import RecordingSink
from syncmonitor.engine.connection_check import check_outreach, check_workbooks
from syncmonitor.engine.runs.jobs import KINDS
from syncmonitor.engine.runs.kinds import SyncKind
from syncmonitor.engine.runs.notices import NoticeLevel
from syncmonitor.engine.runs.notify_policy import NotificationPolicy
from syncmonitor.sandbox.process import SandboxEndpoints
from syncmonitor.store.issues import open_issues
from syncmonitor.store.runs import last_finished_by_kind, recent_runs
from syncmonitor.store.schema import push_outbox

SEED = 7
PEOPLE = 200  # seed 7 with 200 people has deleted Workbooks people: unmatched
MakeSandbox = Callable[..., SandboxEndpoints]


@pytest.fixture
def h(make_sandbox: MakeSandbox, tmp_path: Path) -> Iterator[Harness]:
    endpoints = make_sandbox(seed=SEED, people=PEOPLE, tick=0)
    with harness(endpoints, tmp_path / "cache", page_size=50) as made:
        yield made


def run(h: Harness, **kwargs: object) -> object:
    return asyncio.run(h.service.sync_once(trigger="forced", **kwargs))  # type: ignore[arg-type]


def parked(h: Harness) -> list[int]:
    with h.engine.connect() as conn:
        return sorted(
            conn.execute(
                select(push_outbox.c.prospect_id).where(push_outbox.c.attempts == PARKED_ATTEMPTS)
            ).scalars()
        )


def test_the_kinds_are_compositions_of_jobs() -> None:
    assert [j.name for j in KINDS[SyncKind.INBOUND]] == ["outreach.pull"]
    assert [j.name for j in KINDS[SyncKind.FULL]] == [
        "outreach.pull",
        "workbooks.push",
        "workbooks.step_numbers",
        "workbooks.tasks",
        "workbooks.calls",
        "outreach.outbound",
        "mappings.apply",
    ]


def test_inbound_reads_outreach_only_and_full_then_writes_workbooks(h: Harness) -> None:
    result = run(h, kind="inbound")
    assert result.ok, result.summary  # type: ignore[attr-defined]
    assert requests_made(h.admin)["workbooks"] == 0
    assert "workbooks_people" not in result.records_written  # type: ignore[attr-defined]
    with h.engine.connect() as conn:
        pending = conn.execute(select(push_outbox.c.prospect_id)).all()
        assert pending, "the people wait in the outbox for the next full sync"
        assert recent_runs(conn, 1)[0]["kind"] == "inbound"
        ended = last_finished_by_kind(conn)
    assert ended["inbound"] is not None and ended["full"] is None

    full = run(h, kind="full")
    assert full.ok and full.records_written["workbooks_people"] > 0  # type: ignore[attr-defined]
    with h.engine.connect() as conn:
        ended = last_finished_by_kind(conn)
    assert ended["full"] is not None and ended["inbound"] == ended["full"]


def test_people_workbooks_does_not_know_become_issues_with_what_to_do_and_one_summary(
    h: Harness,
) -> None:
    told = RecordingSink()
    policy = NotificationPolicy(told.post)
    h.service.notices = policy
    policy.begin_batch()
    result = run(h)
    policy.end_batch()
    assert result.ok  # type: ignore[attr-defined]
    unmatched = parked(h)
    assert unmatched, "the seeded world has people with no Workbooks record"
    with h.engine.connect() as conn:
        issues = open_issues(conn)
    assert sorted(int(i.record_key) for i in issues) == unmatched
    issue = issues[0]
    assert issue.source == "workbooks.push" and issue.record_type == "person"
    assert "No Workbooks person or sales lead has this Outreach id or email" in issue.problem
    assert "Retry" in issue.todo and "@" in issue.record_label
    summaries = [n for n in told.posted if n.event == "sync.record_issues"]
    assert len(summaries) == 1 and summaries[0].count == len(unmatched)
    assert summaries[0].level is NoticeLevel.ISSUE

    # The same people on the next run: the same news, not told again.
    h.service.notices = policy
    run(h)
    assert len([n for n in told.posted if n.event == "sync.record_issues"]) == 1


def test_a_forced_sync_of_one_person_rereads_and_rewrites_only_that_person(h: Harness) -> None:
    assert run(h).ok  # type: ignore[attr-defined]
    person = parked(h)[0]
    before = requests_made(h.admin)
    result = run(h, person=person)
    assert result.ok, result.summary  # type: ignore[attr-defined]
    after = requests_made(h.admin)
    # One person: a couple of requests each way, not a whole sync.
    assert 1 <= after["outreach"] - before["outreach"] <= 3
    # Workbooks: the Outreach id, then seed 001's address searches (main email, Contact
    # Details, Sales Leads) for a person none of them knows.
    assert 1 <= after["workbooks"] - before["workbooks"] <= 5
    with h.engine.connect() as conn:
        row = recent_runs(conn, 1)[0]
        issues = {int(i.record_key): i for i in open_issues(conn)}
    assert row["target"] == f"person:{person}"
    assert issues[person].occurrences == 2  # tried again, still unknown to Workbooks


def test_retrying_one_issue_after_the_fix_writes_the_person_and_clears_the_issue(
    h: Harness,
) -> None:
    assert run(h).ok  # type: ignore[attr-defined]
    person = parked(h)[0]
    # The fix a person would make: re-create the deleted Workbooks person with the same email.
    gone = read_people(h.admin, PEOPLE)[read_outreach(h.endpoints).prospects[person].person_id]
    workbooks_write(
        h.endpoints,
        [
            {
                "person_first_name": gone["person_first_name"],
                "person_last_name": gone["person_last_name"],
                EMAIL: gone[EMAIL],
            }
        ],
        method="POST",
    )
    result = run(h, person=person)  # the Issues page's Retry
    assert result.ok and result.records_written["workbooks_people"] == 1  # type: ignore[attr-defined]
    with h.engine.connect() as conn:
        keys = {int(i.record_key) for i in open_issues(conn)}
    assert person not in keys
    assert keys == set(parked(h))  # the others stay until they are fixed


def test_refused_writes_are_issues_that_clear_themselves_when_the_person_syncs(
    h: Harness,
) -> None:
    h.admin.set_faults(target="workbooks", lock_conflict_next=10_000)
    assert not run(h).ok  # type: ignore[attr-defined]
    with h.engine.connect() as conn:
        refused = [i for i in open_issues(conn) if "lock_version" in i.problem]
    assert refused and all("Retry" in i.todo for i in refused)

    h.admin.clear_faults()
    assert run(h).ok  # type: ignore[attr-defined]
    with h.engine.connect() as conn:
        left = open_issues(conn)
    assert not [i for i in left if "lock_version" in i.problem]
    assert sorted(int(i.record_key) for i in left) == parked(h)  # only the unknown people


def test_test_connection_says_exactly_what_failed(h: Harness) -> None:
    e = h.endpoints
    ok = asyncio.run(check_outreach(e.outreach_base_url, e.outreach_token))
    assert ok.ok and ok.title == "Outreach answered"
    bad = asyncio.run(check_outreach(e.outreach_base_url, "wrong-token"))
    assert not bad.ok and bad.title == "Outreach refused the access token"
    wb = asyncio.run(check_workbooks(e.workbooks_base_url, e.workbooks_api_key))
    assert wb.ok
    wrong = asyncio.run(check_workbooks(e.workbooks_base_url, "nope"))
    assert not wrong.ok and "Workbooks" in wrong.title
    http = asyncio.run(check_outreach("http://outreach.example.com/api/v2", "t"))
    assert not http.ok and "plain http://" in http.message
    down = asyncio.run(check_outreach("http://127.0.0.1:9/api/v2", "t"))
    assert not down.ok and down.title


# Every test once on a SQLite cache and once on a PostgreSQL team store (tests/store_backends.py).
pytestmark = pytest.mark.usefixtures("store_backend")
