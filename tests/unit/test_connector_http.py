"""The shared transport: retries, backoff, rate limits, redirects, counters (no network)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

import httpx
import pytest

from syncmonitor.connectors.errors import (
    AuthenticationError,
    MalformedResponseError,
    NetworkError,
    NotFoundError,
    RateLimitedError,
    RequestRejectedError,
    ServerError,
)
from syncmonitor.connectors.http.client import RemoteProblem, ResilientClient, decode_json
from syncmonitor.connectors.http.retry import (
    RetryPolicy,
    parse_rate_limit_remaining,
    parse_rate_limit_reset,
    parse_retry_after,
)

NOW = 1_800_000_000.0
BASE = "https://api.example.test/api/v2"


class FakeTime:
    """A clock that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = NOW
        self.sleeps: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


class CutShort(httpx.AsyncByteStream):
    """A body that stops half way, like a connection dropped by the server."""

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b'{"data": [1, 2'
        raise httpx.RemoteProtocolError("peer closed connection without sending complete body")


Handler = Callable[[httpx.Request], httpx.Response]


def make_client(
    handler: Handler,
    time: FakeTime,
    *,
    policy: RetryPolicy | None = None,
    random: Callable[[], float] = lambda: 1.0,
    secrets: tuple[str, ...] = (),
    describe_error: Callable[[httpx.Response], RemoteProblem] | None = None,
) -> ResilientClient:
    return ResilientClient(
        service="Outreach",
        base_url=BASE,
        policy=policy or RetryPolicy(),
        transport=httpx.MockTransport(handler),
        sleep=time.sleep,
        random=random,
        clock=time.clock,
        secrets=secrets,
        describe_error=describe_error or first_error,
    )


def first_error(response: httpx.Response) -> RemoteProblem:
    first = response.json()["errors"][0]
    return RemoteProblem(first.get("id"), first.get("title"), first.get("detail"))


def scripted(*responses: httpx.Response | Exception) -> tuple[Handler, list[httpx.Request]]:
    """A handler answering with `responses` in turn (the last one repeats), and its log."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = responses[min(len(seen), len(responses)) - 1]
        if isinstance(answer, Exception):
            raise answer
        return answer

    return handler, seen


def ok(body: Any = None, **headers: str) -> httpx.Response:
    return httpx.Response(200, json={"data": []} if body is None else body, headers=headers)


def as_json(response: httpx.Response) -> Any:
    return decode_json(response, "Outreach")


# -- policy ---------------------------------------------------------------------------------------


def test_backoff_caps_grow_exponentially_and_stop_at_max_delay() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=30.0)
    assert [policy.backoff_cap(n) for n in range(1, 9)] == [0.5, 1, 2, 4, 8, 16, 30, 30]
    assert policy.backoff_cap(10_000) == 30.0


@pytest.mark.parametrize("draw", [0.0, 0.25, 0.999999])
def test_backoff_is_full_jitter_within_zero_and_cap(draw: float) -> None:
    policy = RetryPolicy()
    for retry in range(1, 10):
        delay = policy.backoff(retry, lambda: draw)
        assert 0.0 <= delay <= policy.backoff_cap(retry)
        assert delay == pytest.approx(draw * policy.backoff_cap(retry))


def test_policy_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError):
        RetryPolicy(base_delay=-1)


# -- header parsing -------------------------------------------------------------------------------


def test_retry_after_seconds_and_http_date() -> None:
    assert parse_retry_after("7", NOW) == 7.0
    assert parse_retry_after(" 1.5 ", NOW) == 1.5
    when = format_datetime(datetime.fromtimestamp(NOW + 42, UTC), usegmt=True)
    assert parse_retry_after(when, NOW) == pytest.approx(42.0)
    past = format_datetime(datetime.fromtimestamp(NOW - 42, UTC), usegmt=True)
    assert parse_retry_after(past, NOW) == 0.0
    assert parse_retry_after("soon", NOW) is None
    assert parse_retry_after(None, NOW) is None


def test_rate_limit_remaining_takes_the_smallest_of_two_values() -> None:
    assert parse_rate_limit_remaining("9999, 19988") == 9999
    assert parse_rate_limit_remaining("20000,0") == 0
    assert parse_rate_limit_remaining("42") == 42
    assert parse_rate_limit_remaining("") is None
    assert parse_rate_limit_remaining("lots") is None


def test_rate_limit_reset_is_epoch_seconds_but_tolerates_deltas_and_millis() -> None:
    assert parse_rate_limit_reset(str(int(NOW + 60)), NOW) == NOW + 60
    assert parse_rate_limit_reset("60", NOW) == NOW + 60
    assert parse_rate_limit_reset(str(int((NOW + 60) * 1000)), NOW) == NOW + 60
    assert parse_rate_limit_reset("x", NOW) is None


# -- retries --------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_server_errors_are_retried_with_jittered_exponential_backoff() -> None:
    time = FakeTime()
    handler, seen = scripted(
        httpx.Response(500), httpx.Response(502), httpx.Response(503), httpx.Response(504), ok()
    )
    async with make_client(handler, time, random=lambda: 0.5) as client:
        assert await client.request("GET", "things", parse=as_json) == {"data": []}
    assert len(seen) == 5
    assert time.sleeps == [0.25, 0.5, 1.0, 2.0]
    assert client.stats.requests == 5
    assert client.stats.retries == 4
    assert client.stats.seconds_waited == pytest.approx(3.75)


@pytest.mark.asyncio
async def test_gives_up_after_max_attempts_with_the_last_error() -> None:
    time = FakeTime()
    handler, seen = scripted(httpx.Response(503, json={"errors": []}))
    policy = RetryPolicy(max_attempts=3)
    async with make_client(handler, time, policy=policy) as client:
        with pytest.raises(ServerError) as caught:
            await client.request("GET", "things", parse=as_json)
    assert len(seen) == 3
    assert caught.value.status_code == 503
    assert caught.value.retryable
    assert caught.value.attempts == 3
    assert "HTTP 503" in caught.value.message
    assert str(caught.value).startswith("Outreach is having trouble: ")


@pytest.mark.asyncio
@pytest.mark.parametrize("status", [401, 403])
async def test_authentication_errors_are_raised_after_exactly_one_request(status: int) -> None:
    time = FakeTime()
    body = {"errors": [{"id": "unauthorized", "title": "Bad token s3cr3t-token"}]}
    handler, seen = scripted(httpx.Response(status, json=body))
    async with make_client(handler, time, secrets=("s3cr3t-token",)) as client:
        with pytest.raises(AuthenticationError) as caught:
            await client.request("GET", "things", parse=as_json)
    assert len(seen) == 1
    assert time.sleeps == []
    error = caught.value
    assert not error.retryable
    assert "SYNCMONITOR_OUTREACH_TOKEN" in error.message
    assert "keyring" in error.message
    assert "s3cr3t-token" not in str(error)


@pytest.mark.asyncio
async def test_not_found_and_rejected_requests_are_not_retried() -> None:
    time = FakeTime()
    body = {"errors": [{"id": "validationError", "title": "Bad page size", "detail": "max 1000"}]}
    handler, seen = scripted(httpx.Response(404), httpx.Response(422, json=body))
    async with make_client(handler, time) as client:
        with pytest.raises(NotFoundError):
            await client.request("GET", "things/1", parse=as_json)
        with pytest.raises(RequestRejectedError) as caught:
            await client.request("GET", "things", parse=as_json)
    assert len(seen) == 2
    assert "Bad page size" in caught.value.message
    assert "max 1000" in caught.value.message


@pytest.mark.asyncio
async def test_connection_dropped_mid_body_is_retried() -> None:
    time = FakeTime()
    handler, seen = scripted(httpx.Response(200, stream=CutShort()), ok())
    async with make_client(handler, time) as client:
        assert await client.request("GET", "things", parse=as_json) == {"data": []}
    assert len(seen) == 2


@pytest.mark.asyncio
async def test_connection_dropped_every_time_ends_in_network_error() -> None:
    time = FakeTime()
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, stream=CutShort())

    async with make_client(handler, time, policy=RetryPolicy(max_attempts=2)) as client:
        with pytest.raises(NetworkError) as caught:
            await client.request("GET", "things", parse=as_json)
    assert len(seen) == 2
    assert caught.value.retryable
    assert caught.value.request_sent


@pytest.mark.asyncio
async def test_timeouts_and_refused_connections_are_network_errors() -> None:
    time = FakeTime()
    handler, seen = scripted(
        httpx.ConnectError("connection refused"), httpx.ReadTimeout("timed out"), ok()
    )
    async with make_client(handler, time) as client:
        assert await client.request("GET", "things", parse=as_json) == {"data": []}
    assert len(seen) == 3

    handler, seen = scripted(httpx.ConnectError("connection refused"))
    async with make_client(handler, time, policy=RetryPolicy(max_attempts=2)) as client:
        with pytest.raises(NetworkError) as caught:
            await client.request("GET", "things", parse=as_json)
    assert caught.value.title == "Cannot reach Outreach"
    assert not caught.value.request_sent


@pytest.mark.asyncio
async def test_truncated_json_is_retried_then_reported_as_malformed() -> None:
    time = FakeTime()
    truncated = httpx.Response(200, content=b'{"data": [{"id": 1')
    handler, seen = scripted(truncated, ok())
    async with make_client(handler, time) as client:
        assert await client.request("GET", "things", parse=as_json) == {"data": []}
    assert len(seen) == 2

    handler, seen = scripted(truncated)
    async with make_client(handler, time, policy=RetryPolicy(max_attempts=3)) as client:
        with pytest.raises(MalformedResponseError) as caught:
            await client.request("GET", "things", parse=as_json)
    assert len(seen) == 3
    assert "not valid JSON" in caught.value.message


@pytest.mark.asyncio
async def test_post_is_not_retried_after_it_may_have_been_processed() -> None:
    time = FakeTime()
    handler, seen = scripted(httpx.Response(500), ok())
    async with make_client(handler, time) as client:
        with pytest.raises(ServerError):
            await client.request("POST", "things", parse=as_json)
        assert len(seen) == 1
        # ...but one that never left the machine is safe to send again.
        handler2, seen2 = scripted(httpx.ConnectError("refused"), ok())
    async with make_client(handler2, time) as client:
        assert await client.request("POST", "things", parse=as_json) == {"data": []}
    assert len(seen2) == 2


# -- rate limits ----------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_429_honours_retry_after_seconds() -> None:
    time = FakeTime()
    handler, seen = scripted(httpx.Response(429, headers={"Retry-After": "7"}), ok())
    async with make_client(handler, time) as client:
        await client.request("GET", "things", parse=as_json)
    assert len(seen) == 2
    assert time.sleeps == [7.0]


@pytest.mark.asyncio
async def test_503_honours_retry_after_http_date() -> None:
    time = FakeTime()
    when = format_datetime(datetime.fromtimestamp(NOW + 12, UTC), usegmt=True)
    handler, _ = scripted(httpx.Response(503, headers={"Retry-After": when}), ok())
    async with make_client(handler, time) as client:
        await client.request("GET", "things", parse=as_json)
    assert time.sleeps == [pytest.approx(12.0)]


@pytest.mark.asyncio
async def test_429_without_retry_after_backs_off() -> None:
    time = FakeTime()
    handler, _ = scripted(httpx.Response(429), ok())
    async with make_client(handler, time, random=lambda: 1.0) as client:
        await client.request("GET", "things", parse=as_json)
    assert time.sleeps == [0.5]


@pytest.mark.asyncio
async def test_retry_after_longer_than_we_wait_gives_up_at_once() -> None:
    time = FakeTime()
    handler, seen = scripted(httpx.Response(429, headers={"Retry-After": "3600"}), ok())
    async with make_client(handler, time) as client:
        with pytest.raises(RateLimitedError) as caught:
            await client.request("GET", "things", parse=as_json)
    assert len(seen) == 1
    assert time.sleeps == []
    assert caught.value.retry_after == 3600
    assert "can run again in about 1 hour" in caught.value.message


@pytest.mark.asyncio
async def test_spent_budget_waits_for_reset_before_the_next_call() -> None:
    time = FakeTime()
    spent = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(NOW + 30))}
    handler, _ = scripted(ok(**spent), ok(**{"X-RateLimit-Remaining": "9999, 19988"}))
    async with make_client(handler, time) as client:
        await client.request("GET", "things", parse=as_json)
        assert time.sleeps == []
        assert client.stats.rate_limit_remaining == 0
        await client.request("GET", "things", parse=as_json)
        assert time.sleeps == [30.0]
        assert client.stats.rate_limit_waits == 1
        assert client.stats.rate_limit_remaining == 9999
        await client.request("GET", "things", parse=as_json)
        assert time.sleeps == [30.0]  # budget is back: no more waiting


@pytest.mark.asyncio
async def test_two_value_remaining_uses_the_smaller_value() -> None:
    time = FakeTime()
    spent = {"X-RateLimit-Remaining": "19988, 0", "X-RateLimit-Reset": str(int(NOW + 5))}
    handler, _ = scripted(ok(**spent), ok())
    async with make_client(handler, time) as client:
        await client.request("GET", "things", parse=as_json)
        await client.request("GET", "things", parse=as_json)
    assert time.sleeps == [5.0]


@pytest.mark.asyncio
async def test_spent_budget_with_a_distant_reset_raises_rate_limited() -> None:
    time = FakeTime()
    spent = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(NOW + 1800))}
    handler, seen = scripted(ok(**spent))
    async with make_client(handler, time) as client:
        await client.request("GET", "things", parse=as_json)
        with pytest.raises(RateLimitedError) as caught:
            await client.request("GET", "things", parse=as_json)
    assert len(seen) == 1  # the second call was never sent
    assert caught.value.retry_after == pytest.approx(1800)
    assert caught.value.retryable  # later, it will work


@pytest.mark.asyncio
async def test_429_without_retry_after_but_a_near_reset_waits_for_the_reset() -> None:
    time = FakeTime()
    spent = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(NOW + 20))}
    handler, seen = scripted(httpx.Response(429, headers=spent), ok())
    async with make_client(handler, time, random=lambda: 0.0) as client:
        await client.request("GET", "things", parse=as_json)
    assert len(seen) == 2
    assert sum(time.sleeps) == pytest.approx(20.0)


# -- redirects ------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_302_slow_down_is_followed_with_a_delay_keeping_method_and_body() -> None:
    time = FakeTime()
    seen: list[tuple[str, str, bytes]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.method, str(request.url), request.content))
        if len(seen) < 3:
            return httpx.Response(302, headers={"Location": str(request.url)})
        return ok()

    policy = RetryPolicy(redirect_delay=0.25)
    async with make_client(handler, time, policy=policy) as client:
        await client.request("PUT", "things.api", form=[("id[]", "1")], parse=as_json)
    assert [s[0] for s in seen] == ["PUT", "PUT", "PUT"]
    assert {s[2] for s in seen} == {b"id%5B%5D=1"}
    assert time.sleeps == [0.25, 0.25]
    assert client.stats.redirects == 2
    assert client.stats.requests == 3


@pytest.mark.asyncio
async def test_endless_redirects_are_capped() -> None:
    time = FakeTime()
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(302, headers={"Location": "/api/v2/things"})

    policy = RetryPolicy(max_attempts=1, max_redirects=5)
    async with make_client(handler, time, policy=policy) as client:
        with pytest.raises(RateLimitedError) as caught:
            await client.request("GET", "things", parse=as_json)
    assert len(seen) == 6  # the first request and five redirects
    assert "redirected" in caught.value.message


@pytest.mark.asyncio
async def test_redirect_to_another_host_is_not_followed() -> None:
    time = FakeTime()
    handler, seen = scripted(httpx.Response(302, headers={"Location": "https://evil.test/x"}))
    async with make_client(handler, time) as client:
        with pytest.raises(RequestRejectedError):
            await client.request("GET", "things", parse=as_json)
    assert len(seen) == 1


# -- counters and logs ----------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_stats_count_bytes() -> None:
    time = FakeTime()
    handler, _ = scripted(httpx.Response(200, content=b'{"data": []}'))
    async with make_client(handler, time) as client:
        await client.request("PUT", "things", form=[("a", "b")], parse=as_json)
    assert client.stats.bytes_received == len(b'{"data": []}')
    assert client.stats.bytes_sent == len(b"a=b")


@pytest.mark.asyncio
async def test_httpx_request_log_never_shows_the_api_key(caplog: pytest.LogCaptureFixture) -> None:
    time = FakeTime()
    handler, _ = scripted(ok())
    caplog.set_level(logging.INFO, logger="httpx")
    async with make_client(handler, time) as client:
        await client.request("GET", "things", params=[("api_key", "k3y-value")], parse=as_json)
    assert "HTTP Request" in caplog.text
    assert "k3y-value" not in caplog.text
    assert "api_key=REDACTED" in caplog.text
