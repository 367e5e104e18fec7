"""Outreach for the mappings: stages (list, create), prospects with their stage, prospect updates.

A stage is created with POST, which Outreach does not de-duplicate: it is sent once and never
retried once it may have reached Outreach (the caller re-reads the stages to see whether it
landed). A prospect update sets absolute values, so PATCH is retried like a read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from syncmonitor.connectors.errors import OUTREACH
from syncmonitor.connectors.http.client import decode_json
from syncmonitor.connectors.outreach.client import ID_CHUNK, OutreachClient
from syncmonitor.connectors.outreach.records import Document, ShapeError
from syncmonitor.domain.mappings.values import FieldInfo, FieldKind, Stage

# The prospect attributes the mappings read and write (Outreach's OpenAPI `prospect`), and the
# relationships they can look up. Outreach has no describe call for standard fields.
PROSPECT_TEXT = (
    "firstName",
    "lastName",
    "title",
    "custom1",
    "custom2",
    "custom3",
    "custom4",
    "custom5",
)
PROSPECT_READ_ONLY = ("name", "company", "emails", "externalId", "updatedAt")


def outreach_fields(record_type: str) -> list[FieldInfo]:
    """The Outreach fields a mapping can use for `prospect`, `account` or `opportunity`."""
    text, ro = FieldKind.TEXT, True
    if record_type == "prospect":
        found = [FieldInfo(n, _label(n), text) for n in PROSPECT_TEXT]
        found += [FieldInfo(n, _label(n), text, ro) for n in PROSPECT_READ_ONLY]
        found.append(FieldInfo("optedOut", "Opted Out", FieldKind.BOOLEAN, ro))
        found.append(FieldInfo("stage", "Stage", FieldKind.REFERENCE, False, "stage"))
        found.append(FieldInfo("account", "Account", FieldKind.REFERENCE, False, "account"))
        return found
    if record_type == "account":
        return [
            FieldInfo("name", "Name", text),
            FieldInfo("domain", "Domain", text),
            FieldInfo("industry", "Industry", text),
            FieldInfo("websiteUrl", "Website", text),
            FieldInfo("customId", "Custom Id (CRM id)", text),
            FieldInfo("updatedAt", "Updated At", FieldKind.DATETIME, ro),
        ]
    if record_type == "opportunity":
        return [
            FieldInfo("name", "Name", text),
            FieldInfo("amount", "Amount", FieldKind.NUMBER),
            FieldInfo("probability", "Probability", FieldKind.NUMBER),
            FieldInfo("closeDate", "Close Date", FieldKind.DATETIME),
            FieldInfo("nextStep", "Next Step", text),
            FieldInfo("account", "Account", FieldKind.REFERENCE, False, "account"),
            # `stage` is read-only on an opportunity; `opportunityStage` is the writable one.
            FieldInfo(
                "opportunityStage",
                "Opportunity Stage",
                FieldKind.REFERENCE,
                False,
                "opportunityStage",
            ),
        ]
    raise ValueError(f"unknown Outreach record type {record_type!r}")


def _label(name: str) -> str:
    spaced = "".join(f" {c}" if c.isupper() else c for c in name)
    return spaced[:1].upper() + spaced[1:]


@dataclass(frozen=True)
class ProspectSnapshot:
    """A prospect as the mapping layer reads it: attributes, plus `stage` and `account` ids."""

    id: int
    email: str
    values: dict[str, Any]


def _stage(resource: Any) -> Stage:
    if type(resource) is not dict or type(resource.get("id")) is not int:
        raise ShapeError("a stage should be a resource with an integer id")
    attrs = resource.get("attributes") or {}
    name, order = attrs.get("name"), attrs.get("order")
    if not isinstance(name, str) or (order is not None and type(order) is not int):
        raise ShapeError(f"stage {resource['id']}: name should be text and order a number")
    return Stage(resource["id"], name, order)


def _snapshot(resource: Any) -> ProspectSnapshot:
    if type(resource) is not dict or type(resource.get("id")) is not int:
        raise ShapeError("a prospect should be a resource with an integer id")
    attrs = dict(resource.get("attributes") or {})
    values: dict[str, Any] = {}
    for name in (*PROSPECT_TEXT, *PROSPECT_READ_ONLY, "optedOut"):
        values[name] = attrs.get(name)
    rels = resource.get("relationships") or {}
    for rel in ("stage", "account"):
        data = (rels.get(rel) or {}).get("data") if isinstance(rels.get(rel), dict) else None
        values[rel] = data.get("id") if isinstance(data, dict) else None
    emails = attrs.get("emails") or []
    email = emails[0].strip().lower() if emails and isinstance(emails[0], str) else ""
    return ProspectSnapshot(resource["id"], email, values)


class OutreachMappingClient(OutreachClient):
    """The Outreach client with the calls the mapping editors and the mapping sync need."""

    async def stages(self) -> list[Stage]:
        """Every stage, in Outreach's order."""
        found: list[Stage] = []
        params = [("page[size]", str(min(self.page_size, 1000))), ("count", "false")]
        async for doc in self.iter_pages("stages", params):
            found += [_stage(r) for r in doc["data"]]
        return sorted(found, key=lambda s: (s.order is None, s.order or 0, s.id))

    async def create_stage(self, name: str) -> Stage:
        """Create a stage named `name` (sent once: Outreach does not de-duplicate POSTs)."""
        body = orjson.dumps({"data": {"type": "stage", "attributes": {"name": name}}})

        def parse(response: httpx.Response) -> Stage:
            doc = decode_json(response, OUTREACH)
            try:
                return _stage(doc.get("data") if isinstance(doc, dict) else None)
            except ShapeError as exc:
                raise self._malformed(response, str(exc)) from None

        return await self._http.request("POST", "stages", body=body, parse=parse)

    async def prospects(self, ids: Iterable[int]) -> dict[int, ProspectSnapshot]:
        """The prospects with these ids (those that exist) with their stage and account."""
        wanted = sorted(set(ids))
        found: dict[int, ProspectSnapshot] = {}
        for start in range(0, len(wanted), ID_CHUNK):
            chunk = wanted[start : start + ID_CHUNK]
            params = [
                ("filter[id]", ",".join(map(str, chunk))),
                ("page[size]", str(min(self.page_size, len(chunk)))),
                ("count", "false"),
            ]
            async for doc in self.iter_pages("prospects", params):
                for resource in doc["data"]:
                    snap = _snapshot(resource)
                    found[snap.id] = snap
        return found

    async def accounts(self) -> dict[int, dict[str, Any]]:
        """Every account (id, name, customId, ...) for lookups."""
        found: dict[int, dict[str, Any]] = {}
        params = [("page[size]", str(self.page_size)), ("count", "false")]
        async for doc in self.iter_pages("accounts", params):
            for resource in doc["data"]:
                attrs = dict(resource.get("attributes") or {})
                attrs["id"] = resource["id"]
                found[resource["id"]] = attrs
        return found

    async def update_prospect(
        self, prospect_id: int, attributes: Mapping[str, Any], stage: int | bool | None = False
    ) -> ProspectSnapshot:
        """Set attributes and (unless `stage` is False) the stage (None: no stage)."""
        data: Document = {"type": "prospect", "id": prospect_id, "attributes": dict(attributes)}
        if stage is not False:
            target = None if stage is None else {"type": "stage", "id": stage}
            data["relationships"] = {"stage": {"data": target}}
        body = orjson.dumps({"data": data})

        def parse(response: httpx.Response) -> ProspectSnapshot:
            doc = decode_json(response, OUTREACH)
            try:
                return _snapshot(doc.get("data") if isinstance(doc, dict) else None)
            except ShapeError as exc:
                raise self._malformed(response, str(exc)) from None

        return await self._http.request(
            "PATCH", f"prospects/{prospect_id}", body=body, parse=parse, idempotent=True
        )
