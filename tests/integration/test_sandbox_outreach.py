"""The sandbox's Outreach API against Outreach's own OpenAPI description and the contract."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
from referencing import Registry
from referencing.jsonschema import DRAFT4

import loopback_http
from syncmonitor.sandbox.admin import AdminClient
from syncmonitor.sandbox.process import SandboxEndpoints

SPEC_PATH = Path(__file__).resolve().parents[1] / "data" / "outreach-openapi.json"
SPEC_URI = "urn:outreach-openapi"
ISO_MS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
COLLECTIONS = {
    "sequenceStates": "sequenceState",
    "prospects": "prospect",
    "sequences": "sequence",
    "sequenceSteps": "sequenceStep",
    "accounts": "account",
    "stages": "stage",
}
INCLUDES = {
    "sequenceStates": "prospect,sequence,sequenceStep,account",
    "prospects": "account,stage",
    "sequenceSteps": "sequence",
}

MakeClient = Callable[[SandboxEndpoints], httpx.Client]


# -- the OpenAPI description as a validator ---------------------------------------------------


def _loosen(node: Any, in_attributes: bool = False) -> Any:
    """Undo three defects of the published spec; nothing else is relaxed.

    1. Relationship alternatives titled "data" and "links" sit under `oneOf` but require nothing,
       so every relationship matches both and fails `oneOf`: each alternative is made to require
       the member it is titled after, which is what its description says.
    2. No attribute is marked nullable, yet Outreach sends null for unset attributes (the
       reference notes "Attributes may be null"): attribute properties also accept null, and so
       does anything marked `nullable: true`.
    3. `primaryReplyAction`/`secondaryReplyAction` have maxLength 4 while their own description
       says they are "finish", "continue" or "pause": the maxLength is dropped.
    """
    if isinstance(node, list):
        return [_loosen(item, in_attributes) for item in node]
    if not isinstance(node, dict):
        return node
    result = {key: _loosen(value) for key, value in node.items() if key != "properties"}
    title = node.get("title")
    if title in ("data", "links") and title in node.get("properties", {}):
        result["required"] = [title]
    if node.get("nullable") is True and isinstance(node.get("type"), str):
        result["type"] = [node["type"], "null"]
    if "properties" in node:
        properties = {}
        for name, schema in node["properties"].items():
            schema = _loosen(schema)
            if in_attributes and isinstance(schema.get("type"), str):
                schema["type"] = [schema["type"], "null"]
            if name in ("primaryReplyAction", "secondaryReplyAction"):
                schema.pop("maxLength", None)
            properties[name] = schema
        result["properties"] = properties
    return result


@pytest.fixture(scope="module")
def validators() -> dict[str, jsonschema.Validator]:
    spec = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    schemas = spec["components"]["schemas"]
    patched = copy.deepcopy(spec)
    for name, schema in schemas.items():
        # Attribute schemas are the ones a `<type>Response` points its `attributes` at.
        is_attributes = f"{name}Response" in schemas
        patched["components"]["schemas"][name] = _loosen(schema, in_attributes=is_attributes)
    registry = Registry().with_resource(SPEC_URI, DRAFT4.create_resource(patched))
    checker = jsonschema.FormatChecker()

    @checker.checks("date-time", raises=ValueError)
    def _date_time(value: object) -> bool:
        return not isinstance(value, str) or datetime.fromisoformat(value) is not None

    result = {}
    for type_name in COLLECTIONS.values():
        schema = {"$ref": f"{SPEC_URI}#/components/schemas/{type_name}Response"}
        result[type_name] = jsonschema.Draft4Validator(
            schema, registry=registry, format_checker=checker
        )
    return result


def _assert_valid(validators: dict[str, jsonschema.Validator], resource: dict[str, Any]) -> None:
    errors = list(validators[resource["type"]].iter_errors(resource))
    assert not errors, f"{resource['type']} {resource['id']}: " + "; ".join(
        f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]
    )


# -- helpers ------------------------------------------------------------------------------------


def walk(client: httpx.Client, path: str, params: dict[str, str]) -> Iterator[dict[str, Any]]:
    """Every page of a collection, following links.next until it is absent."""
    response = client.get(path, params=params)
    while True:
        assert response.status_code == 200, response.text
        document = response.json()
        yield document
        next_url = document["links"].get("next")
        if next_url is None:
            return
        response = client.get(next_url)


def all_ids(client: httpx.Client, path: str, **params: str) -> list[int]:
    return [r["id"] for page in walk(client, path, params) for r in page["data"]]


def all_records(client: httpx.Client, path: str) -> list[dict[str, Any]]:
    return [r for page in walk(client, path, {"page[size]": "1000"}) for r in page["data"]]


@pytest.fixture
def outreach(sandbox: SandboxEndpoints, outreach_http: MakeClient) -> httpx.Client:
    return outreach_http(sandbox)


# -- resources and the spec --------------------------------------------------------------------


def test_schema_check_is_not_vacuous(validators: dict[str, jsonschema.Validator]) -> None:
    broken = {
        "type": "sequenceState",
        "id": "12",
        "attributes": {"state": 5, "updatedAt": "yesterday"},
        "relationships": {"prospect": {"data": {"type": "account", "id": 5}}},
    }
    problems = {tuple(e.absolute_path) for e in validators["sequenceState"].iter_errors(broken)}
    assert ("id",) in problems
    assert ("attributes", "state") in problems
    assert ("attributes", "updatedAt") in problems
    assert ("relationships", "prospect") in problems


@pytest.mark.parametrize("collection", list(COLLECTIONS))
def test_every_resource_validates_against_the_openapi_schema(
    outreach: httpx.Client, validators: dict[str, jsonschema.Validator], collection: str
) -> None:
    params = {"page[size]": "1000"}
    if collection in INCLUDES:
        params["include"] = INCLUDES[collection]
    document = outreach.get(f"/{collection}", params=params).json()
    assert document["data"], f"the world has no {collection}"
    for resource in document["data"] + document.get("included", []):
        _assert_valid(validators, resource)
        assert isinstance(resource["id"], int)
        assert resource["links"]["self"].endswith(f"/{resource['id']}")
        for name, value in resource["attributes"].items():
            if name.endswith("At") and value is not None:
                assert ISO_MS.match(value), f"{name}={value!r} is not ISO 8601 UTC with ms"
    assert all(r["type"] == COLLECTIONS[collection] for r in document["data"])


def test_sequence_states_carry_what_the_app_reads(outreach: httpx.Client) -> None:
    states = all_records(outreach, "/sequenceStates")
    for state in states:
        attributes = state["attributes"]
        assert isinstance(attributes["state"], str)
        assert ISO_MS.match(attributes["updatedAt"]) and ISO_MS.match(attributes["stateChangedAt"])
        assert attributes["stateChangedAt"] <= attributes["updatedAt"]
        for counter in ("replyCount", "bounceCount", "optOutCount"):
            assert isinstance(attributes[counter], int)
        for name in ("prospect", "sequence", "sequenceStep"):
            data = state["relationships"][name]["data"]
            assert data["type"] == name and isinstance(data["id"], int)
    values = {s["attributes"]["state"] for s in states}
    assert {"active", "paused", "finished"} <= values
    assert "scheduled_to_finish" in values, "the undocumented state must appear in the world"
    paused = [s["attributes"] for s in states if s["attributes"]["state"] == "paused"]
    assert {p["pauseReason"] for p in paused} <= {"manual", "ooo"}
    assert len({s["id"] for s in states}) == len(states)
    pairs = [
        (s["relationships"]["prospect"]["data"]["id"], s["relationships"]["sequence"]["data"]["id"])
        for s in states
    ]
    assert len(set(pairs)) == len(pairs), "a prospect is twice in one sequence"


def test_opted_out_prospects_have_every_state_finished_by_opt_out(outreach: httpx.Client) -> None:
    prospects = {p["id"]: p for p in all_records(outreach, "/prospects")}
    opted_out = {i for i, p in prospects.items() if p["attributes"]["optedOut"]}
    assert opted_out, "seed 7 has opted-out prospects"
    for prospect_id in opted_out:
        assert prospects[prospect_id]["attributes"]["emailsOptStatus"] == "opted_out"
    for state in all_records(outreach, "/sequenceStates"):
        if state["relationships"]["prospect"]["data"]["id"] in opted_out:
            assert state["attributes"]["state"] == "finished"
            assert state["attributes"]["optOutCount"] == 1


def test_default_stages_exist(outreach: httpx.Client) -> None:
    stages = outreach.get("/stages").json()["data"]
    names = [s["attributes"]["name"] for s in sorted(stages, key=lambda s: s["id"])]
    assert names == ["New", "Approaching", "Replied", "Unresponsive", "Do Not Contact", "Bad Data"]


def test_one_resource_by_id_with_include(outreach: httpx.Client) -> None:
    document = outreach.get("/sequenceStates/5", params={"include": "prospect"}).json()
    assert document["data"]["id"] == 5
    prospect_id = document["data"]["relationships"]["prospect"]["data"]["id"]
    assert [(r["type"], r["id"]) for r in document["included"]] == [("prospect", prospect_id)]


# -- paging ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("sort", ["id", "updatedAt", "-updatedAt"])
def test_paging_visits_every_record_exactly_once(outreach: httpx.Client, sort: str) -> None:
    everything = outreach.get("/sequenceStates", params={"page[size]": "1000"}).json()
    expected = {r["id"] for r in everything["data"]}
    assert everything["meta"]["count"] == len(expected) > 100
    pages = list(walk(outreach, "/sequenceStates", {"page[size]": "7", "sort": sort}))
    seen = [r for page in pages for r in page["data"]]
    assert len(seen) == len(expected) and {r["id"] for r in seen} == expected
    assert all(len(page["data"]) == 7 for page in pages[:-1])
    keys = [
        (r["attributes"]["updatedAt"], r["id"]) if "updatedAt" in sort else r["id"] for r in seen
    ]
    assert keys == sorted(keys, reverse=sort.startswith("-"))


def test_links_first_and_next(outreach: httpx.Client) -> None:
    first = outreach.get(
        "/sequenceStates", params={"page[size]": "10", "filter[state]": "active"}
    ).json()
    assert "page%5Bsize%5D=10" in first["links"]["first"]
    assert "filter%5Bstate%5D=active" in first["links"]["next"]
    assert "page%5Bafter%5D=" in first["links"]["next"]
    second = outreach.get(first["links"]["next"]).json()
    assert second["links"]["first"] == first["links"]["first"]
    assert all(r["attributes"]["state"] == "active" for r in second["data"])
    last = outreach.get("/stages", params={"page[size]": "1000"}).json()
    assert "next" not in last["links"] and "first" in last["links"]


def test_count_can_be_skipped(outreach: httpx.Client) -> None:
    counted = outreach.get("/prospects", params={"page[size]": "1"}).json()
    assert counted["meta"]["count"] == 300
    uncounted = outreach.get("/prospects", params={"page[size]": "1", "count": "false"}).json()
    assert "count" not in uncounted["meta"]


def test_a_cursor_from_another_sort_is_refused(outreach: httpx.Client) -> None:
    page = outreach.get("/prospects", params={"page[size]": "5", "sort": "updatedAt"}).json()
    cursor = httpx.URL(page["links"]["next"]).params["page[after]"]
    response = outreach.get("/prospects", params={"page[after]": cursor, "sort": "id"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["id"] == "validationError"


@pytest.mark.parametrize("sort", ["updatedAt", "id"])
def test_paging_while_the_world_changes_never_loses_a_record(
    make_sandbox: Callable[..., SandboxEndpoints], outreach_http: MakeClient, sort: str
) -> None:
    endpoints = make_sandbox(seed=21, people=120)
    client = outreach_http(endpoints)
    admin = AdminClient(endpoints.admin_url)
    before = set(all_ids(client, "/sequenceStates", **{"page[size]": "1000"}))
    seen: list[int] = []
    changed: set[int] = set()
    for page in walk(client, "/sequenceStates", {"page[size]": "15", "sort": sort}):
        seen += [r["id"] for r in page["data"]]
        for change in admin.tick(12):  # the world moves between every two pages
            changed.add(change.get("sequenceState", 0))
            changed.update(change.get("sequenceStates", []))
    admin.close()
    assert before <= set(seen), f"lost {sorted(before - set(seen))[:10]}"
    assert changed, "the ticks changed nothing"
    twice = {i for i in seen if seen.count(i) > 1}
    assert twice <= changed, "only records changed while paging may be met twice"
    if sort == "updatedAt":
        assert twice, "records updated behind the cursor are met again"


# -- filters and include ---------------------------------------------------------------------------


def test_updated_at_filter_bounds_are_inclusive(outreach: httpx.Client) -> None:
    states = all_records(outreach, "/sequenceStates")
    stamps = sorted(s["attributes"]["updatedAt"] for s in states)
    low, high = stamps[100], stamps[200]

    def ids_for(expression: str) -> set[int]:
        params = {"filter[updatedAt]": expression, "page[size]": "1000"}
        return set(all_ids(outreach, "/sequenceStates", **params))

    def expected(keep: Callable[[str], bool]) -> set[int]:
        return {s["id"] for s in states if keep(s["attributes"]["updatedAt"])}

    assert ids_for(f"{low}..inf") == expected(lambda t: t >= low)
    assert ids_for(f"neginf..{high}") == expected(lambda t: t <= high)
    assert ids_for(f"{low}..{high}") == expected(lambda t: low <= t <= high)
    assert ids_for(f"{low}..{low}") == expected(lambda t: t == low) != set()


def test_filter_by_id_and_by_relationship(outreach: httpx.Client) -> None:
    picked = outreach.get("/sequenceStates", params={"filter[id]": "3,1,999999,2"}).json()
    assert sorted(r["id"] for r in picked["data"]) == [1, 2, 3]
    assert picked["meta"]["count"] == 3
    states = all_records(outreach, "/sequenceStates")
    prospect_id = states[0]["relationships"]["prospect"]["data"]["id"]
    by_prospect = outreach.get(
        "/sequenceStates", params={"filter[prospect][id]": str(prospect_id)}
    ).json()["data"]
    assert {r["id"] for r in by_prospect} == {
        s["id"] for s in states if s["relationships"]["prospect"]["data"]["id"] == prospect_id
    }
    params = {"filter[sequence][id]": "2", "page[size]": "1000"}
    by_sequence = all_ids(outreach, "/sequenceStates", **params)
    assert set(by_sequence) == {
        s["id"] for s in states if s["relationships"]["sequence"]["data"]["id"] == 2
    }


def test_prospects_can_be_found_by_email_ignoring_case(outreach: httpx.Client) -> None:
    prospect = outreach.get("/prospects/17").json()["data"]
    email = prospect["attributes"]["emails"][0]
    found = outreach.get("/prospects", params={"filter[emails]": email.upper()}).json()["data"]
    assert [p["id"] for p in found] == [17]


def test_include_lists_each_related_resource_once(outreach: httpx.Client) -> None:
    document = outreach.get(
        "/sequenceStates",
        params={"page[size]": "200", "include": "prospect,sequence,sequenceStep,prospect.stage"},
    ).json()
    included = [(r["type"], r["id"]) for r in document["included"]]
    assert len(included) == len(set(included))
    wanted = {
        (rel["data"]["type"], rel["data"]["id"])
        for state in document["data"]
        for name, rel in state["relationships"].items()
        if name in ("prospect", "sequence", "sequenceStep")
    }
    assert wanted <= set(included)
    stages = {
        ("stage", r["relationships"]["stage"]["data"]["id"])
        for r in document["included"]
        if r["type"] == "prospect"
    }
    assert stages and stages <= set(included), "prospect.stage was not followed"
    assert all(kind != "account" for kind, _ in included), "account was not asked for"


def test_sparse_fieldsets_limit_attributes_and_relationships(outreach: httpx.Client) -> None:
    document = outreach.get(
        "/sequenceStates",
        params={
            "page[size]": "3",
            "include": "prospect",
            "fields[sequenceState]": "state,updatedAt,prospect",
            "fields[prospect]": "emails,externalId",
        },
    ).json()
    for state in document["data"]:
        assert set(state["attributes"]) == {"state", "updatedAt"}
        assert set(state["relationships"]) == {"prospect"}
    for prospect in document["included"]:
        assert set(prospect["attributes"]) == {"emails", "externalId"}


# -- errors, auth and rate limits ------------------------------------------------------------------


def test_a_missing_or_wrong_token_is_401(sandbox: SandboxEndpoints) -> None:
    url = f"{sandbox.outreach_base_url}/prospects"
    json_api = {"Content-Type": "application/vnd.api+json"}
    for headers in (json_api, {**json_api, "Authorization": "Bearer not-the-token"}):
        response = loopback_http.get(url, headers=headers)
        assert response.status_code == 401
        assert response.json()["errors"][0]["id"] == "unauthorized"


def test_a_missing_content_type_is_415(sandbox: SandboxEndpoints) -> None:
    response = loopback_http.get(
        f"{sandbox.outreach_base_url}/prospects",
        headers={"Authorization": f"Bearer {sandbox.outreach_token}"},
    )
    assert response.status_code == 415
    assert response.json()["errors"][0]["id"] == "unsupportedMediaType"


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"page[size]": "1001"}, "page[size]"),
        ({"page[size]": "0"}, "page[size]"),
        ({"filter[updatedAt]": "yesterday..inf"}, "filter[updatedAt]"),
        ({"filter[id]": "one"}, "filter[id]"),
        ({"filter[colour]": "red"}, "filter[colour]"),
        ({"sort": "name"}, "sort"),
        ({"include": "mailbox"}, "include"),
        ({"page[after]": "garbage!"}, "page[after]"),
    ],
)
def test_bad_parameters_are_422(
    outreach: httpx.Client, params: dict[str, str], parameter: str
) -> None:
    response = outreach.get("/sequenceStates", params=params)
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["id"] == "validationError"
    assert error["source"]["parameter"] == parameter


def test_unknown_ids_and_collections_are_404(outreach: httpx.Client) -> None:
    for path in ("/prospects/999999", "/prospects/abc", "/widgets"):
        response = outreach.get(path)
        assert response.status_code == 404
        assert response.json()["errors"][0]["id"] == "resourceNotFound"


def test_every_answer_carries_rate_limit_headers(
    outreach: httpx.Client, sandbox_admin: AdminClient
) -> None:
    first = outreach.get("/stages")
    second = outreach.get("/prospects/999999")  # errors count too
    assert first.headers["X-RateLimit-Limit"] == "10000"
    remaining = int(first.headers["X-RateLimit-Remaining"])
    assert int(second.headers["X-RateLimit-Remaining"]) == remaining - 1
    reset = int(first.headers["X-RateLimit-Reset"])
    assert reset > datetime.now().timestamp()  # epoch seconds, in the future


def test_a_spent_budget_answers_429_with_retry_after(
    outreach: httpx.Client, sandbox_admin: AdminClient
) -> None:
    sandbox_admin.set_faults(rate_limit_budget=3)
    statuses = [outreach.get("/stages").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = outreach.get("/stages")
    assert limited.json()["errors"][0]["id"] == "rateLimitExceeded"
    assert limited.headers["X-RateLimit-Remaining"] == "0"
    assert 0 < int(limited.headers["Retry-After"]) <= 3600
