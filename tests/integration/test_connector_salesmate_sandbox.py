"""The Salesmate connector against the sandbox's emulated API over loopback: contacts by email,
failures that arrive as HTTP 200, refused credentials, retries and the hourly budget."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

import loopback_http
from syncmonitor.connectors.errors import (
    AuthenticationError,
    RateLimitedError,
    RequestRejectedError,
)
from syncmonitor.connectors.http.retry import RetryPolicy
from syncmonitor.connectors.salesmate import HourlyBudget, SalesmateAccess, SalesmateClient
from syncmonitor.sandbox.process import SandboxEndpoints

FAST = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.02, max_wait_for_rate_limit=1.0)


@pytest.fixture
def access(sandbox: SandboxEndpoints) -> SalesmateAccess:
    return SalesmateAccess(
        sandbox.salesmate_base_url + "/apis", sandbox.salesmate_linkname, sandbox.salesmate_token
    )


@pytest.fixture
def faults(sandbox: SandboxEndpoints) -> Iterator[Any]:
    """Set the sandbox's Salesmate fault switches; all off again afterwards."""
    url = sandbox.admin_url + "/salesmate/faults"

    def set_faults(**switches: Any) -> dict[str, Any]:
        response = loopback_http.put(url, json=switches, timeout=10)
        response.raise_for_status()
        return dict(response.json())

    yield set_faults
    loopback_http.delete(url, timeout=10).raise_for_status()


def stats(sandbox: SandboxEndpoints) -> dict[str, Any]:
    return dict(loopback_http.get(sandbox.admin_url + "/salesmate/stats", timeout=10).json())


def run(access: SalesmateAccess, work: Any, **options: Any) -> Any:
    options.setdefault("policy", FAST)

    async def go() -> Any:
        async with SalesmateClient(access, **options) as client:
            return await work(client)

    return asyncio.run(go())


def sandbox_emails(sandbox: SandboxEndpoints, count: int) -> list[str]:
    with loopback_http.client(
        base_url=sandbox.workbooks_base_url,
        headers={"User-Agent": "syncmonitor-tests/1.0"},
        params={"api_key": sandbox.workbooks_api_key},
        timeout=30,
    ) as client:
        data = client.get(
            "crm/people.api",
            params={
                "_start": "0",
                "_limit": str(count),
                "_select_columns[]": "main_location[email]",
            },
        ).json()["data"]
    return [p["main_location[email]"].lower() for p in data]


def test_contacts_are_found_by_email_many_per_call(
    sandbox: SandboxEndpoints, access: SalesmateAccess
) -> None:
    wanted = [
        *sandbox_emails(sandbox, 120),
        "nobody@nowhere.example",
        "only.salesmate2@example.org",
    ]
    before = stats(sandbox)["searches"]
    found = run(access, lambda c: c.contacts_by_email([e.upper() for e in wanted]))
    searches = stats(sandbox)["searches"] - before
    assert searches == 3  # 122 addresses, 50 per call
    assert "nobody@nowhere.example" not in found
    assert found["only.salesmate2@example.org"].name == "Only Salesmate 2"
    # About four in five Workbooks people are Salesmate contacts in the sandbox.
    assert 70 <= len(found) - 1 <= 115
    some = next(c for e, c in found.items() if e != "only.salesmate2@example.org")
    assert some.id.isdigit() and some.name and some.email in wanted
    again = run(access, lambda c: c.contact(some.id))
    assert again == some
    assert run(access, lambda c: c.contact("999999999")) is None  # a 200 "not found" failure


def test_a_failure_with_http_200_is_a_typed_error_and_not_retried(
    sandbox: SandboxEndpoints, access: SalesmateAccess, faults: Any
) -> None:
    faults(failure_next=5, failure_message="Invalid query: unknown module Kontact.")
    before = stats(sandbox)["calls"]
    with pytest.raises(RequestRejectedError) as caught:
        run(access, lambda c: c.contacts_by_email(["a@example.com"]))
    error = caught.value
    assert error.status_code == 200
    assert "unknown module Kontact" in error.message
    assert stats(sandbox)["calls"] - before == 1  # refusing again would not help


def test_a_wrong_token_or_link_name_is_an_authentication_error(
    sandbox: SandboxEndpoints, access: SalesmateAccess
) -> None:
    with pytest.raises(AuthenticationError) as wrong_token:
        run(replace(access, token="not-the-token"), lambda c: c.contact("70001"))
    assert wrong_token.value.status_code == 401
    assert "not-the-token" not in str(wrong_token.value)
    assert "SYNCMONITOR_SALESMATE_TOKEN" in wrong_token.value.message
    with pytest.raises(AuthenticationError) as wrong_link:
        run(replace(access, linkname="acme"), lambda c: c.contact("70001"))
    assert wrong_link.value.status_code == 200  # Salesmate says so in a 200 failure envelope
    assert "link name" in wrong_link.value.message


def test_server_errors_are_retried(
    sandbox: SandboxEndpoints, access: SalesmateAccess, faults: Any
) -> None:
    faults(fail_next=2, fail_status=503)
    assert run(access, lambda c: c.contact("70001")) is not None
    assert stats(sandbox)["calls"] >= 3


def test_the_sandbox_refuses_past_its_hourly_budget_and_the_client_says_when(
    sandbox: SandboxEndpoints, access: SalesmateAccess, faults: Any
) -> None:
    faults(rate_limit_budget=2)
    with pytest.raises(RateLimitedError) as caught:
        run(access, lambda c: _calls(c, 3))
    assert caught.value.status_code == 429
    assert caught.value.retry_after is not None and caught.value.retry_after > 1000


def test_the_client_never_goes_over_its_own_hourly_budget(access: SalesmateAccess) -> None:
    """1,500 calls an hour: the 1,501st waits for the oldest to leave the window, or fails with
    the time it could go on when that is longer than the client waits."""
    now = [1000.0]
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    budget = HourlyBudget(limit=3, window=3600, clock=lambda: now[0])
    policy = replace(FAST, max_wait_for_rate_limit=7200)
    run(
        access,
        lambda c: _calls(c, 4),
        budget=budget,
        sleep=sleep,
        clock=lambda: now[0],
        policy=policy,
    )
    assert waits == [3600.0]  # the 4th call waited for the 1st to leave the hour
    assert budget.used == 1  # an hour on, only the 4th is still in the window
    short = HourlyBudget(limit=1, window=3600, clock=lambda: now[0])
    with pytest.raises(RateLimitedError, match="hourly limit") as caught:
        run(access, lambda c: _calls(c, 2), budget=short, sleep=sleep, clock=lambda: now[0])
    assert caught.value.retry_after == 3600.0
    assert short.used == 1  # the refused call was not booked


async def _calls(client: SalesmateClient, n: int) -> None:
    for _ in range(n):
        await client.contact("70001")
