"""Outreach writes the sandbox serves: create and delete stages, update a prospect.

JSON:API documents in and out, as Outreach's OpenAPI file describes them:
- `POST /stages` `{"data": {"type": "stage", "attributes": {"name", "order"?, "color"?}}}` answers
  201 with the new stage; a name already taken is 422 `validationError` (Outreach's rule).
- `DELETE /stages/{id}` answers 204; prospects in that stage are left with no stage.
- `PATCH /prospects/{id}` `{"data": {"type": "prospect", "id": N, "attributes": {...},
  "relationships": {"stage": {"data": {"type": "stage", "id": S}}}}}` answers 200 with the
  prospect. Writable attributes: firstName, lastName, title, custom1..custom5. An unknown or
  read-only attribute, a stage that does not exist, or an id that does not match the URL is 422.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from syncmonitor.sandbox.http_types import Request, Response
from syncmonitor.sandbox.records import Stage
from syncmonitor.sandbox.world import World

MEDIA_TYPE = "application/vnd.api+json"
MAX_TEXT = 255
CUSTOM_FIELDS = tuple(f"custom{n}" for n in range(1, 6))
_WRITABLE = ("firstName", "lastName", "title", *CUSTOM_FIELDS)
_READ_ONLY = frozenset({"name", "createdAt", "updatedAt", "optedOut", "company", "stage"})


class WriteError(Exception):
    """A refused write: status, Outreach error id, detail, and the JSON pointer it concerns."""

    def __init__(self, status: int, code: str, detail: str, pointer: str | None = None) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail, self.pointer = status, code, detail, pointer


def _document(request: Request, kind: str) -> dict[str, Any]:
    try:
        body = orjson.loads(request.body or b"null")
    except orjson.JSONDecodeError as exc:
        raise WriteError(400, "badRequest", f"The body is not JSON: {exc}.") from None
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict) or data.get("type") != kind:
        raise WriteError(
            422,
            "validationError",
            f'The body must be {{"data": {{"type": "{kind}", ...}}}}.',
            "/data",
        )
    return data


def create_stage(
    world: World, request: Request, render: Callable[[Any], dict[str, Any]]
) -> Response:
    data = _document(request, "stage")
    attributes = data.get("attributes") or {}
    name = attributes.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_TEXT:
        raise WriteError(
            422,
            "validationError",
            f"Name must be text of 1 to {MAX_TEXT} characters.",
            "/data/attributes/name",
        )
    with world.lock:
        if any(s.name == name for s in world.stages):
            raise WriteError(
                422,
                "validationError",
                f"Name {name!r} has already been taken.",
                "/data/attributes/name",
            )
        order = attributes.get("order")
        if not isinstance(order, int) or isinstance(order, bool):
            order = max((s.order for s in world.stages), default=0) + 1
        color = attributes.get("color") if isinstance(attributes.get("color"), str) else "#8e8e8e"
        now = world.clock()
        stage = Stage(world.stages.next_id, name, order, color, now)
        world.stages.add(stage)
        body = orjson.dumps({"data": render(stage)})
    return Response(201, body, {"Content-Type": MEDIA_TYPE})


def delete_stage(world: World, stage_id: int) -> Response:
    with world.lock:
        if world.stages.remove(stage_id) is None:
            raise WriteError(404, "resourceNotFound", f"No stage has the id {stage_id}.")
        now = world.clock()
        for prospect in world.prospects:
            if prospect.stage_id == stage_id:
                prospect.stage_id = None
                world.prospects.touch(prospect, now)
    return Response(204, b"", {})


def update_prospect(
    world: World, prospect_id: int, request: Request, render: Callable[[Any], dict[str, Any]]
) -> Response:
    data = _document(request, "prospect")
    if data.get("id") not in (prospect_id, str(prospect_id)):
        raise WriteError(422, "validationError", "data.id must be the id in the URL.", "/data/id")
    attributes = data.get("attributes") or {}
    relationships = data.get("relationships") or {}
    if not isinstance(attributes, dict) or not isinstance(relationships, dict):
        raise WriteError(422, "validationError", "attributes and relationships must be objects.")
    for key, value in attributes.items():
        pointer = f"/data/attributes/{key}"
        if key in ("emails", "externalId"):  # checked below (outreach_sync_writes)
            continue
        if key in _READ_ONLY:
            raise WriteError(422, "validationError", f"{key} is read-only.", pointer)
        if key not in _WRITABLE:
            raise WriteError(422, "validationError", f"Prospect has no attribute {key}.", pointer)
        if value is not None and (not isinstance(value, str) or len(value) > MAX_TEXT):
            raise WriteError(
                422,
                "validationError",
                f"{key} must be text of at most {MAX_TEXT} characters.",
                pointer,
            )
    unknown = set(relationships) - {"stage"}
    if unknown:
        raise WriteError(
            422,
            "validationError",
            f"Cannot change relationship(s) {', '.join(sorted(unknown))} here.",
            "/data/relationships",
        )
    with world.lock:
        prospect = world.prospects.get(prospect_id)
        if prospect is None:
            raise WriteError(404, "resourceNotFound", f"No prospect has the id {prospect_id}.")
        stage_id: int | None = prospect.stage_id
        if "stage" in relationships:
            link = relationships["stage"]
            target = link.get("data") if isinstance(link, dict) else "bad"
            if target is None:
                stage_id = None
            elif isinstance(target, dict) and isinstance(target.get("id"), int):
                if world.stages.get(target["id"]) is None:
                    raise WriteError(
                        422,
                        "validationError",
                        f"Stage {target['id']} does not exist.",
                        "/data/relationships/stage",
                    )
                stage_id = target["id"]
            else:
                raise WriteError(
                    422,
                    "validationError",
                    'stage must be {"data": {"type": "stage", "id": N}} or {"data": null}.',
                    "/data/relationships/stage",
                )
        # The two-way sync: emails and externalId, checked before anything changes (imported here:
        # outreach_sync_writes builds on this module).
        from syncmonitor.sandbox import outreach_sync_writes as two_way

        emails = None
        if "emails" in attributes:
            emails = two_way.check_emails(world, attributes["emails"], prospect_id)
        external = prospect.person_id
        if "externalId" in attributes:
            external = two_way._external(attributes["externalId"])  # type: ignore[assignment]
        prospect.person_id = external
        if emails is not None:
            two_way.set_emails(world, prospect, emails)
        prospect.stage_id = stage_id
        for key, value in attributes.items():
            if key in ("emails", "externalId"):
                continue
            if key == "firstName":
                prospect.first_name = value or ""
            elif key == "lastName":
                prospect.last_name = value or ""
            elif key == "title":
                prospect.title = value or ""
            else:
                custom = prospect.custom or {}
                custom[key] = value
                prospect.custom = custom
        world.prospects.touch(prospect, world.clock())
        body = orjson.dumps({"data": render(prospect)})
    return Response(200, body, {"Content-Type": MEDIA_TYPE})
