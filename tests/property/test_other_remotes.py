"""Hostile answers from Salesforce, Spotler and Salesmate: whatever comes back, with whatever
status, a read ends in records or in one ConnectorError a person can read; never a crash, and
never a secret in the message."""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import any_json, corrupted

from syncmonitor.connectors.errors import ConnectorError
from syncmonitor.connectors.http.retry import RetryPolicy
from syncmonitor.connectors.salesforce import SalesforceClient
from syncmonitor.connectors.salesmate import SalesmateAccess, SalesmateClient
from syncmonitor.connectors.spotler import SpotlerClient

POLICY = RetryPolicy(max_attempts=1)
SECRET = "hostile-SECRET-4b1e"


async def _no_sleep(seconds: float) -> None:
    return None


def _transport(body: bytes, status: int) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=body, headers={"Content-Type": "application/json"})

    return httpx.MockTransport(answer)


async def _salesforce(transport: httpx.MockTransport) -> Any:
    async with SalesforceClient(
        "https://org.my.salesforce.test",
        SECRET,
        policy=POLICY,
        transport=transport,
        sleep=_no_sleep,
    ) as client:
        return await client.lead_statuses()


async def _spotler(transport: httpx.MockTransport) -> Any:
    async with SpotlerClient(
        "https://restapi.mailplus.test/integrationservice-1.1.0",
        "key",
        SECRET,
        policy=POLICY,
        transport=transport,
        sleep=_no_sleep,
    ) as client:
        return await client.campaigns()


async def _salesmate(transport: httpx.MockTransport) -> Any:
    access = SalesmateAccess("https://acme.salesmate.test/apis", "acme", SECRET)
    async with SalesmateClient(
        access, policy=POLICY, transport=transport, sleep=_no_sleep
    ) as client:
        return await client.contacts_by_email(["ada@example.com"])


READS: dict[str, Callable[[httpx.MockTransport], Awaitable[Any]]] = {
    "Salesforce": _salesforce,
    "Spotler": _spotler,
    "Salesmate": _salesmate,
}
# Shapes close to the real answers, for the corruptions to start from.
SHAPES: dict[str, Any] = {
    "Salesforce": {
        "totalSize": 1,
        "done": True,
        "records": [{"attributes": {"type": "LeadStatus"}, "ApiName": "Open", "SortOrder": 1}],
    },
    "Spotler": [{"encryptedId": "ic1", "name": "Spring", "active": True, "triggers": []}],
    "Salesmate": {"Status": "success", "Data": {"data": [{"id": 1, "email": "ada@example.com"}]}},
}


@settings(max_examples=60)
@pytest.mark.parametrize("status", [200, 400, 401, 403, 404, 429, 500])
@pytest.mark.parametrize("remote", list(READS))
@given(data=st.data())
def test_any_answer_is_records_or_one_clear_error(remote: str, status: int, data: Any) -> None:
    body = data.draw(
        st.binary(max_size=120)
        | any_json.map(lambda d: json.dumps(d).encode())
        | corrupted(st.builds(copy.deepcopy, st.just(SHAPES[remote]))).map(
            lambda d: json.dumps(d).encode()
        ),
        label="body",
    )
    try:
        asyncio.run(READS[remote](_transport(body, status)))
    except ConnectorError as exc:
        assert exc.title and exc.message
        assert SECRET not in f"{exc.title} {exc.message} {exc.url} {exc!r}"
