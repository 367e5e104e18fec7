"""The two-way sync's outbound half end to end against the sandbox: Workbooks people become
Outreach prospects through the mappings, linked on both sides; duplicates, missing emails and a
422 for one record become issues with the remote's words while the rest go through; a second
run writes nothing. What the sandbox holds is read over its own APIs."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from engine_helpers import Harness, harness, workbooks_write
from sqlalchemy import select
from two_way_helpers import (
    everyone,
    new_people,
    outreach,
    prospect,
    prospects_with_email,
    requests,
    set_person,
    workbooks_list,
    writes,
)

from syncmonitor.connectors.outreach.sync import OutreachSyncClient
from syncmonitor.connectors.workbooks.sync import WorkbooksSyncClient
from syncmonitor.domain.mappings.fields import Direction, FieldMapping, FieldRule, ObjectPair
from syncmonitor.domain.mappings.mapping_set import MappingSet
from syncmonitor.engine.runs.events import RunOutcome
from syncmonitor.engine.two_way.outbound.kinds import person_kind
from syncmonitor.engine.two_way.outbound.sync import OutboundCounts, sync_outbound
from syncmonitor.sandbox.process import SandboxEndpoints
from syncmonitor.store import mappings as mapping_store
from syncmonitor.store.issues_schema import sync_issues

PEOPLE = 30


@pytest.fixture
def h(make_sandbox: Callable[..., SandboxEndpoints], tmp_path: Path) -> Iterator[Harness]:
    endpoints = make_sandbox(seed=21, people=PEOPLE, tick=0)
    with harness(endpoints, tmp_path / "cache", two_way=True) as made:
        everyone(made)
        yield made


def open_issues(h: Harness) -> dict[str, str]:
    with h.engine.connect() as conn:
        rows = conn.execute(
            select(sync_issues.c.record_key, sync_issues.c.problem).where(
                sync_issues.c.source == "outreach.prospects"
            )
        ).all()
    return {key: problem for key, problem in rows}


def test_new_people_become_linked_prospects_and_a_second_run_writes_nothing(h: Harness) -> None:
    ada, bob = new_people(
        h,
        [
            {
                "person_first_name": "Ada",
                "person_last_name": "Lovelace",
                "main_location[email]": "  Ada.Lovelace@Example.COM ",
            },
            {
                "person_first_name": "Bob",
                "person_last_name": "Babbage",
                "main_location[email]": "bob@engines.org; Bob.B@Engines.org",
            },
        ],
    )
    first = h.sync()
    assert first.outcome is RunOutcome.SUCCEEDED, first.error_message
    assert first.records_written.get("outreach_people_created") == 2

    [made] = prospects_with_email(h, "ada.lovelace@example.com")
    attrs = made["attributes"]
    assert attrs["emails"] == ["ada.lovelace@example.com"]  # trimmed, lower case
    assert (attrs["firstName"], attrs["lastName"]) == ("Ada", "Lovelace")
    assert attrs["externalId"] == str(ada)  # linked on the Outreach side
    assert h.admin.person(ada)["cf_person_outreach_id"] == str(made["id"])  # and in Workbooks
    [two] = prospects_with_email(h, "bob@engines.org")
    assert two["attributes"]["emails"] == ["bob@engines.org", "bob.b@engines.org"]
    assert h.admin.person(bob)["cf_person_outreach_id"] == str(two["id"])

    # Existing sandbox people already have prospects (externalId = person id): linked, not copied.
    existing = h.admin.person(10001)
    if existing["cf_person_sync_to_outreach"] and not existing["is_deleted"]:
        email = existing["main_location[email]"].strip().lower()
        assert len(prospects_with_email(h, email)) == 1

    before_writes, before_requests = writes(h), requests(h)
    second = h.sync()
    assert second.outcome is RunOutcome.SUCCEEDED, second.error_message
    assert writes(h) == before_writes  # idempotent: not a single write, on either side
    spent = {k: requests(h)[k] - before_requests[k] for k in before_requests}
    # About one request per resource read: Outreach sequence states, prospects, accounts,
    # tasks, calls; Workbooks people, organisations, deleted records, the mapping job's read.
    assert spent["outreach"] <= 8, spent
    assert spent["workbooks"] <= 10, spent
    assert not any(k.startswith("outreach_people_") for k in second.records_written)


def test_missing_email_duplicates_and_a_refused_record_become_issues(h: Harness) -> None:
    taken = h.admin.person(10002)["main_location[email]"].strip().lower()
    no_email, duplicate, twin_a, twin_b, too_long, fine = new_people(
        h,
        [
            {"person_first_name": "No", "person_last_name": "Email", "main_location[email]": ""},
            {"person_first_name": "Copy", "person_last_name": "Cat", "main_location[email]": taken},
            {
                "person_first_name": "Twin",
                "person_last_name": "A",
                "main_location[email]": "t@w.in",
            },
            {
                "person_first_name": "Twin",
                "person_last_name": "B",
                "main_location[email]": "T@W.IN",
            },
            {
                "person_first_name": "L" * 300,  # Outreach takes at most 255 characters
                "person_last_name": "Long",
                "main_location[email]": "long@name.org",
            },
            {
                "person_first_name": "Fine",
                "person_last_name": "One",
                "main_location[email]": "ok@fine.org",
            },
        ],
    )
    result = h.sync()
    assert result.outcome is RunOutcome.SUCCEEDED, result.error_message
    issues = open_issues(h)

    assert "email" in issues[f"workbooks:{no_email}"].lower()
    assert h.admin.person(no_email)["cf_person_outreach_sync_error"] is True

    assert h.admin.person(duplicate)["cf_person_outreach_duplicate"] is True
    assert len(prospects_with_email(h, taken)) == 1  # never created twice
    assert "already has prospect" in issues[f"workbooks:{duplicate}"]

    # Two new Workbooks people with one address: the first is sent, the second flagged.
    assert len(prospects_with_email(h, "t@w.in")) == 1
    assert h.admin.person(twin_a)["cf_person_outreach_duplicate"] is False
    assert h.admin.person(twin_b)["cf_person_outreach_duplicate"] is True

    # Outreach's 422 for one record: its words on the Issues list, the flag set, others created.
    assert "at most 255 characters" in issues[f"workbooks:{too_long}"]
    assert h.admin.person(too_long)["cf_person_outreach_sync_error"] is True
    assert prospects_with_email(h, "long@name.org") == []
    [made] = prospects_with_email(h, "ok@fine.org")
    assert h.admin.person(fine)["cf_person_outreach_id"] == str(made["id"])
    assert f"workbooks:{fine}" not in issues

    # Fixed and flag cleared: the next sync sends it and the issue clears itself.
    set_person(h, too_long, person_first_name="Lou", cf_person_outreach_sync_error=False)
    again = h.sync()
    assert again.outcome is RunOutcome.SUCCEEDED, again.error_message
    [sent] = prospects_with_email(h, "long@name.org")
    assert sent["attributes"]["firstName"] == "Lou"
    assert f"workbooks:{too_long}" not in open_issues(h)


def test_changes_in_workbooks_reach_the_linked_prospect(h: Harness) -> None:
    [pid] = new_people(
        h,
        [
            {
                "person_first_name": "Cy",
                "person_last_name": "Old",
                "main_location[email]": "cy@o.org",
            }
        ],
    )
    assert h.sync().outcome is RunOutcome.SUCCEEDED
    prospect_id = int(h.admin.person(pid)["cf_person_outreach_id"])
    set_person(h, pid, person_last_name="New")
    result = h.sync()
    assert result.outcome is RunOutcome.SUCCEEDED, result.error_message
    assert prospect(h, prospect_id)["attributes"]["lastName"] == "New"
    assert len(prospects_with_email(h, "cy@o.org")) == 1


def test_organisations_become_accounts_once(h: Harness) -> None:
    result = h.sync()
    assert result.outcome is RunOutcome.SUCCEEDED, result.error_message
    # The sandbox's organisations already have accounts (customId = organisation id): linked.
    assert "outreach_organisations_created" not in result.records_written
    organisations = workbooks_list(h, "crm/organisations")
    assert organisations and all(o["created_through_reference"] for o in organisations)


def test_opportunities_follow_through_the_mapping_and_a_nameless_one_is_refused(
    h: Harness,
) -> None:
    rules = (FieldRule("amount", "amount", Direction.LOAD),)
    with h.engine.begin() as conn:
        mappings = MappingSet().with_fields(FieldMapping(ObjectPair.OPPORTUNITY, rules))
        mapping_store.save_mappings(conn, mappings, "2026-11-22T00:00:00.000Z")
    answer = workbooks_write(
        h.endpoints,
        [{"name": "Fleet renewal", "amount": "1,500"}, {"name": "", "amount": "10"}],
        method="POST",
        endpoint="crm/opportunities",
    )
    deal, nameless = (int(o["id"]) for o in answer["affected_objects"])
    result = h.sync()
    assert result.outcome is RunOutcome.SUCCEEDED, result.error_message
    # Outreach's opportunity has no attribute for a CRM id: the link is Workbooks'
    # created_through_reference (and the cache), and nothing undocumented is stamped on it.
    [saved] = workbooks_list(h, "crm/opportunities", id=str(deal))
    made = outreach(h, "GET", f"opportunities/{saved['created_through_reference']}")["data"]
    assert (made["attributes"]["name"], made["attributes"]["amount"]) == ("Fleet renewal", 1500)
    assert "externalCrmId" not in made["attributes"]
    every = outreach(h, "GET", "opportunities")["data"]
    assert [o["attributes"]["name"] for o in every].count("Fleet renewal") == 1
    assert "" not in [o["attributes"]["name"] for o in every]  # the nameless one is not sent
    with h.engine.connect() as conn:
        problems = dict(
            conn.execute(
                select(sync_issues.c.record_key, sync_issues.c.problem).where(
                    sync_issues.c.source == "outreach.opportunities"
                )
            ).all()
        )
    assert "needs a name" in problems[f"workbooks:{nameless}"]
    before = writes(h)
    again = h.sync()
    assert again.outcome is RunOutcome.SUCCEEDED, again.error_message
    assert writes(h) == before  # linked, and the nameless one is refused before sending
    assert "outreach_opportunities_created" not in again.records_written


def outbound_once(h: Harness) -> OutboundCounts:
    """Only the outbound people job, so a fault meets its writes and nothing else's."""

    async def run() -> OutboundCounts:
        e = h.endpoints
        counts = OutboundCounts()
        async with (
            WorkbooksSyncClient(e.workbooks_base_url, e.workbooks_api_key) as workbooks,
            OutreachSyncClient(e.outreach_base_url, e.outreach_token) as outreach_client,
        ):
            await sync_outbound(
                person_kind(h.service.config.workbooks),
                workbooks,
                outreach_client,
                h.engine,
                h.service.config,
                run_id=None,
                counts=counts,
            )
        return counts

    return asyncio.run(run())


def test_a_lock_conflict_is_read_again_and_retried_once_then_an_issue(h: Harness) -> None:
    [once] = new_people(
        h,
        [{"person_first_name": "Lo", "person_last_name": "Ck", "main_location[email]": "l@c.org"}],
    )
    h.admin.set_faults(target="workbooks", lock_conflict_next=1)
    counts = outbound_once(h)
    assert counts.created == 1 and counts.failed == 0
    [made] = prospects_with_email(h, "l@c.org")
    assert h.admin.person(once)["cf_person_outreach_id"] == str(made["id"])

    [twice] = new_people(
        h,
        [{"person_first_name": "Re", "person_last_name": "Try", "main_location[email]": "r@t.org"}],
    )
    h.admin.set_faults(target="workbooks", lock_conflict_next=2)
    counts = outbound_once(h)
    assert counts.failed == 1
    assert "updated elsewhere" in open_issues(h)[f"workbooks:{twice}"]
    assert h.admin.person(twice)["cf_person_outreach_id"] is None
    h.admin.clear_faults()
    counts = outbound_once(h)  # the next run finds its prospect by externalId and links it
    [sent] = prospects_with_email(h, "r@t.org")
    assert h.admin.person(twice)["cf_person_outreach_id"] == str(sent["id"])
    assert f"workbooks:{twice}" not in open_issues(h)


# Every test once on a SQLite cache and once on a PostgreSQL team store (tests/store_backends.py).
pytestmark = pytest.mark.usefixtures("store_backend")
