"""The Workbooks client: auth parameters, paging, lookups, batched updates (no network)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

import httpx
import pytest

from syncmonitor import __version__
from syncmonitor.connectors.errors import (
    AuthenticationError,
    MalformedResponseError,
    RequestRejectedError,
)
from syncmonitor.connectors.http.retry import RetryPolicy
from syncmonitor.connectors.workbooks.client import (
    CONFLICT_MARKER,
    RecordUpdate,
    UpdateResult,
    WorkbooksClient,
)

BASE = "https://secure.workbooks.test/"
KEY = "wb-secret-api-key-123"
FAST = RetryPolicy(max_attempts=3, base_delay=0.0, max_delay=0.0, redirect_delay=0.0)
STALE = "This record cannot be saved since it has already been updated elsewhere."

Handler = Callable[[httpx.Request], httpx.Response]


async def no_sleep(seconds: float) -> None:
    return None


def client_for(handler: Handler, **kw: Any) -> WorkbooksClient:
    return WorkbooksClient(
        BASE, KEY, policy=FAST, transport=httpx.MockTransport(handler), sleep=no_sleep, **kw
    )


def query(request: httpx.Request) -> dict[str, list[str]]:
    return parse_qs(urlsplit(str(request.url)).query, keep_blank_values=True)


def form(request: httpx.Request) -> list[tuple[str, str]]:
    return parse_qsl(request.content.decode(), keep_blank_values=True)


def answer(data: list[dict[str, Any]] | None = None, **extra: Any) -> httpx.Response:
    body: dict[str, Any] = {"success": True, "flash": "", "updates": {}}
    if data is not None:
        body["data"] = data
    body.update(extra)
    return httpx.Response(200, json=body)


def saved(updates: list[tuple[int, int]], infos: list[dict[str, Any]]) -> httpx.Response:
    return answer(
        affected_objects=[{"id": i, "lock_version": v} for i, v in updates],
        affected_object_information=infos,
    )


# -- reads ----------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_reads_carry_key_version_client_and_user_agent() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answer([])

    async with client_for(handler) as client:
        pages = [p async for p in client.iter_records("crm/people")]
    assert pages == []
    q = query(seen[0])
    assert seen[0].url.path == "/crm/people.api"
    assert q["api_key"] == [KEY]
    assert q["_api_version"] == ["1"]
    assert q["client"] == ["api"]
    assert seen[0].headers["User-Agent"] == f"SyncMonitor/{__version__}"


@pytest.mark.asyncio
async def test_iter_records_pages_with_start_and_limit_and_sends_filters() -> None:
    seen: list[httpx.Request] = []
    people = [{"id": i, "name": f"P{i}"} for i in range(1, 6)]

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        q = query(request)
        start, limit = int(q["_start"][0]), int(q["_limit"][0])
        return answer(people[start : start + limit])

    async with client_for(handler, user_agent="Tests/1") as client:
        pages = [
            p
            async for p in client.iter_records(
                "crm/people.api",
                filters=[
                    ("updated_at", "ge", "Fri May 15 14:36:54 UTC 2009"),
                    ("is_deleted", "false", ""),
                ],
                filter_mode="1 AND 2",
                sort="updated_at",
                columns=["id", "name"],
                page_size=2,
            )
        ]
    assert [[r["id"] for r in page] for page in pages] == [[1, 2], [3, 4], [5]]
    assert [query(r)["_start"] for r in seen] == [["0"], ["2"], ["4"]]
    q = query(seen[0])
    assert q["_ff[]"] == ["updated_at", "is_deleted"]
    assert q["_ft[]"] == ["ge", "false"]
    assert q["_fc[]"] == ["Fri May 15 14:36:54 UTC 2009", ""]
    assert q["_fm"] == ["1 AND 2"]
    assert q["_sort"] == ["updated_at"] and q["_dir"] == ["ASC"]
    assert q["_select_columns[]"] == ["id", "name"]
    assert q["_skip_total_rows"] == ["true"]
    assert seen[0].headers["User-Agent"] == "Tests/1"


@pytest.mark.asyncio
async def test_exactly_full_last_page_costs_one_empty_read() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answer([{"id": 1}, {"id": 2}] if len(seen) == 1 else [])

    async with client_for(handler) as client:
        pages = [p async for p in client.iter_records("crm/people", page_size=2)]
    assert len(pages) == 1 and len(seen) == 2


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "body",
    [b"not json", b'{"success": true}', b'{"success": true, "data": {"id": 1}}', b"[1]"],
)
async def test_wrong_shaped_answers_are_retried_then_malformed(body: bytes) -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(200, content=body)

    async with client_for(handler) as client:
        with pytest.raises(MalformedResponseError):
            _ = [p async for p in client.iter_records("crm/people")]
    assert len(calls) == FAST.max_attempts


@pytest.mark.asyncio
async def test_success_false_is_a_rejected_request_quoting_workbooks() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, json={"success": False, "errors": ["Unknown column 'nope'"], "flash": "Oops"}
        )

    async with client_for(handler) as client:
        with pytest.raises(RequestRejectedError) as caught:
            _ = [p async for p in client.iter_records("crm/people", columns=["nope"])]
    assert "Unknown column 'nope'" in caught.value.message
    assert KEY not in str(caught.value)


@pytest.mark.asyncio
async def test_people_by_field_uses_or_filters_in_short_chunks() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        emails = query(request)["_fc[]"]
        return answer([{"id": int(e.split("@")[0][1:]), "main_location[email]": e} for e in emails])

    emails = [f"p{i}@{'x' * 40}.example.com" for i in range(100)]
    async with client_for(handler) as client:
        people = await client.people_by_field(
            "main_location[email]", [*emails, "", emails[0]], ["id", "main_location[email]"]
        )
    assert sorted(p["id"] for p in people) == list(range(100))
    assert len(seen) > 1
    for request in seen:
        q = query(request)
        assert len(str(request.url)) < 4500
        assert q["_fm"] == ["or"]
        assert set(q["_ft[]"]) == {"eq"}
        assert set(q["_ff[]"]) == {"main_location[email]"}
        assert q["_select_columns[]"] == ["id", "main_location[email]"]
    asked = [e for r in seen for e in query(r)["_fc[]"]]
    assert asked == emails  # each once, blank skipped, order kept


# -- writes ---------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_update_is_a_form_encoded_put_of_parallel_arrays() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return saved([(7, 4), (9, 2)], [{"success": True}, {"success": True}])

    updates = [
        RecordUpdate(7, 3, {"cf_person_sequence_state": "Active", "no_email_soliciting": True}),
        RecordUpdate(9, 1, {"cf_person_sync_to_outreach": False, "cf_person_note": None}),
    ]
    async with client_for(handler) as client:
        results = await client.update_records("crm/people", updates)

    request = seen[0]
    assert request.method == "PUT"
    assert request.url.path == "/crm/people.api"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert "api_key" not in str(request.url)  # the key travels in the body of a write
    body = form(request)
    fields = dict(body)
    assert fields["api_key"] == KEY
    assert fields["_api_version"] == "1" and fields["client"] == "api"
    assert fields["_per_object_transactions"] == "true"
    assert fields["_fm"] == "or"

    def values(name: str) -> list[str]:
        return [v for k, v in body if k == name]

    assert values("_ff[]") == ["id", "id"]
    assert values("_ft[]") == ["eq", "eq"]
    assert values("_fc[]") == ["7", "9"]
    assert values("__method[]") == ["PUT", "PUT"]
    assert values("id[]") == ["7", "9"]
    assert values("lock_version[]") == ["3", "1"]
    assert values("cf_person_sequence_state[]") == ["Active", ":no_value:"]
    assert values("no_email_soliciting[]") == ["1", ":no_value:"]
    assert values("cf_person_sync_to_outreach[]") == [":no_value:", "0"]
    assert values("cf_person_note[]") == [":no_value:", ":null_value:"]

    assert results == [
        UpdateResult(7, True, 4, False, []),
        UpdateResult(9, True, 2, False, []),
    ]


@pytest.mark.asyncio
async def test_updates_go_in_batches_of_at_most_100() -> None:
    batches: list[list[str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        ids = [v for k, v in form(request) if k == "id[]"]
        batches.append(ids)
        return saved([(int(i), 2) for i in ids], [{"success": True} for _ in ids])

    updates = [RecordUpdate(i, 1, {"name": f"N{i}"}) for i in range(1, 251)]
    async with client_for(handler) as client:
        results = await client.update_records("crm/people", updates)
    assert [len(b) for b in batches] == [100, 100, 50]
    assert [r.id for r in results] == list(range(1, 251))
    assert all(r.ok and r.lock_version == 2 for r in results)


@pytest.mark.asyncio
async def test_stale_lock_version_is_a_conflict_result_not_an_exception() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        # Workbooks answers HTTP 200 with per-object results; the batch as a whole "failed".
        return httpx.Response(
            200,
            json={
                "success": False,
                "affected_objects": [{"id": 1, "lock_version": 6}, {"id": 2, "lock_version": 7}],
                "affected_object_information": [
                    {"success": True, "errors": {}, "warnings": {}},
                    {"success": False, "errors": {"id": [STALE]}, "warnings": {}},
                ],
            },
        )

    updates = [RecordUpdate(1, 5, {"name": "A"}), RecordUpdate(2, 6, {"name": "B"})]
    async with client_for(handler) as client:
        ok, stale = await client.update_records("crm/people", updates)
    assert ok == UpdateResult(1, True, 6, False, [])
    assert stale.ok is False
    assert stale.conflict is True
    assert stale.lock_version is None
    assert stale.errors == [STALE]
    assert CONFLICT_MARKER in stale.errors[0]


@pytest.mark.asyncio
async def test_other_per_object_failures_are_not_conflicts() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return saved(
            [(1, 5)],
            [{"success": False, "errors": {"cf_person_sequence_state": ["is not a valid value"]}}],
        )

    async with client_for(handler) as client:
        (result,) = await client.update_records("crm/people", [RecordUpdate(1, 5, {"x": 1})])
    assert not result.ok and not result.conflict
    assert result.errors == ["cf_person_sequence_state: is not a valid value"]


@pytest.mark.asyncio
async def test_a_refused_batch_is_an_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, json={"success": False, "errors": ["Too many objects"], "flash": ""}
        )

    async with client_for(handler) as client:
        with pytest.raises(RequestRejectedError, match="Too many objects"):
            await client.update_records("crm/people", [RecordUpdate(1, 5, {"x": 1})])


def test_update_records_refuses_nonsense_before_sending() -> None:
    import asyncio

    client = client_for(lambda r: answer([]))

    async def run(updates: list[RecordUpdate]) -> None:
        await client.update_records("crm/people", updates)

    with pytest.raises(ValueError, match="once"):
        asyncio.run(run([RecordUpdate(1, 1, {}), RecordUpdate(1, 2, {})]))
    with pytest.raises(ValueError, match="lock_version"):
        asyncio.run(run([RecordUpdate(1, 1, {"lock_version": 3})]))


@pytest.mark.asyncio
async def test_slow_down_redirect_resends_the_same_put() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if len(seen) == 1:
            return httpx.Response(302, headers={"Location": str(request.url)})
        return saved([(1, 2)], [{"success": True}])

    async with client_for(handler) as client:
        (result,) = await client.update_records("crm/people", [RecordUpdate(1, 1, {"x": "y"})])
    assert result.ok
    assert [r.method for r in seen] == ["PUT", "PUT"]
    assert seen[0].content == seen[1].content
    assert client.stats.redirects == 1


# -- auth -----------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_wrong_key_is_one_request_and_the_key_never_shows() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            401,
            json={"success": False, "errors": [f"Invalid api_key {KEY}"], "flash": "Not logged in"},
        )

    async with client_for(handler) as client:
        with pytest.raises(AuthenticationError) as caught:
            _ = [p async for p in client.iter_records("crm/people")]
    error = caught.value
    assert len(seen) == 1
    assert KEY not in str(error) and KEY not in repr(error)
    assert error.url is not None and KEY not in error.url and "api_key=REDACTED" in error.url
    assert "SYNCMONITOR_WORKBOOKS_API_KEY" in error.message
    assert "API Keys" in error.message


@pytest.mark.asyncio
async def test_network_errors_never_show_the_key() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"cannot connect to {request.url}")

    async with client_for(handler) as client:
        with pytest.raises(Exception) as caught:
            _ = [p async for p in client.iter_records("crm/people")]
    assert KEY not in str(caught.value)
