"""Salesforce REST, as far as the status mapping editors need it: LeadStatus through a SOQL query
and a picklist field's values through the object's describe call.

`LeadStatus` is read-only through the API; `ApiName` is the value a sync must match exactly
and `SortOrder` is not guaranteed to be sequential. Query answers come in batches: follow
`nextRecordsUrl` until `done`. Errors are a list `[{"message", "errorCode"}]`.
"""

from __future__ import annotations

from typing import Any

import httpx
from typing_extensions import Unpack

from syncmonitor.connectors.errors import (
    AuthenticationError,
    ConnectorError,
    MalformedResponseError,
    PermissionDeniedError,
    QuotaExceededError,
)
from syncmonitor.connectors.http.client import (
    RemoteProblem,
    decode_json,
)
from syncmonitor.connectors.http.remote import RemoteClient, TransportOptions
from syncmonitor.domain.mappings.values import CrmStatus

SALESFORCE = "Salesforce"
API_VERSION = "v59.0"
LEAD_STATUS_SOQL = (
    "SELECT ApiName, MasterLabel, IsConverted, IsDefault, SortOrder FROM LeadStatus "
    "ORDER BY SortOrder"
)


def _problem(response: httpx.Response) -> RemoteProblem:
    body = decode_json(response, SALESFORCE)
    first = body[0] if isinstance(body, list) and body and isinstance(body[0], dict) else {}
    code, message = first.get("errorCode"), first.get("message")
    return RemoteProblem(
        code if isinstance(code, str) else None,
        None,
        message if isinstance(message, str) else None,
    )


# A session id or OAuth access token pasted by hand lives as long as the org's session timeout:
# two hours by default (Setup > Session Settings). Sync Monitor does not renew it.
TOKEN_LIFETIME_NOTE = (
    "A Salesforce access token lasts as long as the org's session timeout, two hours by "
    "default (Setup > Session Settings), and Sync Monitor does not renew it: get a new one "
    "when it has expired."
)


def classify_salesforce_error(
    response: httpx.Response, problem: RemoteProblem
) -> ConnectorError | None:
    """Salesforce's documented error codes: 403 REQUEST_LIMIT_EXCEEDED is the org's daily API
    limit (retry later), another 403 a permission the user lacks, 401 an expired session."""
    status = response.status_code
    request = response.request
    where = f"{request.method} {request.url.path}"
    said = problem.sentence()
    url = str(request.url)
    if status == 403 and problem.code == "REQUEST_LIMIT_EXCEEDED":
        return QuotaExceededError(
            SALESFORCE,
            "Salesforce daily API limit reached",
            f"Salesforce refused {where} (HTTP 403 REQUEST_LIMIT_EXCEEDED): the org has used "
            f"its API requests for the last 24 hours. {said} The token is fine. Try again "
            "later (the limit is counted over a rolling 24 hours; Setup > System Overview shows "
            "it), or ask the Salesforce administrator about the org's API allowance.",
            status_code=403,
            url=url,
        )
    if status == 403:
        return PermissionDeniedError(
            SALESFORCE,
            "Salesforce does not allow this request",
            f"Salesforce accepted the access token but refused {where} (HTTP 403"
            f"{' ' + problem.code if problem.code else ''}). {said} The Salesforce user needs "
            "the permission to read this object (API Enabled, and read access to it).",
            code=problem.code,
            status_code=403,
            url=url,
        )
    if status == 401:
        base = AuthenticationError.for_service(
            SALESFORCE, status_code=401, detail=problem.detail, url=url
        )
        return AuthenticationError(
            SALESFORCE,
            base.title,
            f"{base.message} {TOKEN_LIFETIME_NOTE}",
            status_code=401,
            url=url,
        )
    return None


class SalesforceClient(RemoteClient):
    """An async client for a Salesforce org's REST API (instance URL and an access token)."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        api_version: str = API_VERSION,
        batch_size: int | None = None,
        **options: Unpack[TransportOptions],
    ) -> None:
        self.api_version = api_version
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        if batch_size is not None:  # 200 to 2000 records per query page (Salesforce's range)
            headers["Sforce-Query-Options"] = f"batchSize={batch_size}"
        super().__init__(
            service=SALESFORCE,
            base_url=base_url.rstrip("/") + "/",
            headers=headers,
            describe_error=_problem,
            classify_error=classify_salesforce_error,
            secrets=(token,),
            **options,
        )

    def _json(self, response: httpx.Response) -> dict[str, Any]:
        body = decode_json(response, SALESFORCE)
        if not isinstance(body, dict):
            raise MalformedResponseError(
                SALESFORCE,
                "Salesforce sent an unexpected answer",
                f"The answer to {response.request.url.path} is not a JSON object. Sync Monitor "
                "tries again by itself; if this keeps happening, report it with the log file.",
                status_code=response.status_code,
                url=str(response.request.url),
            )
        return body

    async def query(self, soql: str) -> list[dict[str, Any]]:
        """Every record a SOQL query returns, following `nextRecordsUrl`."""
        records: list[dict[str, Any]] = []
        url: str | None = f"services/data/{self.api_version}/query"
        params: list[tuple[str, str]] | None = [("q", soql)]
        seen: set[str] = set()
        # Salesforce pages hold up to 2,000 records and announce `totalSize`.
        budget = self._http.page_budget("a Salesforce query", 2000)
        while url is not None:
            page = await self._http.request("GET", url, params=params, parse=self._json)
            total = page.get("totalSize")
            budget.announce(total if type(total) is int else None)
            batch = page.get("records")
            if not isinstance(batch, list):
                raise MalformedResponseError(
                    SALESFORCE,
                    "Salesforce sent an unexpected answer",
                    "A query answer had no 'records' list. Try again; if it persists, report it.",
                )
            records += [r for r in batch if isinstance(r, dict)]
            nxt = page.get("nextRecordsUrl")
            if page.get("done", True) or not isinstance(nxt, str) or nxt in seen:
                break
            budget.page(len(batch), more=True)
            seen.add(nxt)
            url, params = nxt.lstrip("/"), None
        return records

    async def lead_statuses(self) -> list[CrmStatus]:
        """Every LeadStatus (ApiName, MasterLabel, IsConverted, IsDefault, SortOrder)."""
        found = []
        for r in await self.query(LEAD_STATUS_SOQL):
            name = r.get("ApiName")
            if not isinstance(name, str):
                continue
            order = r.get("SortOrder")
            found.append(
                CrmStatus(
                    name,
                    str(r.get("MasterLabel") or name),
                    r.get("IsConverted") is True,
                    r.get("IsDefault") is True,
                    order if isinstance(order, int) else 0,
                )
            )
        return sorted(found, key=lambda v: (v.sort_order, v.api_name))

    async def picklist_values(self, sobject: str, field: str) -> list[CrmStatus]:
        """The active values of a picklist field, from the object's describe call."""
        url = f"services/data/{self.api_version}/sobjects/{sobject}/describe"
        described = await self._http.request("GET", url, parse=self._json)
        for item in described.get("fields") or []:
            if isinstance(item, dict) and item.get("name") == field:
                values = item.get("picklistValues") or []
                return [
                    CrmStatus(
                        str(v["value"]),
                        str(v.get("label") or v["value"]),
                        is_default=v.get("defaultValue") is True,
                        sort_order=position,
                    )
                    for position, v in enumerate(values, 1)
                    if isinstance(v, dict)
                    and isinstance(v.get("value"), str)
                    and v.get("active", True)
                ]
        raise MalformedResponseError(
            SALESFORCE,
            f"Salesforce has no field {sobject}.{field}",
            f"The {sobject} describe call lists no field {field}, where contact statuses are "
            "read from. Create the picklist field in Salesforce, or check its API name.",
            retryable=False,
        )
