"""The sync uses the saved mappings, end to end against the sandbox: stages loaded from the lead
status and pushed back as the contact status, and each advanced option changing what is sent.

What the sandbox holds is read over its own admin API (prospect stage and custom fields, the stored
Workbooks person), never through the app's connectors or cache.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from engine_helpers import Harness, harness, workbooks_write

import loopback_http
from syncmonitor.domain.mappings.fields import (
    Direction,
    FieldMapping,
    FieldOptions,
    FieldRule,
    ObjectPair,
)
from syncmonitor.domain.mappings.mapping_set import MappingSet
from syncmonitor.domain.mappings.statuses import StatusMapping, StatusRule, resolve_stages
from syncmonitor.domain.mappings.values import StatusKind
from syncmonitor.engine.mappings.job import source_remotes
from syncmonitor.engine.mappings.sources import refresh_sources
from syncmonitor.engine.runs.events import RunOutcome
from syncmonitor.sandbox.process import SandboxEndpoints
from syncmonitor.store import mappings as store

PEOPLE = 40
FIRST = 10001
LEAD_TO_STAGE = {
    "New": "New",
    "Contacted": "Approaching",
    "Working": "Unresponsive",
    "Nurturing": "Bad Data",
    "Qualified": "Replied",
    "Unqualified": "Do Not Contact",
}  # "Converted" stays unmapped: people with it are skipped, not given a stage
STAGE_TO_CONTACT = {
    "Approaching": "Active",
    "Replied": "Engaged",
    "Do Not Contact": "Do Not Contact",
}


@pytest.fixture
def h(make_sandbox: Callable[..., SandboxEndpoints], tmp_path: Path) -> Iterator[Harness]:
    endpoints = make_sandbox(seed=11, people=PEOPLE, tick=0)
    with harness(endpoints, tmp_path / "cache") as made:
        asyncio.run(
            refresh_sources(source_remotes(made.service.remotes), made.service.config, made.engine)
        )
        yield made


def admin_get(h: Harness, path: str) -> Any:
    response = loopback_http.get(f"{h.endpoints.admin_url}{path}", timeout=30)
    response.raise_for_status()
    return response.json()


def save(h: Harness, rules: list[FieldRule], status: dict[StatusKind, dict[str, str]]) -> None:
    """Save a mapping set: `status` maps CRM status -> stage name per kind."""
    with h.engine.begin() as conn:
        stages = store.stages(conn)
        assert stages is not None
        mappings = MappingSet()
        for kind, pairs in status.items():
            mapping = StatusMapping(kind, tuple(StatusRule(c, s) for c, s in pairs.items()))
            mappings = mappings.with_status(resolve_stages(mapping, stages))
        mappings = mappings.with_fields(FieldMapping(ObjectPair.PERSON_PROSPECT, tuple(rules)))
        store.save_mappings(conn, mappings, "2026-11-22T00:00:00.000Z")


def stage_names(h: Harness) -> dict[int, str]:
    with h.engine.connect() as conn:
        stages = store.stages(conn)
    assert stages is not None
    return {s.id: s.name for s in stages}


def linked(h: Harness) -> dict[int, int]:
    """person id -> prospect id, from the sandbox (prospect externalId is the person id)."""
    found: dict[int, int] = {}
    url = f"{h.endpoints.outreach_base_url}/prospects?page[size]=1000&fields[prospect]=externalId"
    headers = {
        "Authorization": f"Bearer {h.endpoints.outreach_token}",
        "Content-Type": "application/vnd.api+json",
    }
    for resource in loopback_http.get(url, headers=headers, timeout=30).json()["data"]:
        found[int(resource["attributes"]["externalId"])] = resource["id"]
    return found


def people(h: Harness) -> dict[int, dict[str, Any]]:
    return {i: h.admin.person(i) for i in range(FIRST, FIRST + PEOPLE)}


def test_lead_status_loads_the_stage_and_an_unmapped_status_is_left_alone(h: Harness) -> None:
    lead_rule = FieldRule(
        "cf_person_lead_status",
        "stage",
        Direction.LOAD,
        FieldOptions(skip_empty_loading=True, lookup=True, external_mapped_field="LeadStatus"),
    )
    save(h, [lead_rule], {StatusKind.LEAD: LEAD_TO_STAGE})
    before = {
        pid: admin_get(h, f"/outreach/prospects/{pid}")["stage"] for pid in linked(h).values()
    }
    result = h.sync()
    assert result.outcome is RunOutcome.SUCCEEDED, result.error_message
    names = stage_names(h)
    checked = 0
    for person_id, prospect_id in linked(h).items():
        person = h.admin.person(person_id)
        if person["is_deleted"]:
            continue
        stage = admin_get(h, f"/outreach/prospects/{prospect_id}")["stage"]
        status = person["cf_person_lead_status"]
        if status in LEAD_TO_STAGE:
            assert names[stage] == LEAD_TO_STAGE[status], person_id
            checked += 1
        else:  # blank (skip empty) or "Converted" (unmapped): the stage did not move
            assert stage == before[prospect_id], person_id
    assert checked > PEOPLE // 2
    assert result.records_written.get("mapped_prospects", 0) > 0
    again = h.sync()
    assert again.records_written.get("mapped_prospects", 0) == 0  # nothing left to change


def test_stage_is_sent_as_the_contact_status(h: Harness) -> None:
    rule = FieldRule(
        "cf_person_contact_status",
        "stage",
        Direction.SEND,
        FieldOptions(skip_empty_sending=True, lookup=True, external_mapped_field="ContactStatus"),
    )
    save(h, [rule], {StatusKind.CONTACT: {c: s for s, c in STAGE_TO_CONTACT.items()}})
    before = people(h)
    assert h.sync().outcome is RunOutcome.SUCCEEDED
    names = stage_names(h)
    moved = 0
    for person_id, prospect_id in linked(h).items():
        if before[person_id]["is_deleted"]:
            continue
        stage = names.get(admin_get(h, f"/outreach/prospects/{prospect_id}")["stage"])
        now = h.admin.person(person_id)["cf_person_contact_status"]
        if stage in STAGE_TO_CONTACT:
            assert now == STAGE_TO_CONTACT[stage]
            moved += now != before[person_id]["cf_person_contact_status"]
        else:
            assert now == before[person_id]["cf_person_contact_status"]
    assert moved > 0


def _seed_reference(h: Harness, value: str | None) -> None:
    current = people(h)
    workbooks_write(
        h.endpoints,
        [
            {"id": i, "lock_version": p["lock_version"], "created_through_reference": value}
            for i, p in current.items()
            if not p["is_deleted"]
        ],
    )


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (FieldOptions(), None),  # a blank custom1 empties the CRM field
        (FieldOptions(skip_empty_sending=True), "keep me"),  # blank not sent
        (FieldOptions(external_placeholder="(none in Outreach)"), "(none in Outreach)"),
    ],
)
def test_sending_options_change_what_the_crm_gets(
    h: Harness, options: FieldOptions, expected: str | None
) -> None:
    _seed_reference(h, "keep me")
    save(h, [FieldRule("created_through_reference", "custom1", Direction.SEND, options)], {})
    assert h.sync().outcome is RunOutcome.SUCCEEDED
    for person_id in linked(h):
        person = h.admin.person(person_id)
        if not person["is_deleted"]:
            assert person["created_through_reference"] == expected


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (FieldOptions(), None),  # a blank CRM value empties custom2
        (FieldOptions(skip_empty_loading=True), "from before"),
        (FieldOptions(internal_placeholder="n/a"), "n/a"),
    ],
)
def test_loading_options_change_what_outreach_gets(
    h: Harness, options: FieldOptions, expected: str | None
) -> None:
    _seed_reference(h, None)
    prospects = linked(h)
    headers = {
        "Authorization": f"Bearer {h.endpoints.outreach_token}",
        "Content-Type": "application/vnd.api+json",
    }
    some = sorted(prospects.items())[:5]
    for _person, pid in some:
        body = {"data": {"type": "prospect", "id": pid, "attributes": {"custom2": "from before"}}}
        loopback_http.patch(
            f"{h.endpoints.outreach_base_url}/prospects/{pid}", json=body, headers=headers
        ).raise_for_status()
    save(h, [FieldRule("created_through_reference", "custom2", Direction.LOAD, options)], {})
    assert h.sync().outcome is RunOutcome.SUCCEEDED
    for person_id, pid in some:
        if not h.admin.person(person_id)["is_deleted"]:
            assert admin_get(h, f"/outreach/prospects/{pid}")["custom"].get("custom2") == expected


def test_lookup_options_resolve_the_employer(h: Harness) -> None:
    """employer_link (an organisation id) looked up to its Outreach account: its id, or with
    Display name its name; by name, a renamed organisation no longer matches and is skipped."""
    accounts = loopback_http.get(
        f"{h.endpoints.outreach_base_url}/accounts?page[size]=1000",
        headers={
            "Authorization": f"Bearer {h.endpoints.outreach_token}",
            "Content-Type": "application/vnd.api+json",
        },
        timeout=30,
    ).json()["data"]
    by_org = {int(a["attributes"]["customId"]): a for a in accounts}
    rule = FieldRule(
        "employer_link", "custom3", Direction.LOAD, FieldOptions(lookup=True, display_name=True)
    )
    save(h, [rule], {})
    assert h.sync().outcome is RunOutcome.SUCCEEDED
    employed = {i: p for i, p in people(h).items() if p["employer_link"] and not p["is_deleted"]}
    assert employed
    prospects = linked(h)
    for person_id, person in employed.items():
        custom = admin_get(h, f"/outreach/prospects/{prospects[person_id]}")["custom"]
        assert custom.get("custom3") == by_org[person["employer_link"]]["attributes"]["name"]

    id_rule = FieldRule("employer_link", "custom3", Direction.LOAD, FieldOptions(lookup=True))
    save(h, [id_rule], {})
    assert h.sync().outcome is RunOutcome.SUCCEEDED
    for person_id, person in employed.items():
        custom = admin_get(h, f"/outreach/prospects/{prospects[person_id]}")["custom"]
        assert custom.get("custom3") == str(by_org[person["employer_link"]]["id"])


def test_look_up_by_name_misses_a_renamed_organisation_where_by_id_still_finds_it(
    h: Harness,
) -> None:
    employed = {i: p for i, p in people(h).items() if p["employer_link"] and not p["is_deleted"]}
    renamed_org = next(iter(employed.values()))["employer_link"]
    org = loopback_http.get(
        f"{h.endpoints.workbooks_base_url}/crm/organisations.api",
        params={
            "api_key": h.endpoints.workbooks_api_key,
            "_ff[]": "id",
            "_ft[]": "eq",
            "_fc[]": str(renamed_org),
        },
        headers={"User-Agent": "syncmonitor-tests/1.0"},
        timeout=30,
    ).json()["data"][0]
    form = [
        ("api_key", h.endpoints.workbooks_api_key),
        ("_ff[]", "id"),
        ("_ft[]", "eq"),
        ("_fc[]", str(renamed_org)),
        ("__method[]", "PUT"),
        ("id[]", str(renamed_org)),
        ("lock_version[]", str(org["lock_version"])),
        ("name[]", "Renamed In The CRM Ltd"),
    ]
    answer = loopback_http.put(
        f"{h.endpoints.workbooks_base_url}/crm/organisations.api",
        data=dict(form),
        headers={"User-Agent": "syncmonitor-tests/1.0"},
        timeout=30,
    ).json()
    assert answer["success"], answer
    prospects = linked(h)
    by_name = FieldRule(
        "employer_link",
        "custom3",
        Direction.LOAD,
        FieldOptions(lookup=True, lookup_by_name=True, display_name=True),
    )
    save(h, [by_name], {})
    assert h.sync().outcome is RunOutcome.SUCCEEDED
    for person_id, person in employed.items():
        custom = admin_get(h, f"/outreach/prospects/{prospects[person_id]}")["custom"]
        if person["employer_link"] == renamed_org:
            assert custom.get("custom3") is None  # no account has the new name: left alone
        else:
            assert custom.get("custom3")
    by_id = FieldRule(
        "employer_link", "custom3", Direction.LOAD, FieldOptions(lookup=True, display_name=True)
    )
    save(h, [by_id], {})
    assert h.sync().outcome is RunOutcome.SUCCEEDED
    for person_id, person in employed.items():
        if person["employer_link"] == renamed_org:
            custom = admin_get(h, f"/outreach/prospects/{prospects[person_id]}")["custom"]
            assert custom.get("custom3") == org["name"]  # the account, found by its CRM id
