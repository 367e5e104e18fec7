"""The Outreach client against the real sandbox over loopback, with every fault switch."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from syncmonitor.connectors.errors import (
    AuthenticationError,
    MalformedResponseError,
    NetworkError,
    RateLimitedError,
    ServerError,
)
from syncmonitor.connectors.http.retry import RetryPolicy
from syncmonitor.connectors.outreach.client import OutreachClient, SequenceStatePage
from syncmonitor.sandbox.admin import AdminClient
from syncmonitor.sandbox.process import SandboxEndpoints

FAST = RetryPolicy(
    max_attempts=4, base_delay=0.01, max_delay=0.05, redirect_delay=0.01, max_wait_for_rate_limit=5
)


def outreach(sandbox: SandboxEndpoints, **kw: Any) -> OutreachClient:
    kw.setdefault("policy", FAST)
    return OutreachClient(sandbox.outreach_base_url, sandbox.outreach_token, **kw)


async def read_all(client: OutreachClient, since: str | None = None) -> list[SequenceStatePage]:
    return [page async for page in client.sequence_state_pages(since)]


def outreach_requests(admin: AdminClient) -> int:
    return int(admin.stats()["requests"].get("outreach", 0))


@pytest.mark.asyncio
async def test_a_full_read_sees_every_state_with_its_related_resources(
    sandbox: SandboxEndpoints, sandbox_admin: AdminClient
) -> None:
    stats = sandbox_admin.stats()
    async with outreach(sandbox, page_size=250) as client:
        pages = await read_all(client)
        states = [s for p in pages for s in p.states]
        assert len(pages) == -(-stats["sequenceStates"] // 250)
        assert len({s.id for s in states}) == stats["sequenceStates"]
        by_value: dict[str | None, int] = {}
        for s in states:
            by_value[s.state] = by_value.get(s.state, 0) + 1
        assert by_value == stats["states_by_value"]  # unknown values kept, none lost
        for page in pages:
            for s in page.states:
                assert s.prospect_id in page.prospects
                assert s.sequence_id in page.sequences
                assert s.sequence_step_id in page.steps
                assert page.steps[s.sequence_step_id].sequence_id == s.sequence_id
            assert page.max_updated_at == max(s.updated_at or "" for s in page.states)
        prospects = {pid: p for page in pages for pid, p in page.prospects.items()}
        assert len(prospects) == stats["prospects"]
        opted_out = [p for p in prospects.values() if p.opted_out]
        assert len(opted_out) == stats["opted_out_prospects"]
        assert all(p.emails_opt_status == "opted_out" for p in opted_out)
        assert all(p.external_id and p.external_id.isdigit() for p in prospects.values())
        # the pages come oldest update first
        stamps = [s.updated_at or "" for s in states]
        assert stamps == sorted(stamps)
        assert client.stats.requests == len(pages)


@pytest.mark.asyncio
async def test_an_incremental_read_starts_at_the_boundary(sandbox: SandboxEndpoints) -> None:
    async with outreach(sandbox) as client:
        pages = await read_all(client)
        states = sorted((s for p in pages for s in p.states), key=lambda s: s.updated_at or "")
        since = states[-10].updated_at
        assert since is not None
        later = [s for p in await read_all(client, since) for s in p.states]
    assert {s.id for s in later} == {s.id for s in states if (s.updated_at or "") >= since}


@pytest.mark.asyncio
async def test_prospects_by_id_finds_existing_prospects(sandbox: SandboxEndpoints) -> None:
    async with outreach(sandbox) as client:
        found = await client.prospects_by_id([1, 2, 3, 999_999])
    assert sorted(found) == [1, 2, 3]


@pytest.mark.asyncio
async def test_wrong_token_is_one_request_and_says_where_to_fix_it(
    sandbox: SandboxEndpoints, sandbox_admin: AdminClient
) -> None:
    before = outreach_requests(sandbox_admin)
    async with OutreachClient(sandbox.outreach_base_url, "not-the-token", policy=FAST) as c:
        with pytest.raises(AuthenticationError) as caught:
            await read_all(c)
    assert outreach_requests(sandbox_admin) - before == 1
    assert "SYNCMONITOR_OUTREACH_TOKEN" in caught.value.message
    assert "not-the-token" not in str(caught.value)


@pytest.mark.asyncio
async def test_latency_within_the_timeout_is_only_slow(
    sandbox: SandboxEndpoints, sandbox_admin: AdminClient
) -> None:
    sandbox_admin.set_faults(target="outreach", latency_ms=300)
    async with outreach(sandbox) as client:
        started = time.perf_counter()
        pages = await read_all(client)
    assert pages and time.perf_counter() - started >= 0.3
    assert client.stats.retries == 0


@pytest.mark.asyncio
async def test_latency_beyond_the_timeout_is_a_network_error(
    sandbox: SandboxEndpoints, sandbox_admin: AdminClient
) -> None:
    sandbox_admin.set_faults(target="outreach", latency_ms=600)
    policy = RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.01)
    async with outreach(sandbox, policy=policy, timeout=httpx.Timeout(0.2)) as client:
        with pytest.raises(NetworkError) as caught:
            await read_all(client)
    assert "in time" in caught.value.title
    assert caught.value.attempts == 2


@pytest.mark.asyncio
@pytest.mark.parametrize("status", [500, 502, 503])
async def test_server_errors_are_retried(
    sandbox: SandboxEndpoints, sandbox_admin: AdminClient, status: int
) -> None:
    sandbox_admin.set_faults(target="outreach", fail_next=2, fail_status=status, retry_after=None)
    async with outreach(sandbox) as client:
        pages = await read_all(client)
    assert pages
    assert client.stats.retries == 2


@pytest.mark.asyncio
async def test_server_errors_that_do_not_stop_end_in_server_error(
    sandbox: SandboxEndpoints, sandbox_admin: AdminClient
) -> None:
    sandbox_admin.set_faults(target="outreach", fail_next=50, fail_status=502)
    async with outreach(sandbox) as client:
        with pytest.raises(ServerError) as caught:
            await read_all(client)
    assert caught.value.status_code == 502
    assert caught.value.attempts == FAST.max_attempts


@pytest.mark.asyncio
async def test_503_with_retry_after_is_honoured(
    sandbox: SandboxEndpoints, sandbox_admin: AdminClient
) -> None:
    sandbox_admin.set_faults(target="outreach", fail_next=1, fail_status=503, retry_after=1)
    async with outreach(sandbox) as client:
        started = time.perf_counter()
        await read_all(client)
    assert time.perf_counter() - started >= 1.0
    assert client.stats.retries == 1


@pytest.mark.asyncio
@pytest.mark.parametrize("fault", ["drop_next", "malformed_next", "truncate_next"])
async def test_broken_bodies_are_retried(
    sandbox: SandboxEndpoints, sandbox_admin: AdminClient, fault: str
) -> None:
    sandbox_admin.set_faults(target="outreach", **{fault: 2})
    async with outreach(sandbox) as client:
        pages = await read_all(client)
    assert sum(len(p.states) for p in pages) == sandbox_admin.stats()["sequenceStates"]
    assert client.stats.retries == 2


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("drop_next", NetworkError),
        ("malformed_next", MalformedResponseError),
        ("truncate_next", MalformedResponseError),
    ],
)
async def test_a_page_broken_every_time_ends_the_read_after_the_good_pages(
    sandbox: SandboxEndpoints,
    sandbox_admin: AdminClient,
    fault: str,
    error: type[Exception],
) -> None:
    received: list[SequenceStatePage] = []
    async with outreach(sandbox, page_size=100) as client:
        with pytest.raises(error):
            async for page in client.sequence_state_pages(None):
                received.append(page)
                if len(received) == 2:
                    sandbox_admin.set_faults(target="outreach", **{fault: 100})
    assert len(received) == 2
    assert all(len(p.states) == 100 for p in received)


@pytest.mark.asyncio
async def test_spent_budget_with_retry_after_waits_then_carries_on(
    sandbox: SandboxEndpoints, sandbox_admin: AdminClient
) -> None:
    sandbox_admin.set_faults(retry_after=1)
    sandbox_admin.set_faults(rate_limit_remaining=0)
    async with outreach(sandbox) as client:
        started = time.perf_counter()
        pages = await read_all(client)
    assert pages
    assert time.perf_counter() - started >= 1.0
    assert client.stats.retries >= 1


@pytest.mark.asyncio
async def test_spent_budget_without_retry_after_gives_up_at_once(
    sandbox: SandboxEndpoints, sandbox_admin: AdminClient
) -> None:
    sandbox_admin.set_faults(retry_after=None)
    sandbox_admin.set_faults(rate_limit_remaining=0)
    before = outreach_requests(sandbox_admin)
    waits: list[float] = []

    async def recorded_sleep(seconds: float) -> None:
        waits.append(seconds)

    async with outreach(sandbox, sleep=recorded_sleep) as client:
        with pytest.raises(RateLimitedError) as caught:
            await read_all(client)
    assert waits == []  # no pointless waiting: it gave up without sleeping at all
    assert outreach_requests(sandbox_admin) - before == 1
    assert caught.value.retry_after is not None and caught.value.retry_after > 60
    assert caught.value.retryable


@pytest.mark.asyncio
@pytest.mark.parametrize("two_values", [False, True])
async def test_budget_running_out_waits_for_reset_before_the_next_page(
    sandbox: SandboxEndpoints, sandbox_admin: AdminClient, two_values: bool
) -> None:
    sandbox_admin.set_faults(retry_after=1, two_value_remaining=two_values)
    sandbox_admin.set_faults(rate_limit_remaining=1)  # one request left, then an empty budget
    async with outreach(sandbox, page_size=300) as client:
        started = time.perf_counter()
        pages = await read_all(client)
    assert len(pages) == 3
    assert time.perf_counter() - started >= 0.9
    # It waited for the reset instead of running into a 429; with two values ("0, 10000") it
    # took the smaller one.
    assert client.stats.rate_limit_waits == 1
    assert client.stats.retries == 0
