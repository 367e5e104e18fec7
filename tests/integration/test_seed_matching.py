"""Seed 001's matching: a prospect matches a Workbooks Person or Sales Lead with its address,
in the main email or on the Contact Details; what is recorded before any record matches is
parked, never lost, and linked at the first sync after such a record exists."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from engine_helpers import Harness, harness, workbooks_write
from sqlalchemy import select
from two_way_helpers import delete_person, everyone, new_people, outreach, workbooks_list

from syncmonitor.engine.runs.events import RunOutcome
from syncmonitor.sandbox.process import SandboxEndpoints
from syncmonitor.store.issues_schema import sync_issues
from syncmonitor.store.matching import match_of, parked_for
from syncmonitor.store.matching_schema import parked_activities


@pytest.fixture
def h(make_sandbox: Callable[..., SandboxEndpoints], tmp_path: Path) -> Iterator[Harness]:
    endpoints = make_sandbox(seed=31, people=40, tick=0)
    with harness(endpoints, tmp_path / "cache", two_way=True) as made:
        everyone(made)
        yield made


def _skipped_task_with_person(h: Harness) -> tuple[dict[str, Any], int, int, str]:
    """A skipped task, its prospect id, the linked Workbooks person and the prospect's email."""
    tasks = outreach(h, "GET", "tasks", **{"page[size]": "1000"})["data"]
    for task in tasks:
        a = task["attributes"]
        if not (a["state"] == "complete" and a["completed"] is False):
            continue
        pid = task["relationships"]["prospect"]["data"]["id"]
        prospect = outreach(h, "GET", f"prospects/{pid}")["data"]
        person_id = prospect["attributes"].get("externalId")
        emails = prospect["attributes"]["emails"]
        if person_id and emails:
            return task, pid, int(person_id), emails[0].lower()
    raise AssertionError("the sandbox world has no skipped task of a linked prospect")


def _parked(h: Harness) -> list[tuple[str, int]]:
    with h.engine.connect() as conn:
        return [
            (r.outreach_type, r.outreach_id) for r in conn.execute(select(parked_activities)).all()
        ]


def test_a_record_created_later_gets_everything_parked_for_its_address(h: Harness) -> None:
    task, pid, person_id, email = _skipped_task_with_person(h)
    delete_person(h, person_id)  # nobody in Workbooks has this prospect's address now

    first = h.sync()
    assert first.outcome is RunOutcome.SUCCEEDED, first.error_message
    ref = f"outreach:task:{task['id']}"
    assert ref not in {t["created_through_reference"] for t in workbooks_list(h, "activity/tasks")}
    assert ("task", task["id"]) in _parked(h)
    assert first.records_written.get("activities_parked", 0) >= 1
    with h.engine.connect() as conn:
        assert parked_for(conn, [pid]).get("task", 0) >= 1
        problems = conn.execute(
            select(sync_issues.c.problem).where(sync_issues.c.record_key == str(pid))
        ).scalars()
        assert any("Kept" in p for p in problems)

    # Someone adds a person later, with the address on a Contact Details record only.
    [new_id] = new_people(
        h, [{"person_first_name": "Later", "person_last_name": "Added",
             "main_location[email]": "someone.else@example.org"}],
    )  # fmt: skip
    workbooks_write(
        h.endpoints,
        [{"party_id": new_id, "location_name": "Work", "alternate_email": email.upper()}],
        method="POST",
        endpoint="crm/party_locations",
    )

    second = h.sync()
    assert second.outcome is RunOutcome.SUCCEEDED, second.error_message
    made = {t["created_through_reference"]: t for t in workbooks_list(h, "activity/tasks")}
    assert made[ref]["primary_contact_id"] == new_id
    assert made[ref]["activity_status"] == "Cancelled"
    assert ("task", task["id"]) not in _parked(h)
    assert second.records_written.get("parked_activities_created", 0) >= 1
    assert second.records_read.get("people_unparked", 0) >= 1
    person = h.admin.person(new_id)
    assert person["cf_person_sequence_state"]  # the states recorded earlier reached it
    with h.engine.connect() as conn:
        match = match_of(conn, "outreach", pid)
        assert match is not None
        assert (match.record_type, match.record_id, match.matched_by) == (
            "person",
            new_id,
            "contact details",
        )
        assert parked_for(conn, [pid]) == {}


def test_a_sales_lead_with_the_address_is_the_match_and_the_states_wait_for_a_person(
    h: Harness,
) -> None:
    _task, pid, person_id, email = _skipped_task_with_person(h)
    delete_person(h, person_id)
    answer = workbooks_write(
        h.endpoints,
        [{"name": "Inbound lead", "person_lead_party[main_location[email]]": email}],
        method="POST",
        endpoint="crm/sales_leads",
    )
    lead_id = int(answer["affected_objects"][0]["id"])
    result = h.sync()
    assert result.outcome is RunOutcome.SUCCEEDED, result.error_message
    with h.engine.connect() as conn:
        match = match_of(conn, "outreach", pid)
        assert match is not None and (match.record_type, match.record_id) == (
            "sales_lead",
            lead_id,
        )
        problems = list(
            conn.execute(
                select(sync_issues.c.problem).where(sync_issues.c.record_key == str(pid))
            ).scalars()
        )
    assert any(f"sales lead {lead_id}" in p for p in problems)
    assert _parked(h)  # the tasks wait for a person: parked, not lost
