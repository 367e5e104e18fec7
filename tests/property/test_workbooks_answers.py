"""Hostile Workbooks answers: reads and batch writes end in records, per-record results or one
ConnectorError that a person can read; never a crash, and a write result never claims a record
was saved unless Workbooks said so."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import any_json, corrupted

from syncmonitor.connectors.errors import ConnectorError
from syncmonitor.connectors.http.retry import RetryPolicy
from syncmonitor.connectors.workbooks.client import RecordUpdate, WorkbooksClient
from syncmonitor.connectors.workbooks.format import parse_datetime, parse_optional_datetime

record_ids = st.integers(min_value=1, max_value=10_000)


@st.composite
def read_answers(draw: st.DrawFn) -> dict[str, Any]:
    """A page of people as Workbooks sends it."""
    rows = draw(st.lists(record_ids, max_size=5, unique=True))
    return {
        "success": True,
        "total": draw(st.integers(min_value=0, max_value=10_000)),
        "data": [
            {
                "id": rid,
                "lock_version": draw(st.integers(min_value=0, max_value=50)),
                "name": draw(st.text(max_size=30)),
                "main_location[email]": draw(st.text(max_size=30)),
            }
            for rid in rows
        ],
    }


@st.composite
def write_answers(draw: st.DrawFn) -> dict[str, Any]:
    """A batch PUT answer: success overall or not, per-object information or not."""
    ids = draw(st.lists(record_ids, min_size=1, max_size=4, unique=True))
    infos = [
        {"success": draw(st.booleans()), "errors": draw(st.lists(st.text(max_size=20), max_size=2))}
        for _ in ids
    ]
    return {
        "success": draw(st.booleans()),
        "affected_objects": [{"id": i, "lock_version": 2} for i in ids],
        "affected_object_information": draw(st.sampled_from((infos, [], infos[:1]))),
        "errors": draw(st.lists(st.text(max_size=20), max_size=2)),
    }


async def _no_sleep(seconds: float) -> None:
    return None


def _client(body: bytes, status: int) -> WorkbooksClient:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=body, headers={"Content-Type": "application/json"})

    return WorkbooksClient(
        "https://secure.workbooks.test",
        "api-key",
        transport=httpx.MockTransport(answer),
        policy=RetryPolicy(max_attempts=1),
        sleep=_no_sleep,
    )


async def _read(client: WorkbooksClient) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    async with client:
        async for page in client.iter_records("crm/people", page_size=10):
            out += page
            if len(out) > 50:  # a server that never stops paging is not this test's subject
                break
    return out


async def _write(client: WorkbooksClient, updates: list[RecordUpdate]) -> list[Any]:
    async with client:
        return await client.update_records("crm/people", updates)


def _whole(value: object) -> int | None:
    """Workbooks sends numbers as JSON numbers or as digit strings."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _encode(doc: Any) -> bytes:
    return json.dumps(doc).encode()


@settings(max_examples=60)
@pytest.mark.parametrize("status", [200, 400, 401, 403, 404, 500, 502])
@given(body=st.binary(max_size=120) | corrupted(read_answers()).map(_encode))
def test_a_read_gives_records_or_one_connector_error(status: int, body: bytes) -> None:
    try:
        records = asyncio.run(_read(_client(body, status)))
    except ConnectorError as exc:
        assert exc.title and exc.message
        assert "api-key" not in exc.message  # the key never reaches what a person sees
    else:
        assert all(isinstance(r, dict) for r in records)


@settings(max_examples=100)
@given(answer=corrupted(write_answers()) | any_json)
def test_a_batch_write_result_never_claims_an_unconfirmed_save(answer: Any) -> None:
    updates = [RecordUpdate(i, 1, {"cf_person_sequence_state": "Active"}) for i in (1, 2, 3)]
    try:
        results = asyncio.run(_write(_client(_encode(answer), 200), updates))
    except ConnectorError as exc:
        assert exc.title and exc.message
        return
    assert [r.id for r in results] == [1, 2, 3]
    confirmed = set()
    if isinstance(answer, dict) and isinstance(answer.get("affected_objects"), list):
        confirmed = {
            _whole(o.get("id"))
            for o in answer["affected_objects"]
            if isinstance(o, dict) and _whole(o.get("lock_version")) is not None
        }
    infos = answer.get("affected_object_information") if isinstance(answer, dict) else None
    for position, result in enumerate(results):
        if not result.ok:
            assert result.lock_version is None
            continue
        said_ok = (
            isinstance(infos, list)
            and len(infos) == len(updates)
            and isinstance(infos[position], dict)
            and infos[position].get("success") is True
        )
        assert said_ok or result.id in confirmed


@given(st.text(max_size=40))
def test_workbooks_dates_parse_or_raise_value_error(text: str) -> None:
    try:
        moment = parse_datetime(text)
    except ValueError:
        return
    assert moment.tzinfo is not None


@given(any_json)
def test_optional_dates_accept_only_text_or_nothing(value: Any) -> None:
    try:
        moment = parse_optional_datetime(value)
    except ValueError:
        return
    assert moment is None or moment.tzinfo is not None
