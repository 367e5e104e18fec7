"""The Outreach sandbox and connector held against Outreach's own OpenAPI file.

Every answer the app reads is validated with jsonschema against the spec's `<resource>Response`
schema (attributes may be null: APIS.md, "Attributes may be null"), and no attribute or
relationship may appear that the spec does not have. Every request the connectors build is held
against the spec's paths, its filterable/sortable/readonly badges and JSON:API's query syntax.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from typing import Any

import jsonschema
import pytest
from contract_rules import (
    OA_RESOURCES,
    Recorder,
    all_problems,
    oa_attribute,
    oa_param_problems,
    oa_relationship,
    oa_relationship_type,
    oa_schema,
    openapi,
)

from syncmonitor.connectors.outreach.client import OutreachClient
from syncmonitor.connectors.outreach.mapping import OutreachMappingClient, outreach_fields
from syncmonitor.connectors.outreach.sync import OutreachSyncClient
from syncmonitor.sandbox.process import SandboxEndpoints

TYPES = {v: v for v in OA_RESOURCES.values()}


def _nullable(schema: Any) -> Any:
    """The spec's schemas with null allowed wherever a type is given, and its relationship
    `oneOf` (a `data` or a `links` object, neither required) read as `anyOf`: an object with
    both, or with `data` only, matches both alternatives, which `oneOf` would refuse."""
    if isinstance(schema, dict):
        out = {("anyOf" if k == "oneOf" else k): _nullable(v) for k, v in schema.items()}
        if isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
            if "enum" in out:
                out["enum"] = [*out["enum"], None]
        return out
    if isinstance(schema, list):
        return [_nullable(v) for v in schema]
    return schema


@cache
def _validator(resource: str) -> jsonschema.Validator:
    schema = _nullable(oa_schema(f"{resource}Response"))
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


def resource_problems(item: dict[str, Any]) -> list[str]:
    kind = item.get("type")
    if kind not in TYPES:
        return [f"resource type {kind!r} is not one the app reads"]
    problems = [
        f"{kind} {item.get('id')}: {error.message}" for error in _validator(kind).iter_errors(item)
    ]
    for name in item.get("attributes") or {}:
        if oa_attribute(kind, name) is None:
            problems.append(f"{kind}: attribute {name!r} is not in the spec")
    for name, link in (item.get("relationships") or {}).items():
        if oa_relationship(kind, name) is None:
            problems.append(f"{kind}: relationship {name!r} is not in the spec")
            continue
        target = link.get("data") if isinstance(link, dict) else None
        for one in target if isinstance(target, list) else [target]:
            wanted = oa_relationship_type(kind, name)
            if isinstance(one, dict) and wanted and one.get("type") != wanted:
                problems.append(f"{kind}.{name}: type {one.get('type')!r}, the spec {wanted!r}")
    return problems


def answer_problems(recorder: Recorder) -> list[str]:
    problems: list[str] = []
    for sent, response, content in recorder.answers:
        if response.status_code >= 300:
            continue
        doc = json.loads(content)
        data = doc.get("data")
        items = data if isinstance(data, list) else [data]
        for item in [*items, *(doc.get("included") or [])]:
            problems += [f"{sent.method} {sent.path}: {p}" for p in resource_problems(item)]
        meta = doc.get("meta")
        if meta is not None and not set(meta) <= {"count", "count_truncated"}:
            problems.append(f"{sent.path}: meta keys {sorted(meta)} are not documented")
    return problems


Client = Callable[[SandboxEndpoints, Recorder], Any]


def _client(cls: type[OutreachClient], sandbox: SandboxEndpoints, rec: Recorder) -> Any:
    return cls(sandbox.outreach_base_url, sandbox.outreach_token, transport=rec, page_size=100)


@pytest.mark.asyncio
async def test_every_read_the_app_makes_is_documented_and_answered_per_the_spec(
    sandbox: SandboxEndpoints,
) -> None:
    rec = Recorder(strip="/outreach")
    async with _client(OutreachSyncClient, sandbox, rec) as client:
        pages = [page async for page in client.sequence_state_pages(None)]
        prospect_ids = [pid for page in pages for pid in page.prospects][:5]
        await client.prospects_by_id(prospect_ids)
        await client.count_sequence_states(None)
        await client.changed_with_prospects("tasks", None)
        await client.changed_with_prospects("calls", None)
        await client.by_identity("accounts", "customId", ["1", "2"])
        await client.by_ids("opportunities", [1, 2])
        emails = [p.emails[0] for page in pages for p in page.prospects.values() if p.emails]
        await client.prospects_by_email(emails[:3])
        async for _ in client.changed_since("prospects", None, [("fields[prospect]", "updatedAt")]):
            break
    async with _client(OutreachMappingClient, sandbox, rec) as client:
        await client.stages()
        await client.accounts()
        await client.prospects(prospect_ids)
    assert len(rec.sent) > 10
    assert all_problems(oa_param_problems(s) for s in rec.sent) == []
    assert answer_problems(rec) == []


@pytest.mark.asyncio
async def test_writes_use_only_writable_attributes_and_relationships(
    make_sandbox: Callable[..., SandboxEndpoints],
) -> None:
    endpoints = make_sandbox(seed=5, people=20)
    rec = Recorder(strip="/outreach")
    async with _client(OutreachSyncClient, endpoints, rec) as client:
        account = await client.create("accounts", "account", {"name": "Acme", "customId": "77"})
        opportunity = await client.create(
            "opportunities",
            "opportunity",
            {"name": "Renewal", "amount": 100},
            {"account": account.id, "opportunityStage": 2},
        )
        await client.update(
            "opportunities", "opportunity", opportunity.id, {"probability": 50},
            {"opportunityStage": 3},
        )  # fmt: skip
        await client.create(
            "prospects", "prospect", {"emails": ["new@example.org"], "externalId": "5"},
            {"account": account.id},
        )  # fmt: skip
    assert all_problems(oa_param_problems(s) for s in rec.sent) == []
    assert answer_problems(rec) == []
    assert opportunity.related.get("opportunityStage") == 2


@pytest.mark.asyncio
async def test_the_sandbox_refuses_the_read_only_opportunity_stage(
    make_sandbox: Callable[..., SandboxEndpoints],
) -> None:
    from syncmonitor.connectors.errors import RequestRejectedError

    endpoints = make_sandbox(seed=5, people=20)
    async with _client(OutreachSyncClient, endpoints, Recorder()) as client:
        with pytest.raises(RequestRejectedError) as caught:
            await client.create("opportunities", "opportunity", {"name": "X"}, {"stage": 1})
    assert "read-only" in caught.value.message


def test_the_mapping_editor_offers_only_fields_the_spec_has() -> None:
    problems = []
    for record_type in ("prospect", "account", "opportunity"):
        for field in outreach_fields(record_type):
            info = oa_attribute(record_type, field.name)
            rel = oa_relationship(record_type, field.name)
            if info is None and rel is None:
                problems.append(f"{record_type}.{field.name} does not exist")
            badge = str((info or rel or {}).get("description") or "")
            if not field.read_only and "readonly" in badge:
                problems.append(f"{record_type}.{field.name} is read-only in the spec")
    assert problems == []


def test_the_spec_file_is_the_one_the_rules_read() -> None:
    assert openapi()["openapi"].startswith("3.0")
    assert "/opportunityStages" in openapi()["paths"]


def test_the_sandboxs_errors_have_the_specs_error_shape(sandbox: SandboxEndpoints) -> None:
    """[OA] every path's error answer: {"errors": [{"id", "title", "detail"}]} (strings)."""
    import loopback_http

    spec_error = openapi()["paths"]["/prospects"]["get"]["responses"]["422"]["content"][
        "application/vnd.api+json"
    ]["schema"]
    validator = jsonschema.validators.validator_for(spec_error)(spec_error)
    headers = {
        "Authorization": f"Bearer {sandbox.outreach_token}",
        "Content-Type": "application/vnd.api+json",
    }
    base = sandbox.outreach_base_url
    answers = [
        loopback_http.get(f"{base}/prospects/99999999", headers=headers),
        loopback_http.get(f"{base}/prospects", params={"filter[nonsense]": "1"}, headers=headers),
        loopback_http.get(f"{base}/prospects", headers={**headers, "Authorization": "Bearer nope"}),
    ]
    assert [a.status_code for a in answers] == [404, 422, 401]
    for answer in answers:
        body = answer.json()
        assert list(validator.iter_errors(body)) == []
        assert body["errors"] and all(isinstance(e.get("id"), str) for e in body["errors"])
