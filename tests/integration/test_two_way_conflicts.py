"""Conflicts and delete hazards end to end: both sides change one mapped field and the field's
rule decides (each rule), recorded for the Runs page; a record deleted on one side is held, not
re-created, until the person deletes it on the other side too or unlinks it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from engine_helpers import Harness, harness
from two_way_helpers import (
    delete_person,
    everyone,
    new_people,
    outreach,
    patch_prospect,
    prospect,
    prospects_with_email,
    set_person,
)

from recording_sink import RecordingSink
from syncmonitor.connectors.outreach.sync import OutreachSyncClient
from syncmonitor.connectors.workbooks.sync import WorkbooksSyncClient
from syncmonitor.domain.mappings.fields import (
    ConflictRule,
    Direction,
    FieldMapping,
    FieldOptions,
    FieldRule,
    ObjectPair,
)
from syncmonitor.domain.mappings.mapping_set import MappingSet
from syncmonitor.engine.issues import person_issue
from syncmonitor.engine.runs.events import RunOutcome
from syncmonitor.engine.two_way.delete_hazard import HazardAction, resolve
from syncmonitor.engine.two_way.outbound.kinds import person_kind
from syncmonitor.sandbox.process import SandboxEndpoints
from syncmonitor.store import mappings as mapping_store
from syncmonitor.store import two_way as store
from syncmonitor.store.issues import open_issues, record_issues


@pytest.fixture
def h(make_sandbox: Callable[..., SandboxEndpoints], tmp_path: Path) -> Iterator[Harness]:
    endpoints = make_sandbox(seed=23, people=20, tick=0)
    with harness(endpoints, tmp_path / "cache", two_way=True) as made:
        everyone(made)
        yield made


def save_rule(h: Harness, rule: ConflictRule) -> None:
    """Job title both ways: Workbooks custom field <-> prospect `title`."""
    rules = (
        FieldRule(
            "person_last_name",
            "lastName",
            Direction.BOTH,
            FieldOptions(conflict_rule=rule.value),
        ),
    )
    with h.engine.begin() as conn:
        mappings = MappingSet().with_fields(FieldMapping(ObjectPair.PERSON_PROSPECT, rules))
        mapping_store.save_mappings(conn, mappings, "2026-11-22T00:00:00.000Z")


def linked_person(h: Harness, email: str) -> tuple[int, int]:
    [pid] = new_people(
        h, [{"person_first_name": "Di", "person_last_name": "Start", "main_location[email]": email}]
    )
    first = h.sync()
    assert first.outcome is RunOutcome.SUCCEEDED, first.error_message
    return pid, int(h.admin.person(pid)["cf_person_outreach_id"])


@pytest.mark.parametrize(
    ("rule", "outreach_last", "winner"),
    [
        (ConflictRule.CRM_WINS, True, "crm"),
        (ConflictRule.OUTREACH_WINS, False, "outreach"),
        (ConflictRule.NEWEST_WINS, True, "outreach"),  # Outreach changed last
        (ConflictRule.NEWEST_WINS, False, "crm"),  # Workbooks changed last
    ],
)
def test_both_sides_changed_the_rule_decides_and_the_conflict_is_recorded(
    h: Harness, rule: ConflictRule, outreach_last: bool, winner: str
) -> None:
    save_rule(h, rule)
    pid, prospect_id = linked_person(h, f"{rule.value}-{winner}@c.org")

    def change_outreach() -> None:
        patch_prospect(h, prospect_id, lastName="FromOutreach")

    def change_crm() -> None:
        set_person(h, pid, person_last_name="FromCrm")

    first, second = (
        (change_crm, change_outreach) if outreach_last else (change_outreach, change_crm)
    )
    first()
    # Workbooks keeps whole seconds: the sandbox's clock moves on so "newest" is unambiguous.
    h.admin.advance_clock(2)
    second()
    result = h.sync()
    assert result.outcome is RunOutcome.SUCCEEDED, result.error_message

    expected = "FromCrm" if winner == "crm" else "FromOutreach"
    assert prospect(h, prospect_id)["attributes"]["lastName"] == expected
    assert h.admin.person(pid)["person_last_name"] == expected
    with h.engine.connect() as conn:
        [conflict] = store.conflicts_of_run(conn, result.run_id)
    assert (conflict.crm_field, conflict.outreach_field) == ("person_last_name", "lastName")
    assert (conflict.crm_value, conflict.outreach_value) == ("FromCrm", "FromOutreach")
    assert conflict.last_value == "Start"
    assert (conflict.rule, conflict.winner) == (rule.value, winner)

    calm = h.sync()  # agreed now: no conflict, nothing written
    with h.engine.connect() as conn:
        assert store.conflicts_of_run(conn, calm.run_id) == []


def test_one_side_changed_is_not_a_conflict(h: Harness) -> None:
    save_rule(h, ConflictRule.CRM_WINS)
    pid, prospect_id = linked_person(h, "one@side.org")
    patch_prospect(h, prospect_id, lastName="OnlyOutreach")
    result = h.sync()
    assert result.outcome is RunOutcome.SUCCEEDED, result.error_message
    # Only Outreach changed: its value reaches Workbooks even though the rule says CRM wins.
    assert h.admin.person(pid)["person_last_name"] == "OnlyOutreach"
    with h.engine.connect() as conn:
        assert store.conflicts_of_run(conn, result.run_id) == []


def clients(h: Harness) -> tuple[WorkbooksSyncClient, OutreachSyncClient]:
    e = h.endpoints
    return (
        WorkbooksSyncClient(e.workbooks_base_url, e.workbooks_api_key),
        OutreachSyncClient(e.outreach_base_url, e.outreach_token),
    )


def act(h: Harness, person_id: int, action: HazardAction) -> None:
    async def run() -> None:
        workbooks, outreach_client = clients(h)
        async with workbooks, outreach_client:
            kind = person_kind(h.service.config.workbooks)
            await resolve(kind, person_id, action, workbooks, outreach_client, h.engine)

    asyncio.run(run())


def test_prospect_deleted_in_outreach_is_held_then_unlinked(h: Harness) -> None:
    sink = RecordingSink()
    h.service.notices = sink
    pid, prospect_id = linked_person(h, "gone@outreach.org")
    outreach(h, "DELETE", f"prospects/{prospect_id}")
    set_person(h, pid, person_last_name="Edited")  # the next sync looks at this person
    result = h.sync()
    assert result.outcome is RunOutcome.SUCCEEDED, result.error_message
    assert prospects_with_email(h, "gone@outreach.org") == []  # not re-created
    with h.engine.connect() as conn:
        [hazard] = store.open_hazards(conn)
    assert (hazard.crm_id, hazard.outreach_id, hazard.deleted_side) == (
        pid,
        prospect_id,
        "outreach",
    )
    assert "sync.delete_hazard" in sink.events()
    h.sync()
    assert prospects_with_email(h, "gone@outreach.org") == []  # still held
    assert sink.events().count("sync.delete_hazard") == 1  # warned once

    act(h, pid, HazardAction.UNLINK)
    person = h.admin.person(pid)
    assert person["cf_person_outreach_id"] is None
    assert person["cf_person_sync_to_outreach"] is False  # so it is not created again
    h.sync()
    assert prospects_with_email(h, "gone@outreach.org") == []
    with h.engine.connect() as conn:
        assert store.open_hazards(conn) == []


def test_person_deleted_in_workbooks_is_deleted_in_outreach_on_request(h: Harness) -> None:
    pid, prospect_id = linked_person(h, "gone@workbooks.org")
    delete_person(h, pid)
    result = h.sync()
    assert result.outcome is RunOutcome.SUCCEEDED, result.error_message
    with h.engine.connect() as conn:
        [hazard] = store.open_hazards(conn)
    assert (hazard.crm_id, hazard.deleted_side) == (pid, "crm")
    assert prospect(h, prospect_id)["id"] == prospect_id  # nothing deleted behind anyone's back
    # The push then finds no Workbooks person for the prospect: the deletion's consequence,
    # one issue with it, not a second one.
    with h.engine.begin() as conn:
        record_issues(
            conn,
            [person_issue(("outreach", prospect_id), "Di Start", "No person", unmatched=True)],
            None,
        )
    with h.engine.connect() as conn:
        [deletion] = [i for i in open_issues(conn) if i.record_label.startswith("Di")]
    assert deletion.source == "outreach.prospects"
    assert [c.record_key for c in deletion.consequences] == [str(prospect_id)]

    act(h, pid, HazardAction.DELETE_OTHER_SIDE)
    assert prospects_with_email(h, "gone@workbooks.org") == []
    with h.engine.connect() as conn:
        assert store.open_hazards(conn) == []
        assert store.link_of(conn, "person", pid) is None
        # The prospect is gone too, and with it "no Workbooks person" for it.
        assert [i for i in open_issues(conn) if i.record_label.startswith("Di")] == []


# Every test once on a SQLite cache and once on a PostgreSQL team store (tests/store_backends.py).
pytestmark = pytest.mark.usefixtures("store_backend")
