"""Salesforce REST as the sandbox serves it, under `/salesforce` (the instance URL).

Only what the status mapping editors read: `GET /services/data/vNN.N/query?q=<SOQL>` on
`LeadStatus` (fields Id, ApiName, MasterLabel, IsConverted, IsDefault, SortOrder; optional ORDER BY
and LIMIT), its `nextRecordsUrl` pages (`Sforce-Query-Options: batchSize=N`, 200 to 2000, default
2000), and `GET /services/data/vNN.N/sobjects/{Contact|Lead}/describe`. Bearer auth; errors are
Salesforce's list shape `[{"message": ..., "errorCode": ...}]`.
"""

from __future__ import annotations

import hmac
import itertools
import re
import threading
from typing import Any
from urllib.parse import parse_qs

import orjson

from syncmonitor.sandbox.http_types import Request, Response
from syncmonitor.sandbox.world import World

PREFIX = "/salesforce"
LEAD_STATUS_FIELDS = ("Id", "ApiName", "MasterLabel", "IsConverted", "IsDefault", "SortOrder")
DEFAULT_BATCH, MIN_BATCH, MAX_BATCH = 2000, 200, 2000
_VERSION = re.compile(r"^/services/data/(v\d+\.\d+)(/.*)$")
_SOQL = re.compile(
    r"^\s*SELECT\s+(?P<fields>.+?)\s+FROM\s+(?P<object>\w+)"
    r"(?:\s+ORDER\s+BY\s+(?P<order>\w+)(?:\s+(?P<dir>ASC|DESC))?)?"
    r"(?:\s+LIMIT\s+(?P<limit>\d+))?\s*$",
    re.IGNORECASE | re.DOTALL,
)


class SalesforceError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _json(status: int, document: object) -> Response:
    return Response(status, orjson.dumps(document), {"Content-Type": "application/json"})


class SalesforceApi:
    """Answers Salesforce requests from the world's statuses."""

    def __init__(self, world: World, token: str) -> None:
        self.world = world
        self._token = token
        self._cursors: dict[str, list[dict[str, Any]]] = {}
        self._cursor_ids = itertools.count(1)
        self._lock = threading.Lock()

    def handle(self, request: Request) -> Response:
        try:
            self._check_auth(request)
            return self._route(request)
        except SalesforceError as error:
            return _json(error.status, [{"message": error.message, "errorCode": error.code}])

    def _check_auth(self, request: Request) -> None:
        scheme, _, token = request.header("authorization").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            token.strip().encode(), self._token.encode()
        ):
            raise SalesforceError(401, "INVALID_SESSION_ID", "Session expired or invalid")

    def _route(self, request: Request) -> Response:
        match = _VERSION.match(request.path[len(PREFIX) :])
        if match is None:
            raise SalesforceError(404, "NOT_FOUND", "The requested resource does not exist")
        version, rest = match.groups()
        if request.method != "GET":
            raise SalesforceError(
                405, "METHOD_NOT_ALLOWED", f"HTTP Method '{request.method}' not allowed."
            )
        if rest == "/query" or rest == "/query/":
            soql = (parse_qs(request.query).get("q") or [""])[0]
            batch = _batch_size(request.header("sforce-query-options"))
            return self._query(version, soql, batch)
        if rest.startswith("/query/"):
            return self._more(version, rest[len("/query/") :])
        described = re.match(r"^/sobjects/(\w+)/describe/?$", rest)
        if described:
            return _json(200, self._describe(described.group(1)))
        raise SalesforceError(404, "NOT_FOUND", "The requested resource does not exist")

    # -- query ---------------------------------------------------------------------------------

    def _query(self, version: str, soql: str, batch: int) -> Response:
        match = _SOQL.match(soql)
        if match is None:
            raise SalesforceError(400, "MALFORMED_QUERY", f"unexpected token in: {soql[:80]!r}")
        sobject = match.group("object")
        if sobject.lower() != "leadstatus":
            raise SalesforceError(
                400,
                "INVALID_TYPE",
                f"sObject type '{sobject}' is not supported. If you are attempting to use a "
                "custom object, be sure to append the '__c' after the entity name.",
            )
        fields = [f.strip() for f in match.group("fields").split(",")]
        by_lower = {f.lower(): f for f in LEAD_STATUS_FIELDS}
        for name in fields:
            if name.lower() not in by_lower:
                raise SalesforceError(
                    400, "INVALID_FIELD", f"No such column '{name}' on entity 'LeadStatus'."
                )
        with self.world.lock:
            statuses = list(self.world.salesforce_lead_statuses)
        order = match.group("order")
        if order is not None:
            key = by_lower.get(order.lower())
            if key is None:
                raise SalesforceError(
                    400, "INVALID_FIELD", f"No such column '{order}' on entity 'LeadStatus'."
                )
            statuses.sort(
                key=lambda s: _value(s, key), reverse=(match.group("dir") or "").upper() == "DESC"
            )
        if match.group("limit"):
            statuses = statuses[: int(match.group("limit"))]
        records = [_record(version, s, [by_lower[f.lower()] for f in fields]) for s in statuses]
        return _json(200, self._page(version, records, batch))

    def _page(self, version: str, records: list[dict[str, Any]], batch: int) -> dict[str, Any]:
        first, rest = records[:batch], records[batch:]
        document: dict[str, Any] = {"totalSize": len(records), "done": not rest, "records": first}
        if rest:
            with self._lock:
                locator = f"01gSB{next(self._cursor_ids):010d}-{batch}"
                self._cursors[locator] = rest
            document["nextRecordsUrl"] = f"/services/data/{version}/query/{locator}"
        return document

    def _more(self, version: str, locator: str) -> Response:
        with self._lock:
            rest = self._cursors.pop(locator, None)
        if rest is None:
            raise SalesforceError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        batch = int(locator.rsplit("-", 1)[-1])
        document = self._page(version, rest, batch)
        document["totalSize"] = len(rest)  # Salesforce repeats the query's total; close enough
        return _json(200, document)

    # -- describe ------------------------------------------------------------------------------

    def _describe(self, sobject: str) -> dict[str, Any]:
        with self.world.lock:
            if sobject == "Contact":
                status_values = [
                    (s.api_name, s.label, s.active, s.is_default)
                    for s in self.world.salesforce_contact_statuses
                ]
                status_field = _field(
                    "Contact_Status__c", "Contact Status", "picklist", status_values
                )
                base = [
                    _field("Id", "Contact ID", "id", updateable=False),
                    _field("FirstName", "First Name", "string"),
                    _field("LastName", "Last Name", "string"),
                    _field("Email", "Email", "email"),
                    _field("AccountId", "Account ID", "reference", reference_to=["Account"]),
                    status_field,
                ]
                return {"name": "Contact", "label": "Contact", "fields": base}
            if sobject == "Lead":
                values = [
                    (s.api_name, s.label, True, s.is_default)
                    for s in sorted(self.world.salesforce_lead_statuses, key=lambda s: s.sort_order)
                ]
                return {
                    "name": "Lead",
                    "label": "Lead",
                    "fields": [
                        _field("Id", "Lead ID", "id", updateable=False),
                        _field("Company", "Company", "string"),
                        _field("Status", "Lead Status", "picklist", values),
                    ],
                }
        raise SalesforceError(404, "NOT_FOUND", f"The requested resource does not exist: {sobject}")


def _field(
    name: str,
    label: str,
    kind: str,
    values: list[tuple[str, str, bool, bool]] | None = None,
    *,
    updateable: bool = True,
    reference_to: list[str] | None = None,
) -> dict[str, Any]:
    return {
        "name": name,
        "label": label,
        "type": kind,
        "updateable": updateable,
        "createable": updateable,
        "nillable": kind != "id",
        "custom": name.endswith("__c"),
        "referenceTo": reference_to or [],
        "picklistValues": [
            {
                "active": active,
                "defaultValue": default,
                "label": lab,
                "value": value,
                "validFor": None,
            }
            for value, lab, active, default in (values or [])
        ],
    }


def _value(status: Any, field: str) -> Any:
    return {
        "Id": status.id,
        "ApiName": status.api_name,
        "MasterLabel": status.label,
        "IsConverted": status.is_converted,
        "IsDefault": status.is_default,
        "SortOrder": status.sort_order,
    }[field]


def _record(version: str, status: Any, fields: list[str]) -> dict[str, Any]:
    record: dict[str, Any] = {
        "attributes": {
            "type": "LeadStatus",
            "url": f"/services/data/{version}/sobjects/LeadStatus/{status.id}",
        }
    }
    for name in fields:
        record[name] = _value(status, name)
    return record


def _batch_size(header: str) -> int:
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key.strip().lower() == "batchsize" and value.strip().isdigit():
            return max(MIN_BATCH, min(MAX_BATCH, int(value)))
    return DEFAULT_BATCH
