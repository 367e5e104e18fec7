"""Outreach for the two-way sync: prospects found by email or id, created, updated and deleted;
accounts created and updated; tasks and calls read since a moment.

POST creates are sent once and never retried after they may have reached Outreach (Outreach has
no idempotency keys): a create whose answer was lost is found again by email on the next run, so
it is linked then rather than created twice. PATCH and DELETE set absolute states and are retried.
A refused write raises `RequestRejectedError` whose `remote_said` quotes Outreach.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from syncmonitor.connectors.errors import OUTREACH, NotFoundError
from syncmonitor.connectors.http.client import decode_json
from syncmonitor.connectors.outreach.client import ID_CHUNK
from syncmonitor.connectors.outreach.mapping import OutreachMappingClient
from syncmonitor.connectors.outreach.records import Document, ShapeError

EMAIL_CHUNK = 50  # addresses per `filter[emails]=` request


@dataclass(frozen=True)
class Remote:
    """An Outreach resource as the sync reads it: attributes plus related ids by name."""

    id: int
    type: str
    attributes: dict[str, Any]
    related: dict[str, int | None]

    @property
    def emails(self) -> list[str]:
        found = self.attributes.get("emails") or []
        return [e.strip().lower() for e in found if isinstance(e, str) and e.strip()]

    def values(self) -> dict[str, Any]:
        """Attributes and relationship ids in one record, as the mappings read them."""
        return {**self.attributes, **self.related}


def parse_resource(resource: Any) -> Remote:
    if type(resource) is not dict or type(resource.get("id")) is not int:
        raise ShapeError("a resource should have an integer id")
    attributes = resource.get("attributes") or {}
    if not isinstance(attributes, dict):
        raise ShapeError(f"resource {resource['id']}: attributes should be an object")
    related: dict[str, int | None] = {}
    for name, link in (resource.get("relationships") or {}).items():
        data = link.get("data") if isinstance(link, dict) else None
        if isinstance(data, dict) and type(data.get("id")) is int:
            related[name] = data["id"]
        elif data is None:
            related[name] = None
    return Remote(resource["id"], str(resource.get("type") or ""), dict(attributes), related)


# Relationship name -> the type of the resource it points at, where they differ from the name
# (the OpenAPI file's `...Relationships` schemas): an opportunity's stage is an opportunityStage.
RELATIONSHIP_TYPES = {"opportunityStage": "opportunityStage", "stage": "stage"}


def _document(
    kind: str, rid: int | None, attributes: Mapping[str, Any], rels: Mapping[str, Any]
) -> bytes:
    data: Document = {"type": kind, "attributes": dict(attributes)}
    if rid is not None:
        data["id"] = rid
    if rels:
        data["relationships"] = {
            name: {
                "data": None
                if target is None
                else {"type": RELATIONSHIP_TYPES.get(name, name), "id": target}
            }
            for name, target in rels.items()
        }
    return orjson.dumps({"data": data})


class OutreachSyncClient(OutreachMappingClient):
    """The Outreach client with the calls the two-way sync needs."""

    def _parse_one(self, response: httpx.Response) -> Remote:
        doc = decode_json(response, OUTREACH)
        try:
            return parse_resource(doc.get("data") if isinstance(doc, dict) else None)
        except ShapeError as exc:
            raise self._malformed(response, str(exc)) from None

    async def _list(self, path: str, params: list[tuple[str, str]]) -> AsyncIterator[Remote]:
        async for doc in self.iter_pages(path, params):
            for resource in doc["data"]:
                try:
                    yield parse_resource(resource)
                except ShapeError:
                    continue  # one odd resource must not hide the others

    async def prospects_by_email(self, emails: Iterable[str]) -> dict[str, list[Remote]]:
        """Email (lower case) -> the prospects holding it, for every address asked about."""
        wanted = sorted({e.strip().lower() for e in emails if e and e.strip()})
        found: dict[str, list[Remote]] = {}
        for start in range(0, len(wanted), EMAIL_CHUNK):
            chunk = wanted[start : start + EMAIL_CHUNK]
            params = [
                ("filter[emails]", ",".join(chunk)),
                ("page[size]", str(min(self.page_size, 1000))),
                ("count", "false"),
            ]
            async for prospect in self._list("prospects", params):
                for email in prospect.emails:
                    if email in chunk:
                        found.setdefault(email, []).append(prospect)
        return found

    async def by_identity(
        self, path: str, attribute: str, values: Iterable[str]
    ) -> dict[str, Remote]:
        """Resources of `path` whose `attribute` (externalId, customId) is one of `values`:
        the records an earlier run created for these CRM records."""
        wanted = sorted({v for v in values if v})
        found: dict[str, Remote] = {}
        for start in range(0, len(wanted), ID_CHUNK):
            chunk = wanted[start : start + ID_CHUNK]
            params = [
                (f"filter[{attribute}]", ",".join(chunk)),
                ("page[size]", str(min(self.page_size, 1000))),
                ("count", "false"),
            ]
            async for resource in self._list(path, params):
                key = str(resource.attributes.get(attribute) or "")
                if key in chunk:
                    found.setdefault(key, resource)
        return found

    async def by_ids(self, path: str, ids: Iterable[int]) -> dict[int, Remote]:
        """The resources of `path` ("prospects", "accounts") with these ids that exist."""
        wanted = sorted(set(ids))
        found: dict[int, Remote] = {}
        for start in range(0, len(wanted), ID_CHUNK):
            chunk = wanted[start : start + ID_CHUNK]
            params = [
                ("filter[id]", ",".join(map(str, chunk))),
                ("page[size]", str(min(self.page_size, len(chunk)))),
                ("count", "false"),
            ]
            async for resource in self._list(path, params):
                found[resource.id] = resource
        return found

    async def create(
        self, path: str, kind: str, attributes: Mapping[str, Any], rels: Mapping[str, Any] = {}
    ) -> Remote:
        """POST one resource (sent once: a lost answer is found again by the next run)."""
        body = _document(kind, None, attributes, rels)
        return await self._http.request("POST", path, body=body, parse=self._parse_one)

    async def update(
        self,
        path: str,
        kind: str,
        rid: int,
        attributes: Mapping[str, Any],
        rels: Mapping[str, Any] = {},
    ) -> Remote:
        """PATCH one resource with absolute values (safe to retry)."""
        body = _document(kind, rid, attributes, rels)
        return await self._http.request(
            "PATCH", f"{path}/{rid}", body=body, parse=self._parse_one, idempotent=True
        )

    async def delete(self, path: str, rid: int) -> bool:
        """DELETE one resource; False when it was already gone."""
        try:
            await self._http.request("DELETE", f"{path}/{rid}", parse=lambda r: None)
        except NotFoundError:
            return False
        return True

    async def changed_with_prospects(
        self, path: str, since: str | None
    ) -> tuple[list[Remote], dict[int, Remote]]:
        """Resources of `path` ("tasks", "calls") changed since `since`, with their prospects
        (externalId and emails only) from `included`."""
        params: list[tuple[str, str]] = [("sort", "updatedAt")]
        if since:
            params.append(("filter[updatedAt]", f"{since}..inf"))
        params += [
            ("include", "prospect"),
            ("fields[prospect]", "externalId,emails"),
            ("page[size]", str(min(self.page_size, 1000))),
            ("count", "false"),
        ]
        found: list[Remote] = []
        prospects: dict[int, Remote] = {}
        async for doc in self.iter_pages(path, params):
            for resource in doc["data"]:
                try:
                    found.append(parse_resource(resource))
                except ShapeError:
                    continue
            for resource in doc.get("included") or []:
                try:
                    related = parse_resource(resource)
                except ShapeError:
                    continue
                if related.type == "prospect":
                    prospects[related.id] = related
        return found, prospects

    async def changed_since(
        self,
        path: str,
        since: str | None,
        filters: list[tuple[str, str]] = (),  # type: ignore[assignment]
    ) -> AsyncIterator[Remote]:
        """Resources of `path` ("tasks", "calls") updated at or after `since`, oldest first."""
        params: list[tuple[str, str]] = [("sort", "updatedAt")]
        if since:
            params.append(("filter[updatedAt]", f"{since}..inf"))
        params += list(filters)
        params += [("page[size]", str(min(self.page_size, 1000))), ("count", "false")]
        async for resource in self._list(path, params):
            yield resource
