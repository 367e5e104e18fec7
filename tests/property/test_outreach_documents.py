"""Hostile Outreach answers: every document the API could send parses; anything else is one clear
error (ValueError from the page parser, MalformedResponseError from the client), never a crash."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import any_json, corrupted, state_documents

from syncmonitor.connectors.errors import ConnectorError, MalformedResponseError
from syncmonitor.connectors.http.retry import RetryPolicy
from syncmonitor.connectors.outreach.client import OutreachClient, parse_state_page


def _encode(doc: Any) -> bytes:
    # The stdlib encoder, not orjson: a hostile server can send integers beyond 64 bits.
    return json.dumps(doc).encode()


@given(state_documents())
def test_every_schema_valid_page_parses_and_keeps_each_state(doc: dict[str, Any]) -> None:
    page = parse_state_page(_encode(doc))
    assert [s.id for s in page.states] == [r["id"] for r in doc["data"]]
    for record, resource in zip(page.states, doc["data"], strict=True):
        assert record.state == resource["attributes"].get("state")
        rel = resource["relationships"]["prospect"].get("data")
        assert record.prospect_id == (rel["id"] if rel else None)
    kinds = {"prospect": page.prospects, "sequence": page.sequences, "sequenceStep": page.steps}
    for resource in doc["included"]:
        if resource["type"] in kinds:
            assert resource["id"] in kinds[resource["type"]]


@given(corrupted(state_documents()))
def test_a_corrupted_page_parses_or_fails_with_one_value_error(doc: Any) -> None:
    try:
        page = parse_state_page(_encode(doc))
    except ValueError as exc:
        assert str(exc).startswith("not a sequenceStates page: ")
    else:
        assert all(isinstance(s.id, int) for s in page.states)


@given(st.binary(max_size=200) | any_json.map(_encode))
def test_arbitrary_bytes_never_crash_the_parser(body: bytes) -> None:
    with contextlib.suppress(ValueError):
        parse_state_page(body)


def _client(body: bytes, status: int) -> OutreachClient:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=body, headers={"Content-Type": "application/json"})

    return OutreachClient(
        "https://api.outreach.test/api/v2",
        "token",
        transport=httpx.MockTransport(answer),
        policy=RetryPolicy(max_attempts=1),
        sleep=_no_sleep,
    )


async def _no_sleep(seconds: float) -> None:
    return None


async def _read_all(client: OutreachClient) -> int:
    count = 0
    async with client:
        async for page in client.sequence_state_pages(None):
            count += len(page.states)
    return count


@settings(max_examples=40)
@pytest.mark.parametrize("status", [200, 400, 401, 404, 422, 500, 503])
@given(body=st.binary(max_size=120) | corrupted(state_documents()).map(_encode))
def test_the_client_turns_any_answer_into_pages_or_a_connector_error(
    status: int, body: bytes
) -> None:
    try:
        asyncio.run(_read_all(_client(body, status)))
    except ConnectorError as exc:
        assert exc.title and exc.message  # a person can read what happened
        if status == 200:
            assert isinstance(exc, MalformedResponseError)
