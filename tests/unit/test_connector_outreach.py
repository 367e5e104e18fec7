"""The Outreach client: headers, paging, parsing, errors (httpx.MockTransport, no network)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import orjson
import pytest

from syncmonitor.connectors.errors import (
    AuthenticationError,
    MalformedResponseError,
    RequestRejectedError,
)
from syncmonitor.connectors.http.retry import RetryPolicy
from syncmonitor.connectors.outreach.client import (
    OutreachClient,
    ProspectRecord,
    SequenceRecord,
    SequenceStateRecord,
    SequenceStepRecord,
    latest_timestamp,
    parse_prospect,
    parse_sequence_state,
    parse_sequence_step,
)

BASE = "https://api.outreach.test/api/v2"
TOKEN = "outreach-secret-token"
FAST = RetryPolicy(max_attempts=3, base_delay=0.0, max_delay=0.0, redirect_delay=0.0)

Handler = Callable[[httpx.Request], httpx.Response]


async def no_sleep(seconds: float) -> None:
    return None


def client_for(handler: Handler, **kw: Any) -> OutreachClient:
    return OutreachClient(
        BASE,
        TOKEN,
        policy=kw.pop("policy", FAST),
        transport=httpx.MockTransport(handler),
        sleep=no_sleep,
        **kw,
    )


def query(request: httpx.Request) -> dict[str, list[str]]:
    return parse_qs(urlsplit(str(request.url)).query, keep_blank_values=True)


def state(
    sid: int,
    *,
    updated: str = "2026-11-22T15:58:00.000Z",
    prospect: int | None = 1,
    sequence: int | None = 10,
    step: int | None = 100,
    **attributes: Any,
) -> dict[str, Any]:
    attrs: dict[str, Any] = {
        "state": "active",
        "stateChangedAt": "2026-11-20T10:00:00.000Z",
        "updatedAt": updated,
        "createdAt": "2026-11-01T09:00:00.000Z",
        "pauseReason": None,
        "errorReason": None,
        "replyCount": 0,
        "bounceCount": 0,
        "optOutCount": 0,
    }
    attrs.update(attributes)

    def rel(kind: str, rid: int | None) -> dict[str, Any]:
        return {"data": None if rid is None else {"type": kind, "id": rid}}

    return {
        "type": "sequenceState",
        "id": sid,
        "attributes": attrs,
        "relationships": {
            "prospect": rel("prospect", prospect),
            "sequence": rel("sequence", sequence),
            "sequenceStep": rel("sequenceStep", step),
        },
        "links": {"self": f"{BASE}/sequenceStates/{sid}"},
    }


def prospect(pid: int, **attributes: Any) -> dict[str, Any]:
    attrs: dict[str, Any] = {
        "emails": [f"p{pid}@example.com"],
        "firstName": "Ada",
        "lastName": "Lovelace",
        "optedOut": False,
        "emailsOptStatus": "opted_in",
        "externalId": str(pid + 5000),
        "updatedAt": "2026-11-02T09:00:00.000Z",
    }
    attrs.update(attributes)
    return {"type": "prospect", "id": pid, "attributes": attrs}


SEQUENCE: dict[str, Any] = {
    "type": "sequence",
    "id": 10,
    "attributes": {
        "name": "Welcome",
        "enabled": True,
        "sequenceType": "interval",
        "sequenceStepCount": 4,
        "updatedAt": "2026-01-01T00:00:00.000Z",
    },
}
STEP: dict[str, Any] = {
    "type": "sequenceStep",
    "id": 100,
    "attributes": {"order": 2, "stepType": "auto_email"},
    "relationships": {"sequence": {"data": {"type": "sequence", "id": 10}}},
}


def document(data: list[Any], included: Sequence[Any] = (), next_url: str | None = None) -> bytes:
    links: dict[str, Any] = {"first": f"{BASE}/sequenceStates"}
    if next_url:
        links["next"] = next_url
    return orjson.dumps({"data": data, "included": list(included), "links": links, "meta": {}})


def json_api(body: bytes, status: int = 200, **headers: str) -> httpx.Response:
    return httpx.Response(
        status, content=body, headers={"Content-Type": "application/vnd.api+json", **headers}
    )


# -- requests -------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_every_request_carries_the_json_api_headers_and_bearer_token() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return json_api(document([]))

    async with client_for(handler) as client:
        pages = [p async for p in client.iter_pages("prospects")]
    assert len(pages) == 1
    headers = seen[0].headers
    assert headers["Authorization"] == f"Bearer {TOKEN}"
    assert headers["Content-Type"] == "application/vnd.api+json"
    assert headers["Accept"] == "application/vnd.api+json"
    assert seen[0].url.path == "/api/v2/prospects"


@pytest.mark.asyncio
async def test_sequence_state_pages_asks_for_exactly_what_it_parses() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return json_api(document([]))

    async with client_for(handler, page_size=500) as client:
        pages = [p async for p in client.sequence_state_pages("2026-11-01T00:00:00.000Z")]
    assert len(pages) == 1 and pages[0].states == [] and pages[0].max_updated_at is None
    q = query(seen[0])
    assert seen[0].url.path == "/api/v2/sequenceStates"
    assert q["sort"] == ["updatedAt"]
    assert q["filter[updatedAt]"] == ["2026-11-01T00:00:00.000Z..inf"]
    assert q["include"] == ["prospect,sequence,sequenceStep"]
    assert q["page[size]"] == ["500"]
    assert q["count"] == ["true"]  # the first page carries meta.count for the completeness check
    assert set(q["fields[sequenceState]"][0].split(",")) >= {
        "state",
        "updatedAt",
        "prospect",
        "sequence",
        "sequenceStep",
    }
    assert "emails" in q["fields[prospect]"][0]
    assert "sequenceStepCount" in q["fields[sequence]"][0]
    assert q["fields[sequenceStep]"] == ["order,stepType,sequence"]


@pytest.mark.asyncio
async def test_a_full_sync_sends_no_updated_at_filter() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return json_api(document([]))

    async with client_for(handler) as client:
        _ = [p async for p in client.sequence_state_pages(None)]
    assert "filter[updatedAt]" not in query(seen[0])
    assert query(seen[0])["page[size]"] == ["1000"]


def test_page_size_is_bounded_by_outreach_maximum() -> None:
    with pytest.raises(ValueError):
        OutreachClient(BASE, TOKEN, page_size=1001)


# -- paging ---------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_paging_follows_links_next_until_absent() -> None:
    seen: list[str] = []
    pages = {
        "/api/v2/sequenceStates": document([state(1)], next_url=f"{BASE}/sequenceStates?p=2"),
        "2": document([state(2)], next_url=f"{BASE}/sequenceStates?p=3"),
        "3": document([state(3)]),
    }

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        key = query(request).get("p", [request.url.path])[0]
        return json_api(pages[key])

    async with client_for(handler) as client:
        result = [p async for p in client.sequence_state_pages(None)]
    assert [[s.id for s in p.states] for p in result] == [[1], [2], [3]]
    assert len(seen) == 3
    # the next links are followed as given, without adding the first request's parameters
    # (only `count` is set to false: the first page's meta.count is all the pull needs)
    assert seen[1] == f"{BASE}/sequenceStates?p=2&count=false"


@pytest.mark.asyncio
async def test_a_page_bad_after_retries_ends_iteration_after_earlier_pages() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(str(request.url))
        if "p=2" in str(request.url):
            return json_api(b'{"data": [{"type": "sequenceState", "id": 2')  # cut short
        return json_api(document([state(1)], next_url=f"{BASE}/sequenceStates?p=2"))

    received = []
    async with client_for(handler) as client:
        with pytest.raises(MalformedResponseError):
            async for page in client.sequence_state_pages(None):
                received.append(page)
    assert [s.id for s in received[0].states] == [1]
    assert len(received) == 1
    assert len(calls) == 1 + FAST.max_attempts


@pytest.mark.asyncio
async def test_a_bad_page_that_recovers_on_retry_is_not_an_error() -> None:
    answers = [json_api(b"<html>oops</html>"), json_api(document([state(1)]))]

    def handler(request: httpx.Request) -> httpx.Response:
        return answers.pop(0)

    async with client_for(handler) as client:
        result = [p async for p in client.sequence_state_pages(None)]
    assert [s.id for s in result[0].states] == [1]


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"[]", "JSON object"),
        (b'{"links": {}}', "no 'data'"),
        (b'{"data": {}}', "'data' should be a list"),
        (b'{"data": [], "links": {"next": 5}}', "links.next"),
        (orjson.dumps({"data": [{"id": "12", "type": "sequenceState"}]}), "integer"),
        (orjson.dumps({"data": [state(1, replyCount="3")]}), "replyCount"),
        (orjson.dumps({"data": [state(1, state=7)]}), "'state'"),
    ],
)
async def test_documents_of_the_wrong_shape_are_malformed(body: bytes, fragment: str) -> None:
    async with client_for(lambda r: json_api(body)) as client:
        with pytest.raises(MalformedResponseError) as caught:
            _ = [p async for p in client.sequence_state_pages(None)]
    assert fragment in caught.value.message
    assert TOKEN not in str(caught.value)


@pytest.mark.asyncio
async def test_next_link_to_another_host_is_refused() -> None:
    body = document([state(1)], next_url="https://elsewhere.test/api/v2/sequenceStates?p=2")
    async with client_for(lambda r: json_api(body)) as client:
        with pytest.raises(MalformedResponseError) as caught:
            _ = [p async for p in client.sequence_state_pages(None)]
    assert "another host" in caught.value.message


@pytest.mark.asyncio
async def test_next_link_pointing_back_is_refused_instead_of_looping() -> None:
    body = document([state(1)], next_url=f"{BASE}/sequenceStates?p=2")
    async with client_for(lambda r: json_api(body)) as client:
        with pytest.raises(MalformedResponseError) as caught:
            _ = [p async for p in client.sequence_state_pages(None)]
    assert "circle" in caught.value.title


# -- parsing --------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_states_and_included_resources_are_parsed() -> None:
    body = document(
        [
            state(1, updated="2026-11-22T15:58:01.000Z"),
            state(2, updated="2026-11-22T15:58:00.000Z"),
        ],
        [prospect(1), SEQUENCE, STEP, {"type": "account", "id": 9, "attributes": {}}],
    )
    async with client_for(lambda r: json_api(body)) as client:
        (page,) = [p async for p in client.sequence_state_pages(None)]
    assert page.states[0] == SequenceStateRecord(
        id=1,
        state="active",
        state_changed_at="2026-11-20T10:00:00.000Z",
        updated_at="2026-11-22T15:58:01.000Z",
        created_at="2026-11-01T09:00:00.000Z",
        pause_reason=None,
        error_reason=None,
        reply_count=0,
        bounce_count=0,
        opt_out_count=0,
        prospect_id=1,
        sequence_id=10,
        sequence_step_id=100,
    )
    assert page.prospects == {
        1: ProspectRecord(
            id=1,
            emails=("p1@example.com",),
            first_name="Ada",
            last_name="Lovelace",
            opted_out=False,
            emails_opt_status="opted_in",
            external_id="5001",
            updated_at="2026-11-02T09:00:00.000Z",
        )
    }
    assert page.sequences == {
        10: SequenceRecord(10, "Welcome", True, "interval", 4, "2026-01-01T00:00:00.000Z")
    }
    assert page.steps == {100: SequenceStepRecord(100, 10, 2, "auto_email")}
    assert page.max_updated_at == "2026-11-22T15:58:01.000Z"


def test_null_attributes_become_none_and_opted_out_false() -> None:
    nulls: dict[str, Any] = {
        key: None
        for key in (
            "state",
            "stateChangedAt",
            "updatedAt",
            "createdAt",
            "pauseReason",
            "errorReason",
            "replyCount",
            "bounceCount",
            "optOutCount",
        )
    }
    raw = state(5)
    raw["attributes"] = nulls
    parsed = parse_sequence_state(raw)
    assert parsed.state is None and parsed.updated_at is None and parsed.reply_count is None

    p = parse_prospect(
        {
            "id": 3,
            "attributes": {
                "emails": None,
                "firstName": None,
                "optedOut": None,
                "emailsOptStatus": None,
            },
        }
    )
    assert p.emails == () and p.opted_out is False and p.first_name is None
    assert parse_prospect({"id": 4}).external_id is None  # no attributes at all
    assert parse_sequence_step({"id": 7, "attributes": {"order": None}}).sequence_id is None


def test_missing_relationships_become_none() -> None:
    links_only = state(6)
    links_only["relationships"] = {
        "prospect": {"links": {"related": "prospect"}},
        "sequenceStep": None,
    }
    parsed = parse_sequence_state(links_only)
    assert (parsed.prospect_id, parsed.sequence_id, parsed.sequence_step_id) == (None,) * 3
    no_rel = state(7)
    del no_rel["relationships"]
    assert parse_sequence_state(no_rel).prospect_id is None
    null_data = parse_sequence_state(state(8, prospect=None, step=None))
    assert (null_data.prospect_id, null_data.sequence_id, null_data.sequence_step_id) == (
        None,
        10,
        None,
    )


def test_bad_relationship_is_malformed() -> None:
    broken = state(9)
    broken["relationships"]["prospect"] = {"data": {"type": "prospect", "id": "x"}}
    with pytest.raises(ValueError, match="prospect"):
        parse_sequence_state(broken)


def test_unknown_states_are_kept_as_given() -> None:
    assert parse_sequence_state(state(1, state="scheduled_to_finish")).state == (
        "scheduled_to_finish"
    )


@pytest.mark.asyncio
async def test_states_whose_related_resources_were_not_included_still_parse() -> None:
    body = document([state(1, prospect=77)], [SEQUENCE])
    async with client_for(lambda r: json_api(body)) as client:
        (page,) = [p async for p in client.sequence_state_pages(None)]
    assert page.states[0].prospect_id == 77
    assert 77 not in page.prospects
    assert page.steps == {}


def test_latest_timestamp_compares_instants_not_text() -> None:
    assert latest_timestamp(["2026-11-22T15:58:00.000Z", None, "2026-11-22T16:00:00+02:00"]) == (
        "2026-11-22T15:58:00.000Z"
    )
    assert latest_timestamp([None, "garbage"]) is None


# -- prospects by id ------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_prospects_by_id_fetches_in_chunks() -> None:
    asked: list[list[int]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        ids = [int(i) for i in query(request)["filter[id]"][0].split(",")]
        asked.append(ids)
        assert request.url.path == "/api/v2/prospects"
        # pretend every third prospect was deleted
        return json_api(document([prospect(i) for i in ids if i % 3]))

    async with client_for(handler) as client:
        found = await client.prospects_by_id([*range(1, 251), 5, 5])
    assert [len(chunk) for chunk in asked] == [100, 100, 50]
    assert sorted(found) == [i for i in range(1, 251) if i % 3]
    assert found[1].emails == ("p1@example.com",)

    async with client_for(handler) as client:
        assert await client.prospects_by_id([]) == {}


# -- errors ---------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_wrong_token_is_one_request_and_an_actionable_error() -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        body = {"errors": [{"id": "unauthorized", "title": "Unauthorized", "detail": "Bad token"}]}
        return json_api(orjson.dumps(body), status=401)

    async with client_for(handler) as client:
        with pytest.raises(AuthenticationError) as caught:
            _ = [p async for p in client.sequence_state_pages(None)]
    assert len(calls) == 1
    assert caught.value.service == "Outreach"
    assert "SYNCMONITOR_OUTREACH_TOKEN" in caught.value.message
    assert TOKEN not in str(caught.value)


@pytest.mark.asyncio
async def test_validation_errors_quote_outreach() -> None:
    body = {"errors": [{"id": "validationError", "title": "Invalid page size", "detail": "max"}]}

    async with client_for(lambda r: json_api(orjson.dumps(body), status=422)) as client:
        with pytest.raises(RequestRejectedError) as caught:
            _ = [p async for p in client.iter_pages("prospects")]
    assert "Invalid page size" in caught.value.message


@pytest.mark.asyncio
async def test_stats_are_exposed() -> None:
    async with client_for(lambda r: json_api(document([]))) as client:
        _ = [p async for p in client.iter_pages("prospects")]
        assert client.stats.requests == 1
        assert client.stats.bytes_received > 0


@pytest.mark.asyncio
async def test_only_the_first_page_asks_outreach_to_count() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        after = int(query(request).get("page[after]", ["0"])[0])
        # Outreach's next link keeps the query it was given, count=true included
        nxt = f"{BASE}/sequenceStates?count=true&page%5Bafter%5D={after + 1}" if after < 2 else None
        body = orjson.loads(document([state(after + 1)], next_url=nxt))
        body["meta"] = {"count": 3}
        return json_api(orjson.dumps(body))

    async with client_for(handler) as client:
        pages = [p async for p in client.sequence_state_pages(None)]
    assert [query(r)["count"] for r in seen] == [["true"], ["false"], ["false"]]
    assert [p.count for p in pages] == [3, 3, 3]  # meta.count read wherever it is sent
