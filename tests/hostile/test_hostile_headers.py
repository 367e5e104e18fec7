"""Header values and page counts from a hostile remote: no value breaks the parsers, every wait
is worded, and no paging goes on for ever (connectors/http/headers.py and limits.py)."""

from __future__ import annotations

import asyncio
import math
import time

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from syncmonitor.connectors.errors import MalformedResponseError
from syncmonitor.connectors.http.headers import (
    describe_wait,
    parse_rate_limit_remaining,
    parse_rate_limit_reset,
    parse_retry_after,
)
from syncmonitor.connectors.http.limits import Limits, PageBudget
from syncmonitor.connectors.spotler import SpotlerClient

NOW = 1_796_000_000.0  # December 2026

header_text = st.text(max_size=40) | st.sampled_from(
    ["inf", "-inf", "nan", "1e20", "1e300", "-5", "0", "1e-300", "9" * 400, "Infinity", ", ,"]
)


@given(value=header_text)
def test_no_header_value_breaks_the_parsers_or_the_wording(value: str) -> None:
    wait = parse_retry_after(value, NOW)
    assert wait is None or wait >= 0
    remaining = parse_rate_limit_remaining(value)
    assert remaining is None or abs(remaining) <= 10**12
    reset = parse_rate_limit_reset(value, NOW)
    assert reset is None or not math.isnan(reset)
    for seconds in (wait, None if reset is None else reset - NOW):
        if seconds is not None:
            assert describe_wait(seconds, NOW)


@given(seconds=st.floats(allow_nan=True, allow_infinity=True))
def test_any_wait_is_worded(seconds: float) -> None:
    assert describe_wait(seconds, NOW)


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (40, "in about 40 seconds"),
        (12 * 60, "in about 12 minutes"),
        (3 * 3600, "in about 3 hours"),
        (9 * 86400, "in about 9 days"),
        (31 * 365.25 * 86400, "not before 2057"),
        (1e20, "at no time that makes sense (it asked to wait 1e+20 seconds)"),
        (math.inf, "at no time that makes sense (it asked to wait for ever)"),
    ],
)
def test_a_wait_is_said_the_way_a_person_reads_it(seconds: float, words: str) -> None:
    assert describe_wait(seconds, NOW).startswith(words)


def test_an_http_date_retry_after_is_read() -> None:
    now = time.time()
    later = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(now + 600))
    wait = parse_retry_after(later, now)
    assert wait is not None and 590 < wait <= 600


def test_pages_are_bounded_by_the_announced_count() -> None:
    budget = PageBudget("Outreach", "Outreach sequenceStates", 100, Limits())
    budget.announce(250)  # 3 pages of 100: the read may take 2 * 3 + 10
    for _ in range(15):
        budget.page(100, more=True)
    with pytest.raises(MalformedResponseError, match="announced 250 records") as caught:
        budget.page(100, more=True)
    assert not caught.value.retryable


def test_smaller_pages_than_asked_are_allowed_for() -> None:
    budget = PageBudget("Outreach", "Outreach sequenceStates", 1000, Limits())
    budget.announce(5000)  # pages of 100, not 1000: 50 pages needed
    for _ in range(50):
        budget.page(100, more=True)
    budget.page(0, more=False)


def test_empty_pages_that_link_on_stop_the_read() -> None:
    budget = PageBudget("Spotler", "the Spotler campaign list", 100, Limits())
    budget.page(0, more=True)
    budget.page(0, more=True)
    with pytest.raises(MalformedResponseError, match="3 empty pages in a row"):
        budget.page(0, more=True)


def test_the_hard_limit_holds_without_an_announced_count() -> None:
    budget = PageBudget("Workbooks", "Workbooks crm/people", 100, Limits(max_pages=5))
    for _ in range(4):
        budget.page(100, more=True)
    with pytest.raises(MalformedResponseError, match="the most one read may take"):
        budget.page(100, more=True)


def _spotler_campaigns(body: object) -> tuple[list[str], object]:
    """Read Spotler's campaign list from a mock answering `body`: the hosts asked, and the
    campaigns read or the error."""
    hosts: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        hosts.append(str(request.url.host))
        return httpx.Response(200, json=body)

    async def go() -> object:
        async with SpotlerClient(
            "https://restapi.mailplus.test/integrationservice-1.1.0",
            "key",
            "secret",
            transport=httpx.MockTransport(answer),
        ) as client:
            try:
                return await client.campaigns()
            except MalformedResponseError as exc:
                return exc

    return hosts, asyncio.run(go())


def test_spotler_campaign_list_is_one_request_and_follows_no_link() -> None:
    # GET /campaign/list takes no parameters and answers a bare array (the Swagger file): the
    # app never pages it, so a "next" link (to another host, or on for ever) is never followed.
    hosts, read = _spotler_campaigns([{"encryptedId": "c1", "name": "x", "active": True}])
    assert hosts == ["restapi.mailplus.test"] and isinstance(read, list) and len(read) == 1
    hosts, error = _spotler_campaigns(
        {"campaigns": [{"encryptedId": "c1", "name": "x"}], "next": "https://evil.example/steal"}
    )
    assert set(hosts) == {"restapi.mailplus.test"}  # retried as malformed, the link never taken
    assert isinstance(error, MalformedResponseError) and "JSON array" in str(error)
