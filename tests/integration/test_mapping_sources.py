"""Mapping sources against the sandbox: stages, Workbooks picklists and metadata, Salesforce
LeadStatus and Contact describe, creating a stage, values renamed or deleted remotely, and a
source that fails while the others refresh."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

import loopback_http
from store_backends import open_sqlite
from syncmonitor.app.config import Config
from syncmonitor.connectors.errors import AuthenticationError, RequestRejectedError
from syncmonitor.connectors.salesforce import SalesforceClient
from syncmonitor.domain.mappings.values import CrmSource, FieldKind, StatusKind
from syncmonitor.engine.mappings.sources import (
    SourceRemotes,
    StageNameError,
    create_stage,
    refresh_sources,
)
from syncmonitor.sandbox.process import SandboxEndpoints
from syncmonitor.store import mappings as store
from syncmonitor.store.database import Database

MakeSandbox = Callable[..., SandboxEndpoints]


def remotes(e: SandboxEndpoints, **override: str | None) -> SourceRemotes:
    values: dict[str, str | None] = {
        "outreach_base_url": e.outreach_base_url,
        "outreach_token": e.outreach_token,
        "workbooks_base_url": e.workbooks_base_url,
        "workbooks_api_key": e.workbooks_api_key,
        "salesforce_base_url": e.salesforce_base_url,
        "salesforce_token": e.salesforce_token,
    }
    values.update(override)
    return SourceRemotes(**values)


@pytest.fixture
def db(tmp_path: Path) -> Database:
    database = open_sqlite(tmp_path / "cache.sqlite3")
    yield database  # type: ignore[misc]
    database.close()


def test_every_source_is_read_into_the_cache(sandbox: SandboxEndpoints, db: Database) -> None:
    report = asyncio.run(refresh_sources(remotes(sandbox), Config(), db.engine))
    assert report.errors == {}
    with db.engine.connect() as conn:
        stages = store.stages(conn)
        assert [s.name for s in stages or []] == [
            "New",
            "Approaching",
            "Replied",
            "Unresponsive",
            "Do Not Contact",
            "Bad Data",
        ]
        lead = store.statuses(conn, CrmSource.WORKBOOKS, StatusKind.LEAD)
        assert [v.api_name for v in lead or []][:3] == ["New", "Contacted", "Working"]
        sf_lead = store.statuses(conn, CrmSource.SALESFORCE, StatusKind.LEAD) or []
        assert [v.sort_order for v in sf_lead] == [1, 2, 4, 7, 9]  # not sequential, kept as is
        converted = [v.api_name for v in sf_lead if v.is_converted]
        assert converted == ["Closed - Converted"]
        assert [v.api_name for v in sf_lead if v.is_default] == ["Open - Not Contacted"]
        sf_contact = store.statuses(conn, CrmSource.SALESFORCE, StatusKind.CONTACT) or []
        assert "Legacy - Imported" not in [v.api_name for v in sf_contact]  # inactive value
        person = store.fields_of(conn, "workbooks", "person") or {}
        assert person["cf_person_lead_status"].kind is FieldKind.PICKLIST
        assert person["employer_link"].reference_to == "organisation"
        assert person["name"].read_only
        assert "fao_amount" in (store.fields_of(conn, "workbooks", "opportunity") or {})
        assert (store.fields_of(conn, "outreach", "prospect") or {})[
            "stage"
        ].kind is FieldKind.REFERENCE


def test_a_failing_source_is_reported_and_the_others_still_refresh(
    sandbox: SandboxEndpoints, db: Database
) -> None:
    report = asyncio.run(
        refresh_sources(remotes(sandbox, salesforce_token="wrong"), Config(), db.engine)
    )
    assert set(report.errors) == {
        "Salesforce LeadStatus values",
        "Salesforce Contact Status values",
    }
    assert "refused the access token" in report.errors["Salesforce LeadStatus values"]
    assert "Outreach stages" in report.read
    with db.engine.connect() as conn:
        assert store.read_errors(conn)["salesforce:lead"]
        assert store.stages(conn) is not None


def test_salesforce_needs_its_token(sandbox: SandboxEndpoints, db: Database) -> None:
    report = asyncio.run(
        refresh_sources(remotes(sandbox, salesforce_token=None), Config(), db.engine)
    )
    assert "SYNCMONITOR_SALESFORCE_TOKEN" in report.errors["Salesforce"]


def test_salesforce_soql_errors_and_paging(make_sandbox: MakeSandbox) -> None:
    e = make_sandbox(seed=3, people=5)
    admin = loopback_http.client(base_url=e.admin_url)
    for n in range(250):  # more than one batch of 200
        admin.post(
            "/salesforce/lead_statuses", json={"api_name": f"Extra {n:03d}"}
        ).raise_for_status()

    async def read() -> tuple[int, list[str]]:
        async with SalesforceClient(
            e.salesforce_base_url, e.salesforce_token, batch_size=200
        ) as client:
            statuses = await client.lead_statuses()
            with pytest.raises(RequestRejectedError, match=r"not supported"):
                await client.query("SELECT Id FROM Opportunity")
            return client.stats.requests, [s.api_name for s in statuses]

    requests, names = asyncio.run(read())
    assert len(names) == 255 and requests >= 3  # two pages and the refused query
    with pytest.raises(AuthenticationError):
        asyncio.run(_with_token(e, "nope"))


async def _with_token(e: SandboxEndpoints, token: str) -> None:
    async with SalesforceClient(e.salesforce_base_url, token) as client:
        await client.lead_statuses()


def test_creating_a_stage_and_refusing_one_already_there(
    make_sandbox: MakeSandbox, db: Database
) -> None:
    e = make_sandbox(seed=3, people=5)
    created = asyncio.run(create_stage(remotes(e), db.engine, "Nurture – ünïcode"))
    assert created.name == "Nurture – ünïcode" and created.id == 7
    with db.engine.connect() as conn:
        assert "Nurture – ünïcode" in [s.name for s in store.stages(conn) or []]
    with pytest.raises(StageNameError, match="already has a stage"):
        asyncio.run(create_stage(remotes(e), db.engine, "Replied"))
    with pytest.raises(StageNameError, match="characters long"):
        asyncio.run(create_stage(remotes(e), db.engine, "x" * 300))


def test_values_renamed_deleted_remotely_show_after_a_refresh(
    make_sandbox: MakeSandbox, db: Database
) -> None:
    e = make_sandbox(seed=3, people=5)
    admin = loopback_http.client(base_url=e.admin_url)
    admin.put("/workbooks/picklist_entries/103", json={"value": "Working on it"}).raise_for_status()
    admin.delete("/workbooks/picklist_entries/104").raise_for_status()
    admin.delete("/outreach/stages/6").raise_for_status()
    asyncio.run(refresh_sources(remotes(e), Config(), db.engine))
    with db.engine.connect() as conn:
        lead = [
            v.api_name for v in store.statuses(conn, CrmSource.WORKBOOKS, StatusKind.LEAD) or []
        ]
        stages = [s.name for s in store.stages(conn) or []]
    assert "Working on it" in lead and "Working" not in lead and "Nurturing" not in lead
    assert "Bad Data" not in stages


def test_sample_records_for_the_preview_are_read_without_writing(
    sandbox: SandboxEndpoints, db: Database
) -> None:
    from syncmonitor.connectors.outreach.mapping import OutreachMappingClient
    from syncmonitor.connectors.workbooks.client import WorkbooksClient
    from syncmonitor.engine.mappings.samples import read_samples

    async def read() -> int:
        async with (
            WorkbooksClient(sandbox.workbooks_base_url, sandbox.workbooks_api_key) as workbooks,
            OutreachMappingClient(sandbox.outreach_base_url, sandbox.outreach_token) as outreach,
        ):
            return await read_samples(workbooks, outreach, db.engine, Config(), limit=20)

    count = asyncio.run(read())
    assert 10 <= count <= 20  # people without an Outreach id on them are not sampled
    with db.engine.connect() as conn:
        pairs = store.sample_pairs(conn, "person", "prospect")
        organisations = store.records_of(conn, "crm", "organisation")
        accounts = store.records_of(conn, "outreach", "account")
    assert len(pairs) == count
    first = pairs[0]
    assert int(first.crm["cf_person_outreach_id"]) == first.outreach_id
    assert "stage" in first.outreach and "cf_person_lead_status" in first.crm
    assert organisations and accounts
    with db.engine.connect() as conn:
        org_pairs = store.sample_pairs(conn, "organisation", "account")
    assert org_pairs and org_pairs[0].outreach["customId"] == str(org_pairs[0].crm_id)
    for pair in pairs:  # nothing was written: every person is still at the version read
        stored = loopback_http.get(f"{sandbox.admin_url}/workbooks/people/{pair.crm_id}").json()
        assert stored["lock_version"] == pair.crm["lock_version"]
