"""The vendors' contracts, as the contract tests hold requests and answers against them.

Each remote's documented request parameters and answer shapes are written here once, with the
place in the vendor's document they come from. What the app needs and no document covers is in
an explicit allow-list of inferences, each with the reason; anything else a connector sends
fails its contract test. docs/remote-contract.md is the same table for people.

Sources (all under /work/shared/reference/):
- [WB]  vendor/workbooks-api-guide.md and vendor/workbooks-*_example.php
- [OA]  outreach-openapi.json (Outreach's OpenAPI 3.0.3), plus JSON:API 1.0 for query syntax
- [SF]  Salesforce REST API Developer Guide (query, sobject describe, error codes)
- [SM]  Salesmate's public clients (third party; see docs/remote-contract.md)
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx

REFERENCE = Path("/work/shared/reference")
OPENAPI = REFERENCE / "outreach-openapi.json"


# -- recording what a connector sends ------------------------------------------------------------


@dataclass
class Sent:
    method: str
    path: str
    query: list[tuple[str, str]]
    form: list[tuple[str, str]]
    json: Any
    headers: httpx.Headers


@dataclass
class Recorder(httpx.AsyncBaseTransport):
    """Forwards every request to the real sandbox over loopback and keeps a copy of it."""

    strip: str = ""  # the sandbox's own path prefix ("/workbooks"), not part of the contract
    inner: httpx.AsyncBaseTransport = field(default_factory=httpx.AsyncHTTPTransport)
    sent: list[Sent] = field(default_factory=list)
    answers: list[tuple[Sent, httpx.Response, bytes]] = field(default_factory=list)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = request.content
        ctype = request.headers.get("content-type", "")
        form = parse_qsl(body.decode(), keep_blank_values=True) if "form" in ctype else []
        doc = json.loads(body) if body and "json" in ctype else None
        sent = Sent(
            request.method,
            request.url.path.removeprefix(self.strip),
            parse_qsl(request.url.query.decode(), keep_blank_values=True),
            form,
            doc,
            request.headers,
        )
        self.sent.append(sent)
        response = await self.inner.handle_async_request(request)
        content = await response.aread()
        self.answers.append((sent, response, content))
        return httpx.Response(
            response.status_code, headers=response.headers, content=content, request=request
        )

    async def aclose(self) -> None:
        await self.inner.aclose()


# -- Workbooks -----------------------------------------------------------------------------------

# Parameters every Workbooks call may carry ([WB] "Authentication"; php/workbooks_api.php apiCall).
WB_AUTH = {"api_key", "_api_version", "client"}
# Read parameters ([WB] "Retrieving Objects", "Limiting", "Sorting", "Filtering", "Selecting
# Columns", "Counting rows"): `_skip_total_rows` is the bindings' spelling (the guide's
# `__skip_total_rows` is taken as a typo, see docs/remote-contract.md).
WB_READ = {
    "_start",
    "_limit",
    "_sort",
    "_dir",
    "_ff[]",
    "_ft[]",
    "_fc[]",
    "_fm",
    "_select_columns[]",
    "_skip_total_rows",
    "_filter_json",
    "_dc",
}
# Write parameters ([WB] "Changing Objects", "Methods", "Login": _per_object_transactions).
WB_WRITE_CONTROL = {"__method[]", "id[]", "lock_version[]", "_per_object_transactions"}
# Filter operators ([WB] "Filtering Types").
WB_OPERATORS = {
    "eq", "ne", "lt", "le", "gt", "ge", "bg", "nbg", "ct", "nct", "blank", "not_blank",
    "true", "false", "today", "between", "not_between",
}  # fmt: skip
# Endpoints the guide or the examples document, with what else each takes.
WB_ENDPOINTS: dict[str, set[str]] = {
    "/crm/people.api": set(),
    "/crm/organisations.api": set(),
    "/crm/opportunities.api": set(),
    "/crm/sales_leads.api": set(),  # APIS.md endpoint list; fields via metadata
    "/crm/party_locations.api": set(),  # php/contact_details_example.php
    "/activity/tasks.api": set(),  # guide "Example: Updating a Task"
    "/activity/activities.api": set(),  # guide "Retrieving Objects" examples
    "/admin/picklists.api": set(),  # php/picklist_example.php
    "/admin/picklist_entries.api": set(),  # php/picklist_example.php
    "/metadata/types.api": {"class_names[]"},  # guide "Metadata"; php/metadata_example.php
    "/login.api": {"api_version", "json"},  # guide "Login" (a POST)
}
# Inferences: sent although no document names them, each with why.
WB_INFERRED_PARAMS: dict[str, str] = {}
# Field names written that come from the customer's configuration, not a document: the
# Workbooks-Outreach integration's custom fields (APIS.md; names not public) and the configured
# Outreach id field. Held to the `cf_` prefix Workbooks gives custom fields.
WB_CUSTOM_FIELD = re.compile(r"^cf_[a-z0-9_]+$")
# Documented record fields the app writes ([WB] common attributes, examples, APIS.md).
WB_WRITABLE_FIELDS = {
    "name", "person_first_name", "person_last_name", "main_location[email]", "employer_link",
    "no_email_soliciting", "created_through_reference", "activity_type", "activity_status",
    "due_date", "description", "primary_contact_id", "primary_contact_type", "website",
    "industry",
}  # fmt: skip


def wb_param_problems(sent: Sent) -> list[str]:
    """What in one Workbooks request no document (or listed inference) covers."""
    problems: list[str] = []
    extra = WB_ENDPOINTS.get(sent.path)
    if extra is None:
        return [f"{sent.method} {sent.path}: endpoint not documented"]
    if sent.path == "/login.api" and sent.method != "POST":
        problems.append(f"{sent.method} /login.api: the guide documents login as a POST")
    names = [k for k, _ in sent.query] + [k for k, _ in sent.form]
    for name in names:
        if name in WB_AUTH | WB_READ | WB_WRITE_CONTROL | extra or name in WB_INFERRED_PARAMS:
            continue
        if name.endswith("[]") and sent.method in ("PUT", "POST"):
            column = name[:-2]
            if column in WB_WRITABLE_FIELDS or WB_CUSTOM_FIELD.match(column):
                continue
        problems.append(f"{sent.method} {sent.path}: parameter {name!r} is not documented")
    pairs = sent.query + sent.form
    for key, value in pairs:
        if key == "_ft[]" and value not in WB_OPERATORS:
            problems.append(f"{sent.path}: filter operator {value!r} is not documented")
        if key == "_fc[]" and re.search(r"(?<!\\),", value):
            # [WB] "Filtering": "you must escape a comma by prefixing it with a backslash".
            problems.append(f"{sent.path}: filter value {value!r} has an unescaped comma")
    return problems


# Keys a field of `metadata/types` has ([WB] "Metadata", "Each element of the fields Array").
WB_FIELD_KEYS = {
    "datatype", "default_value", "is_createable", "is_filterable", "is_nullable",
    "is_updateable", "name", "required", "title",
}  # fmt: skip
WB_FIELD_OPTIONAL = {"picklist", "linked_item"}
WB_ASSOCIATION_KEYS = {
    "class_names", "datatype", "description", "foreign_key_name", "maximum_n", "minimum_n",
    "name", "polymorphic", "through", "title",
}  # fmt: skip
WB_TYPE_KEYS = {
    "actions", "base_class_name", "class_name", "controller_path", "help_url",
    "human_class_description", "human_class_name", "human_class_name_plural", "icon",
    "instances_described_by", "fields", "associations",
}  # fmt: skip
# [WB] "Datatypes" (and "belongs_to"/"has_many" for associations).
WB_DATATYPES = {
    "array", "binary", "boolean", "breadcrumb", "currency", "date", "datetime", "var_date_time",
    "decimal", "file_upload", "float", "has_one", "icon_class", "integer", "picklist_data",
    "picklist_url", "string", "tag_array", "text", "time_duration", "time_interval", "time",
    "time_relative", "uri",
}  # fmt: skip


def wb_metadata_problems(type_record: dict[str, Any]) -> list[str]:
    problems = [f"type key {k!r} is not documented" for k in type_record if k not in WB_TYPE_KEYS]
    fields = type_record.get("fields")
    if not isinstance(fields, list):
        return [*problems, "'fields' is documented as an Array of Hashes"]
    for f in fields:
        name = f.get("name")
        missing = WB_FIELD_KEYS - set(f)
        unknown = set(f) - WB_FIELD_KEYS - WB_FIELD_OPTIONAL
        if missing:
            problems.append(f"field {name}: documented keys missing {sorted(missing)}")
        if unknown:
            problems.append(f"field {name}: undocumented keys {sorted(unknown)}")
        if f.get("datatype") not in WB_DATATYPES:
            problems.append(f"field {name}: datatype {f.get('datatype')!r} is not documented")
    for a in type_record.get("associations") or []:
        unknown = set(a) - WB_ASSOCIATION_KEYS
        if unknown or not isinstance(a.get("class_names"), list):
            problems.append(f"association {a.get('name')}: not the documented shape")
    return problems


def wb_answer_problems(body: Any) -> list[str]:
    """A read answer: `{"data": [...], "total"?, "success", "flash"?, "updates"?}` ([WB])."""
    if not isinstance(body, dict):
        return ["a Workbooks answer is a JSON object"]
    allowed = {"data", "total", "success", "flash", "updates", "errors", "failure_reason",
               "failure_message", "affected_objects", "affected_object_information",
               "affected_object_errors", "failures"}  # fmt: skip
    return [f"top-level key {k!r} is not documented" for k in body if k not in allowed]


# -- Outreach ------------------------------------------------------------------------------------


@cache
def openapi() -> dict[str, Any]:
    return json.loads(OPENAPI.read_text())


def oa_schema(name: str) -> dict[str, Any]:
    """A component schema, made self-contained for jsonschema (refs resolved)."""
    spec = openapi()
    return {"$ref": f"#/components/schemas/{name}", "components": spec["components"]}


def oa_attribute(resource: str, attribute: str) -> dict[str, Any] | None:
    props = openapi()["components"]["schemas"][resource]["properties"]
    value = props.get(attribute)
    return value if isinstance(value, dict) else None


def oa_badges(resource: str, attribute: str) -> set[str]:
    info = oa_attribute(resource, attribute) or {}
    return set(re.findall(r"badges/(\w+)\.svg", str(info.get("description") or "")))


def oa_relationship(resource: str, name: str) -> dict[str, Any] | None:
    props = openapi()["components"]["schemas"][f"{resource}Relationships"]["properties"]
    value = props.get(name)
    return value if isinstance(value, dict) else None


def oa_relationship_type(resource: str, name: str) -> str | None:
    rel = oa_relationship(resource, name) or {}
    for option in rel.get("oneOf", []):
        data = option.get("properties", {}).get("data", {})
        enum = data.get("properties", {}).get("type", {}).get("enum")
        if enum:
            return str(enum[0])
    return None


# Collection paths of the spec ("/prospects") and their resource names ("prospect").
OA_RESOURCES = {
    "sequenceStates": "sequenceState",
    "prospects": "prospect",
    "sequences": "sequence",
    "sequenceSteps": "sequenceStep",
    "accounts": "account",
    "opportunities": "opportunity",
    "opportunityStages": "opportunityStage",
    "stages": "stage",
    "tasks": "task",
    "calls": "call",
    "users": "user",
}
# JSON:API 1.0 query parameters Outreach documents in general ([OA] overview; APIS.md).
OA_QUERY = {"sort", "include", "page[size]", "count", "newFilterSyntax"}
# Inferences: parameters the app does not build itself but passes on, each with why.
OA_INFERRED_QUERY = {
    # Only ever sent inside Outreach's own `links.next`, which the app follows as given (the
    # documented cursor paging); the sandbox's next links use this name.
    "page[after]": "from links.next",
}


def oa_param_problems(sent: Sent) -> list[str]:
    parts = [p for p in sent.path.split("/") if p and p not in ("api", "v2")]
    if not parts or parts[0] not in OA_RESOURCES:
        return [f"{sent.method} {sent.path}: resource not in the OpenAPI paths"]
    template = "/" + parts[0] + ("/{id}" if len(parts) > 1 else "")
    if (
        template not in openapi()["paths"]
        or sent.method.lower() not in openapi()["paths"][template]
    ):
        return [f"{sent.method} {template}: not in the OpenAPI paths"]
    resource = OA_RESOURCES[parts[0]]
    problems: list[str] = []
    for key, value in sent.query:
        if key in OA_INFERRED_QUERY:
            continue
        if key in OA_QUERY:
            if key == "sort" and "sortable" not in oa_badges(resource, value.lstrip("-")):
                problems.append(f"{template}: {value} is not sortable")
            continue
        m = re.fullmatch(r"filter\[(\w+)\](?:\[(\w+)\])?", key)
        if m:
            attr, sub = m.groups()
            if sub:  # a relationship filter, documented on ids ("filter[prospect][id]=X")
                if oa_relationship(resource, attr) is None or sub != "id":
                    problems.append(f"{template}: filter {key} is not documented")
            elif attr != "id" and "filterable" not in oa_badges(resource, attr):
                problems.append(f"{template}: {attr} is not a filterable attribute")
            continue
        m = re.fullmatch(r"fields\[(\w+)\]", key)
        if m:
            target = m.group(1)
            for name in value.split(","):
                if (
                    name
                    and oa_attribute(target, name) is None
                    and (oa_relationship(target, name) is None)
                ):
                    problems.append(f"{template}: fields[{target}] names unknown {name!r}")
            continue
        problems.append(f"{template}: query parameter {key!r} is not documented")
    if sent.json is not None and sent.method in ("POST", "PATCH"):
        problems += oa_body_problems(resource, sent.json)
    return problems


def oa_body_problems(resource: str, document: Any) -> list[str]:
    data = document.get("data") if isinstance(document, dict) else None
    if not isinstance(data, dict):
        return [f"{resource}: a write is a JSON:API document with one 'data' object"]
    problems: list[str] = []
    for name in data.get("attributes") or {}:
        info = oa_attribute(resource, name)
        if info is None:
            problems.append(f"{resource}: attribute {name!r} does not exist")
        elif "readonly" in oa_badges(resource, name):
            problems.append(f"{resource}: attribute {name!r} is read-only")
    for name, link in (data.get("relationships") or {}).items():
        rel = oa_relationship(resource, name)
        if rel is None:
            problems.append(f"{resource}: relationship {name!r} does not exist")
            continue
        if "readonly" in str(rel.get("description") or ""):
            problems.append(f"{resource}: relationship {name!r} is read-only")
        target = (link or {}).get("data")
        if isinstance(target, dict) and target.get("type") != oa_relationship_type(resource, name):
            problems.append(
                f"{resource}: relationship {name!r} has type {target.get('type')!r}, the spec "
                f"says {oa_relationship_type(resource, name)!r}"
            )
    return problems


def all_problems(items: Iterable[list[str]]) -> list[str]:
    return sorted({p for item in items for p in item})
