"""The connection doctor against the sandbox: one read-only request per resource each enabled
feature needs, each answered OK or with what is wrong (a missing scope named, a refused token,
an unreachable host, a clock off for Spotler's signed requests) and what to do."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest

from syncmonitor.app.config import Config, MappingSettings, OutreachSettings, WorkbooksSettings
from syncmonitor.engine.connections.doctor import Diagnosis, Verdict, diagnose
from syncmonitor.engine.runs.jobs import Remotes
from syncmonitor.sandbox.admin import AdminClient
from syncmonitor.sandbox.process import SandboxEndpoints


@pytest.fixture
def endpoints(sandbox: SandboxEndpoints) -> SandboxEndpoints:
    """The shared frozen sandbox: the doctor only reads (a scope taken away is given back)."""
    return sandbox


def config(ep: SandboxEndpoints, *, two_way: bool = True) -> Config:
    return Config(
        outreach=OutreachSettings(base_url=ep.outreach_base_url),
        workbooks=WorkbooksSettings(base_url=ep.workbooks_base_url, two_way_enabled=two_way),
        mappings=MappingSettings(sync_enabled=True),
    )


def remotes(ep: SandboxEndpoints, **changes: Any) -> Remotes:
    values: dict[str, Any] = {
        "outreach_base_url": ep.outreach_base_url,
        "outreach_token": ep.outreach_token,
        "workbooks_base_url": ep.workbooks_base_url,
        "workbooks_api_key": ep.workbooks_api_key,
        "spotler_base_url": ep.spotler_base_url,
        "spotler_consumer_key": ep.spotler_consumer_key,
        "spotler_consumer_secret": ep.spotler_consumer_secret,
        "salesforce_base_url": ep.salesforce_base_url,
        "salesforce_token": ep.salesforce_token,
    }
    values.update(changes)
    positional = [values.pop(k) for k in ("outreach_base_url", "outreach_token")]
    positional += [values.pop(k) for k in ("workbooks_base_url", "workbooks_api_key")]
    return Remotes(*positional, **values)


def run(cfg: Config, r: Remotes) -> Diagnosis:
    return asyncio.run(diagnose(cfg, r))


def by_resource(found: Diagnosis) -> dict[tuple[str, str], Verdict]:
    return {(f.service, f.resource): f.verdict for f in found.findings}


def test_every_resource_of_every_enabled_feature_is_checked_and_ok(
    endpoints: SandboxEndpoints,
) -> None:
    found = run(config(endpoints), remotes(endpoints))
    assert found.ok, [f.line() for f in found.problems]
    checked = by_resource(found)
    for resource in ("sequenceStates", "prospects", "accounts", "opportunities", "tasks", "calls"):
        assert ("Outreach", resource) in checked
    assert ("Outreach", "stages") in checked
    for endpoint in ("crm/people.api", "crm/organisations.api", "activity/tasks.api"):
        assert ("Workbooks", endpoint) in checked
    assert ("Spotler", "campaign/list") in checked and ("Salesforce", "LeadStatus") in checked


def test_a_feature_turned_off_is_not_checked(endpoints: SandboxEndpoints) -> None:
    found = run(config(endpoints, two_way=False), remotes(endpoints))
    assert ("Outreach", "calls") not in by_resource(found)


def test_a_missing_scope_is_named_and_only_its_resource_fails(
    endpoints: SandboxEndpoints,
) -> None:
    admin = AdminClient(endpoints.admin_url)
    admin.outreach_scopes(["calls.read"])
    try:
        found = run(config(endpoints), remotes(endpoints))
    finally:
        admin.outreach_scopes([])
    [problem] = found.problems
    assert (problem.service, problem.resource) == ("Outreach", "calls")
    assert problem.verdict is Verdict.PERMISSION
    assert "calls.read" in problem.todo and "Sign in again" in problem.todo
    assert "calls.read" in problem.detail  # the remote's own words
    assert by_resource(found)[("Outreach", "tasks")] is Verdict.OK


def test_a_refused_token_is_told_for_every_resource_of_that_remote_only(
    endpoints: SandboxEndpoints,
) -> None:
    found = run(config(endpoints), remotes(endpoints, outreach_token="revoked-token-0000"))
    outreach = [f for f in found.findings if f.service == "Outreach"]
    assert outreach and all(f.verdict is Verdict.CREDENTIALS for f in outreach)
    assert "Settings > Connections > Outreach" in outreach[0].todo
    assert all(f.ok for f in found.findings if f.service != "Outreach")
    assert "revoked-token-0000" not in json.dumps([f.to_json() for f in found.findings])


def test_an_unreachable_host_says_so(endpoints: SandboxEndpoints) -> None:
    found = run(
        config(endpoints, two_way=False),
        remotes(endpoints, workbooks_base_url="http://127.0.0.1:9/"),
    )
    workbooks = [f for f in found.findings if f.service == "Workbooks"]
    assert workbooks and all(f.verdict is Verdict.UNREACHABLE for f in workbooks)
    assert "proxy or VPN" in workbooks[0].todo


def test_a_clock_ten_minutes_off_is_told_for_spotler(
    endpoints: SandboxEndpoints, monkeypatch: pytest.MonkeyPatch
) -> None:
    import oauthlib.oauth1.rfc5849 as rfc5849

    monkeypatch.setattr(rfc5849, "generate_timestamp", lambda: str(int(time.time()) - 600))
    found = run(config(endpoints, two_way=False), remotes(endpoints))
    spotler = next(f for f in found.findings if f.service == "Spotler")
    assert spotler.verdict is Verdict.CLOCK, spotler
    assert "clock" in spotler.todo
    assert all(f.ok for f in found.findings if f.service != "Spotler")


def test_a_resource_the_account_lacks_is_not_found(
    endpoints: SandboxEndpoints, monkeypatch: pytest.MonkeyPatch
) -> None:
    from syncmonitor.engine.connections import probes

    real = probes._outreach
    monkeypatch.setattr(probes, "_outreach", lambda r: real("noSuchThing" if r == "calls" else r))
    found = run(config(endpoints), remotes(endpoints))
    [problem] = found.problems
    assert problem.resource == "calls" and problem.verdict is Verdict.NOT_FOUND
