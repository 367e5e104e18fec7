"""The two-way sync's inbound additions end to end: skipped sequence tasks become Cancelled
Workbooks tasks, completed calls and meetings become activities, step numbers reach the person;
a second run creates nothing, and a lost link is found in Workbooks rather than repeated. The
scope filter decides who is sent to Outreach, and its live count asks Workbooks."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from engine_helpers import Harness, harness
from sqlalchemy import delete
from two_way_helpers import (
    everyone,
    new_people,
    outreach,
    prospects_with_email,
    workbooks_list,
    writes,
)

from syncmonitor.connectors.workbooks.sync import WorkbooksSyncClient
from syncmonitor.domain.scope import (
    Condition,
    ScopeFilter,
    base_conditions,
    to_json,
    workbooks_filter,
)
from syncmonitor.engine.runs.events import RunOutcome
from syncmonitor.engine.two_way.outbound.kinds import DUPLICATE_FIELD, ERROR_FIELD, SYNC_FIELD
from syncmonitor.engine.two_way.outbound.setup import save_scope
from syncmonitor.engine.two_way.scope_count import count_matching
from syncmonitor.sandbox.process import SandboxEndpoints
from syncmonitor.store.schema import sync_cursors
from syncmonitor.store.two_way_schema import activity_links


@pytest.fixture
def h(make_sandbox: Callable[..., SandboxEndpoints], tmp_path: Path) -> Iterator[Harness]:
    endpoints = make_sandbox(seed=31, people=40, tick=0)
    with harness(endpoints, tmp_path / "cache", two_way=True) as made:
        everyone(made)
        yield made


def all_of(h: Harness, path: str) -> list[dict]:
    return list(outreach(h, "GET", path, **{"page[size]": "1000"})["data"])


def test_skipped_tasks_calls_and_meetings_arrive_once(h: Harness) -> None:
    tasks = all_of(h, "tasks")
    skipped = [
        t
        for t in tasks
        if t["attributes"]["state"] == "complete" and not t["attributes"]["completed"]
    ]
    meetings = [
        t
        for t in tasks
        if t["attributes"]["action"] == "in_person" and t["attributes"]["completed"]
    ]
    calls = [c for c in all_of(h, "calls") if c["attributes"]["completedAt"]]
    assert skipped and calls  # the sandbox world has some of each

    first = h.sync()
    assert first.outcome is RunOutcome.SUCCEEDED, first.error_message
    crm_tasks = workbooks_list(h, "activity/tasks")
    by_ref = {t["created_through_reference"]: t for t in crm_tasks}
    for task in skipped:
        made = by_ref[f"outreach:task:{task['id']}"]
        assert made["activity_status"] == "Cancelled"
        prospect_id = task["relationships"]["prospect"]["data"]["id"]
        person = h.admin.person(made["primary_contact_id"])
        assert person["cf_person_outreach_id"] == str(prospect_id)
    activities = workbooks_list(h, "activity/activities")
    kinds = {a["created_through_reference"]: a["activity_type"] for a in activities}
    assert all(kinds[f"outreach:call:{c['id']}"] == "Call" for c in calls)
    assert all(kinds[f"outreach:task:{m['id']}"] == "Meeting" for m in meetings)
    assert len(crm_tasks) == len(skipped)

    before = writes(h)
    second = h.sync()
    assert second.outcome is RunOutcome.SUCCEEDED, second.error_message
    assert writes(h) == before
    assert len(workbooks_list(h, "activity/tasks")) == len(skipped)

    # The cache lost its links (a crash between the write and the commit): still not repeated.
    with h.engine.begin() as conn:
        conn.execute(delete(activity_links))
        conn.execute(delete(sync_cursors))
    third = h.sync()
    assert third.outcome is RunOutcome.SUCCEEDED, third.error_message
    assert len(workbooks_list(h, "activity/tasks")) == len(skipped)
    assert len(workbooks_list(h, "activity/activities")) == len(activities)


def test_step_numbers_reach_the_person(h: Harness) -> None:
    result = h.sync()
    assert result.outcome is RunOutcome.SUCCEEDED, result.error_message
    states = all_of(h, "sequenceStates")
    steps = {s["id"]: s["attributes"]["order"] for s in all_of(h, "sequenceSteps")}
    latest: dict[int, tuple[str, int, int]] = {}
    for s in states:
        pid = s["relationships"]["prospect"]["data"]["id"]
        key = (
            s["attributes"]["stateChangedAt"] or "",
            s["id"],
            steps[s["relationships"]["sequenceStep"]["data"]["id"]],
        )
        latest[pid] = max(latest.get(pid, key), key)
    checked = 0
    for person_id in range(10001, 10041):
        person = h.admin.person(person_id)
        linked = person["cf_person_outreach_id"]
        if linked and not person["is_deleted"] and int(linked) in latest:
            assert person["cf_person_sequence_step"] == latest[int(linked)][2], person_id
            checked += 1
    assert checked > 20


def test_the_scope_filter_decides_who_is_sent_and_counts_live(h: Harness) -> None:
    made = new_people(
        h,
        [
            {
                "person_first_name": "Mine",
                "person_last_name": "A",
                "main_location[email]": "a@scope.org",
                "assigned_to": 1,
            },
            {
                "person_first_name": "Theirs",
                "person_last_name": "B",
                "main_location[email]": "b@scope.org",
                "assigned_to": 2,
            },
            {
                "person_first_name": "Mine",
                "person_last_name": "C",
                "main_location[email]": "c@scope.org",
                "assigned_to": 1,
            },
        ],
    )
    scope = ScopeFilter(mine=True, conditions=(Condition("person_last_name", "ne", "C"),))
    save_scope(h.engine, to_json(scope))

    async def count() -> int:
        async with WorkbooksSyncClient(
            h.endpoints.workbooks_base_url, h.endpoints.workbooks_api_key
        ) as wb:
            return await count_matching(wb, scope)

    matching = asyncio.run(count())
    expected = [
        p
        for p in (h.admin.person(i) for i in [*range(10001, 10041), *made])
        if p[SYNC_FIELD]
        and not p[ERROR_FIELD]
        and not p[DUPLICATE_FIELD]
        and not p["is_deleted"]
        and (p["assigned_to"] == 1 or p["is_watched"])
        and p["person_last_name"] != "C"
    ]
    assert matching == len(expected)

    result = h.sync()
    assert result.outcome is RunOutcome.SUCCEEDED, result.error_message
    assert len(prospects_with_email(h, "a@scope.org")) == 1
    assert prospects_with_email(h, "b@scope.org") == []  # assigned to someone else
    assert prospects_with_email(h, "c@scope.org") == []  # the extra condition
    conditions, mode = workbooks_filter(
        scope, 1, base_conditions(SYNC_FIELD, ERROR_FIELD, DUPLICATE_FIELD)
    )
    assert mode == "1 AND 2 AND 3 AND (4 OR 5) AND (6)"
    assert conditions[3:] == [
        ("assigned_to", "eq", "1"),
        ("is_watched", "true", ""),
        ("person_last_name", "ne", "C"),
    ]


# Every test once on a SQLite cache and once on a PostgreSQL team store (tests/store_backends.py).
pytestmark = pytest.mark.usefixtures("store_backend")
