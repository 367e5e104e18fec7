"""Admin routes that change CRM status values and Outreach stages behind the app's back.

They stand in for an admin renaming or deleting a value in the CRM's own screens, which is what
the mapping editors must notice (a saved mapping naming a value that is gone is flagged, never
silently dropped):

- `PUT /_admin/workbooks/picklist_entries/{id}` `{"value": "New name"}` renames an entry;
  `DELETE` the same path deletes it (marks it deleted, as Workbooks does).
- `POST /_admin/salesforce/lead_statuses` `{"api_name", "label"?, "is_converted"?, "sort_order"?}`
  adds a LeadStatus; `PUT /_admin/salesforce/lead_statuses/{ApiName}` `{"api_name": "New"}`
  renames one; `DELETE` deletes it. The same under `/_admin/salesforce/contact_statuses/...`
  for the Contact_Status__c picklist.
- `DELETE /_admin/outreach/stages/{id}` deletes a stage (as `DELETE /stages/{id}` does).
- `GET /_admin/outreach/prospects/{id}` shows a prospect's stage and custom fields.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from syncmonitor.sandbox.http_types import Response, json_response
from syncmonitor.sandbox.outreach_writes import WriteError, delete_stage
from syncmonitor.sandbox.picklists import SalesforceStatus
from syncmonitor.sandbox.world import World


def handle_values(
    world: World, method: str, route: str, payload: dict[str, Any]
) -> Response | None:
    """The answer for a values route, or None when `route` is not one of them."""
    parts = [unquote(p) for p in route.strip("/").split("/")]
    if parts[:2] == ["workbooks", "picklist_entries"] and len(parts) == 3:
        return _picklist_entry(world, method, parts[2], payload)
    if parts[:1] == ["salesforce"] and len(parts) >= 2:
        if parts[1] not in ("lead_statuses", "contact_statuses"):
            return None
        return _salesforce(world, method, parts[1], parts[2] if len(parts) == 3 else None, payload)
    if parts[:2] == ["outreach", "stages"] and len(parts) == 3 and method == "DELETE":
        if not parts[2].isdigit():
            return _error(404, f"No stage has the id {parts[2]}.")
        try:
            delete_stage(world, int(parts[2]))
        except WriteError as error:
            return _error(error.status, error.detail)
        return json_response(200, {"deleted": int(parts[2])})
    if parts[:2] == ["outreach", "prospects"] and len(parts) == 3 and method == "GET":
        with world.lock:
            prospect = world.prospects.get(int(parts[2])) if parts[2].isdigit() else None
            if prospect is None:
                return _error(404, f"No prospect has the id {parts[2]}.")
            return json_response(
                200,
                {
                    "id": prospect.id,
                    "stage": prospect.stage_id,
                    "custom": prospect.custom or {},
                    "title": prospect.title,
                },
            )
    return None


def _picklist_entry(world: World, method: str, raw_id: str, payload: dict[str, Any]) -> Response:
    with world.lock:
        entry = world.picklist_entries.get(int(raw_id)) if raw_id.isdigit() else None
        if entry is None or entry.is_deleted:
            return _error(404, f"No picklist entry has the id {raw_id}.")
        now = world.clock() // 1000
        if method == "PUT":
            value = payload.get("value")
            if not isinstance(value, str) or not value:
                return _error(422, "value must be non-empty text")
            entry.value = value
        elif method == "DELETE":
            entry.is_deleted = True
        else:
            return _error(405, f"{method} is not supported here.")
        entry.lock_version += 1
        entry.updated_at = now
        world.workbooks_changed("admin/picklist_entries", [entry])
        return json_response(
            200, {"id": entry.id, "value": entry.value, "is_deleted": entry.is_deleted}
        )


def _salesforce(
    world: World, method: str, which: str, api_name: str | None, payload: dict[str, Any]
) -> Response:
    with world.lock:
        values: list[SalesforceStatus] = getattr(world, f"salesforce_{which}")
        if api_name is None:
            if method != "POST":
                return _error(405, f"{method} is not supported here.")
            name = payload.get("api_name")
            if not isinstance(name, str) or not name or any(v.api_name == name for v in values):
                return _error(422, "api_name must be new, non-empty text")
            order = payload.get("sort_order", max((v.sort_order for v in values), default=0) + 1)
            status = SalesforceStatus(
                f"01JSB{len(values) + 1:010d}",
                name,
                str(payload.get("label") or name),
                bool(payload.get("is_converted", False)),
                False,
                int(order),
            )
            values.append(status)
            return json_response(201, {"api_name": name})
        found = next((v for v in values if v.api_name == api_name), None)
        if found is None:
            return _error(404, f"No status has the API name {api_name!r}.")
        if method == "PUT":
            new = payload.get("api_name")
            if not isinstance(new, str) or not new:
                return _error(422, "api_name must be non-empty text")
            found.api_name = new
            found.label = str(payload.get("label") or new)
            return json_response(200, {"api_name": new})
        if method == "DELETE":
            values.remove(found)
            return json_response(200, {"deleted": api_name})
        return _error(405, f"{method} is not supported here.")


def _error(status: int, message: str) -> Response:
    return json_response(status, {"error": message})
