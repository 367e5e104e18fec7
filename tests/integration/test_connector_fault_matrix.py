"""The fault matrix for every connector: each of the sandbox's faults, met once (the connector
retries and returns exactly what a fault-free read returns), met on every attempt (one typed error
a person can read, naming the service, with no secret in it), and gone again (the next read is the
fault-free one). The sync jobs meet the same faults in test_engine_faults, test_paging_faults,
test_timeouts and test_outreach_oauth_sandbox; the mailshot queue in test_mailshot_monitor.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest

import loopback_http
from reliability_log import record
from syncmonitor.connectors.errors import ConnectorError, RequestRejectedError
from syncmonitor.connectors.http.retry import RetryPolicy
from syncmonitor.connectors.outreach.client import OutreachClient
from syncmonitor.connectors.salesforce import SalesforceClient
from syncmonitor.connectors.salesmate import SalesmateAccess, SalesmateClient
from syncmonitor.connectors.spotler import SpotlerClient
from syncmonitor.connectors.workbooks.client import WorkbooksClient
from syncmonitor.sandbox.admin import AdminClient
from syncmonitor.sandbox.process import SandboxEndpoints, SandboxProcess

POLICY = RetryPolicy(
    max_attempts=3, base_delay=0.01, max_delay=0.02, max_wait_for_rate_limit=5, request_timeout=1.5
)
Read = Callable[[SandboxEndpoints], Awaitable[Any]]


async def _outreach(e: SandboxEndpoints) -> Any:
    async with OutreachClient(e.outreach_base_url, e.outreach_token, policy=POLICY) as client:
        async for page in client.sequence_state_pages(None):
            return sorted((s.id, s.state) for s in page.states)
    return []


async def _workbooks(e: SandboxEndpoints) -> Any:
    async with WorkbooksClient(e.workbooks_base_url, e.workbooks_api_key, policy=POLICY) as client:
        async for page in client.iter_records("crm/people", page_size=25):
            return sorted((r["id"], r["lock_version"]) for r in page)
    return []


async def _salesforce(e: SandboxEndpoints) -> Any:
    async with SalesforceClient(e.salesforce_base_url, e.salesforce_token, policy=POLICY) as sf:
        return [s.api_name for s in await sf.lead_statuses()]


async def _spotler(e: SandboxEndpoints) -> Any:
    async with SpotlerClient(
        e.spotler_base_url, e.spotler_consumer_key, e.spotler_consumer_secret, policy=POLICY
    ) as spotler:
        return sorted(c.encrypted_id for c in await spotler.campaigns())


CONNECTORS: dict[str, tuple[str, Read, str]] = {
    # name: (fault target, representative read, the service's name in its errors)
    "Outreach": ("outreach", _outreach, "Outreach"),
    "Workbooks": ("workbooks", _workbooks, "Workbooks"),
    "Salesforce": ("salesforce", _salesforce, "Salesforce"),
    "Spotler": ("spotler", _spotler, "Spotler"),
}
FAULTS: dict[str, dict[str, Any]] = {
    "HTTP 500": {"fail_status": 500},
    "HTTP 502": {"fail_status": 502},
    "HTTP 503": {"fail_status": 503, "retry_after": 0},
    "429 with Retry-After": {"fail_status": 429, "retry_after": 0},
    "429 without Retry-After": {"fail_status": 429, "retry_after": None},
    "dropped connection mid-body": {"kind": "drop"},
    "truncated JSON": {"kind": "truncate"},
    "malformed JSON": {"kind": "malformed"},
}


def _switches(target: str, fault: dict[str, Any], times: int) -> dict[str, Any]:
    switches = {k: v for k, v in fault.items() if k != "kind"}
    key = f"{fault['kind']}_next" if "kind" in fault else "fail_next"
    return {"target": target, key: times, **switches}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxEndpoints]:
    with SandboxProcess(seed=9, people=60, tick=0) as process:
        assert process.endpoints is not None
        # A still world: no new mailshots and no arrivals in Spotler while reads are compared.
        loopback_http.put(
            process.endpoints.admin_url + "/gatormail",
            json={"running": False, "new_every": 0},
            timeout=10,
        ).raise_for_status()
        yield process.endpoints


@pytest.fixture
def admin(sandbox: SandboxEndpoints) -> Iterator[AdminClient]:
    with AdminClient(sandbox.admin_url) as client:
        client.clear_faults()
        yield client
        client.clear_faults()


def _secrets(e: SandboxEndpoints) -> list[str]:
    return [
        e.outreach_token,
        e.workbooks_api_key,
        e.salesforce_token,
        e.spotler_consumer_secret,
        e.salesmate_token,
    ]


@pytest.mark.parametrize("fault", list(FAULTS))
@pytest.mark.parametrize("connector", list(CONNECTORS))
def test_every_connector_survives_every_fault(
    sandbox: SandboxEndpoints, admin: AdminClient, connector: str, fault: str
) -> None:
    target, read, service = CONNECTORS[connector]
    baseline = asyncio.run(read(sandbox))
    assert baseline, f"{connector} read nothing, so nothing would be compared"

    admin.set_faults(**_switches(target, FAULTS[fault], 1))  # once: retried away
    assert asyncio.run(read(sandbox)) == baseline

    admin.set_faults(**_switches(target, FAULTS[fault], 50))  # every attempt: one clear error
    with pytest.raises(ConnectorError) as caught:
        asyncio.run(read(sandbox))
    error = caught.value
    assert error.title and error.message and service in f"{error.title} {error.message}"
    assert error.attempts <= POLICY.max_attempts
    for secret in _secrets(sandbox):
        assert secret not in f"{error.title} {error.message} {error.url}"

    admin.clear_faults()  # gone: exactly the fault-free answer again
    assert asyncio.run(read(sandbox)) == baseline
    record("fault matrix", f"{connector}: {fault}", runs=3, converged=True)


@pytest.mark.parametrize("connector", list(CONNECTORS))
def test_every_connector_survives_a_latency_spike_and_reports_a_remote_too_slow(
    sandbox: SandboxEndpoints, admin: AdminClient, connector: str
) -> None:
    target, read, service = CONNECTORS[connector]
    baseline = asyncio.run(read(sandbox))
    admin.set_faults(target=target, latency_ms=200)  # a spike inside the timeout: only slower
    assert asyncio.run(read(sandbox)) == baseline
    admin.set_faults(target=target, latency_ms=2500)  # beyond the 1.5 s timeout, every time
    with pytest.raises(ConnectorError) as caught:
        asyncio.run(read(sandbox))
    assert caught.value.title == f"{service} did not answer in time"
    admin.clear_faults()
    assert asyncio.run(read(sandbox)) == baseline
    record("fault matrix", f"{connector}: latency spike, then slower than the timeout", runs=3)


# Salesmate has its own switches (its failures arrive as HTTP 200 with "Status": "failure").


def _salesmate_faults(e: SandboxEndpoints, **switches: Any) -> None:
    loopback_http.put(
        e.admin_url + "/salesmate/faults", json=switches, timeout=10
    ).raise_for_status()


async def _salesmate(e: SandboxEndpoints, emails: list[str]) -> Any:
    access = SalesmateAccess(
        e.salesmate_base_url + "/apis", e.salesmate_linkname, e.salesmate_token
    )
    async with SalesmateClient(access, policy=POLICY) as client:
        found = await client.contacts_by_email(emails)
        return sorted((email, c.id) for email, c in found.items())


@pytest.mark.parametrize(
    "switches",
    [{"fail_status": 500}, {"fail_status": 502}, {"fail_status": 503}],
    ids=["HTTP 500", "HTTP 502", "HTTP 503"],
)
def test_salesmate_survives_server_errors_and_refuses_failures_at_once(
    sandbox: SandboxEndpoints, admin: AdminClient, switches: dict[str, Any]
) -> None:
    with loopback_http.client(timeout=10) as http:
        emails = [
            p["main_location[email]"]
            for p in (
                http.get(f"{sandbox.admin_url}/workbooks/people/{i}").json()
                for i in range(10001, 10011)
            )
        ]
    baseline = asyncio.run(_salesmate(sandbox, emails))
    assert baseline
    try:
        _salesmate_faults(sandbox, fail_next=1, **switches)
        assert asyncio.run(_salesmate(sandbox, emails)) == baseline
        _salesmate_faults(sandbox, fail_next=50, **switches)
        with pytest.raises(ConnectorError) as caught:
            asyncio.run(_salesmate(sandbox, emails))
        assert "Salesmate" in f"{caught.value.title} {caught.value.message}"
        _salesmate_faults(sandbox, fail_next=0, failure_next=1, failure_message="Try later.")
        with pytest.raises(RequestRejectedError):  # HTTP 200 with "Status": "failure"
            asyncio.run(_salesmate(sandbox, emails))
    finally:
        loopback_http.delete(sandbox.admin_url + "/salesmate/faults", timeout=10).raise_for_status()
    assert asyncio.run(_salesmate(sandbox, emails)) == baseline
    record("fault matrix", f"Salesmate: {caught.value.status_code or 'HTTP error'}", runs=4)
