"""Salesforce and Salesmate: the sandbox and the connectors held against what each documents.

Salesforce: its REST API Developer Guide (query: `totalSize`, `done`, `records`,
`nextRecordsUrl`; sObject describe: `fields[]` with `name`, `label`, `type`, `picklistValues[]`
of `value`, `label`, `active`, `defaultValue`; errors `[{"errorCode", "message", "fields"?}]`).
Salesmate publishes no reference of its own that we could store: the shapes are the ones its
public clients use (third party; sources in docs/remote-contract.md), `x-linkname:
<name>.salesmate.io`, contact search with `displayingFields` and `filterQuery`.
"""

from __future__ import annotations

import json
import re

import pytest
from contract_rules import Recorder

from syncmonitor.connectors.salesforce import SalesforceClient
from syncmonitor.connectors.salesmate import SalesmateAccess, SalesmateClient
from syncmonitor.sandbox.process import SandboxEndpoints

SF_PATHS = (
    re.compile(r"^/services/data/v\d+\.\d+/query$"),
    re.compile(r"^/services/data/v\d+\.\d+/query/[\w-]+$"),  # a nextRecordsUrl
    re.compile(r"^/services/data/v\d+\.\d+/sobjects/\w+/describe$"),
)
SF_QUERY_KEYS = {"totalSize", "done", "records", "nextRecordsUrl"}
SF_PICKLIST_KEYS = {"value", "label", "active", "defaultValue", "validFor"}

SM_SEARCH_KEYS = {
    "displayingFields", "filterQuery", "sort", "moduleId", "reportType", "getRecordsCount",
}  # fmt: skip
SM_RULE_KEYS = {"moduleName", "field", "condition", "data", "eventType"}
SM_PATHS = (
    re.compile(r"^/apis/contact/v4/search$"),
    re.compile(r"^/apis/contact/v4/\w+$"),
)


@pytest.mark.asyncio
async def test_salesforce_requests_and_answers_follow_the_rest_guide(
    sandbox: SandboxEndpoints,
) -> None:
    rec = Recorder(strip="/salesforce")
    async with SalesforceClient(
        sandbox.salesforce_base_url, sandbox.salesforce_token, transport=rec, batch_size=200
    ) as client:
        await client.lead_statuses()
        await client.picklist_values("Contact", "Contact_Status__c")
    problems: list[str] = []
    for sent, _response, content in rec.answers:
        if not any(p.match(sent.path) for p in SF_PATHS):
            problems.append(f"{sent.method} {sent.path}: not a documented resource")
        if sent.method != "GET":
            problems.append(f"{sent.method} {sent.path}: the app only reads")
        if {k for k, _ in sent.query} - {"q"}:
            problems.append(f"{sent.path}: query parameters {sent.query}")
        if not sent.headers.get("authorization", "").startswith("Bearer "):
            problems.append(f"{sent.path}: no Bearer token")
        body = json.loads(content)
        if sent.path.endswith("/describe"):
            for f in body.get("fields", []):
                for value in f.get("picklistValues") or []:
                    unknown = set(value) - SF_PICKLIST_KEYS
                    if unknown:
                        problems.append(f"describe {f.get('name')}: keys {sorted(unknown)}")
        else:
            if not {"totalSize", "done", "records"} <= set(body):
                problems.append(f"{sent.path}: a query answer lacks totalSize/done/records")
            if set(body) - SF_QUERY_KEYS:
                problems.append(
                    f"{sent.path}: undocumented keys {sorted(set(body) - SF_QUERY_KEYS)}"
                )
            for record in body.get("records", []):
                if "attributes" not in record:
                    problems.append(f"{sent.path}: a record has no 'attributes' (type, url)")
    assert problems == []


@pytest.mark.asyncio
async def test_salesmate_requests_are_shaped_as_its_public_clients_send_them(
    sandbox: SandboxEndpoints,
) -> None:
    rec = Recorder(strip="/salesmate")
    access = SalesmateAccess(
        sandbox.salesmate_base_url + "/apis", sandbox.salesmate_linkname, sandbox.salesmate_token
    )
    async with SalesmateClient(access, transport=rec) as client:
        found = await client.contacts_by_email(["nobody@example.org", "x@example.org"])
        await client.contact("70001")
    assert isinstance(found, dict)
    problems: list[str] = []
    for sent, _response, content in rec.answers:
        if not any(p.match(sent.path) for p in SM_PATHS):
            problems.append(f"{sent.method} {sent.path}: not a resource public clients use")
        if sent.headers.get("x-linkname") != f"{sandbox.salesmate_linkname}.salesmate.io":
            problems.append(f"x-linkname is {sent.headers.get('x-linkname')!r}")
        if "accesstoken" not in {k.lower() for k in sent.headers}:
            problems.append("no accessToken header")
        if sent.path.endswith("/search"):
            if {k for k, _ in sent.query} != {"rows", "from"}:
                problems.append(f"search query {sent.query}")
            body = sent.json or {}
            if set(body) - SM_SEARCH_KEYS:
                problems.append(f"search body keys {sorted(set(body) - SM_SEARCH_KEYS)}")
            if not all(f.startswith("contact.") for f in body.get("displayingFields", [])):
                problems.append("displayingFields are not module-qualified")
            for rule in body.get("filterQuery", {}).get("group", {}).get("rules", []):
                if set(rule) - SM_RULE_KEYS:
                    problems.append(f"rule keys {sorted(set(rule) - SM_RULE_KEYS)}")
            answer = json.loads(content)
            if answer.get("Status") != "success" or "totalRows" not in answer.get("Data", {}):
                problems.append("a search answer is {Status, Data: {totalRows, data}}")
    assert problems == []
