"""`/_admin/gatormail/...`: put the mailshot queue into each state and fault, for tests and demos.

GET    /_admin/gatormail                 switches, queue order, counts
PUT    /_admin/gatormail                 merge switches (running, speeds, faults)
PUT    /_admin/gatormail/api_key         {"enabled", "valid_from", "valid_until"} (epoch s)
POST   /_admin/gatormail/mailshots       create mailshots as a Workbooks user would
GET    /_admin/gatormail/mailshots/{id}  one mailshot, every field
DELETE /_admin/gatormail/mailshots/{id}  delete it in Workbooks (as a user would)
GET    /_admin/gatormail/campaigns       Spotler's campaigns with the sandbox's bookkeeping
POST   /_admin/gatormail/campaigns       {"name"}: a campaign made by hand in Spotler
PUT    /_admin/gatormail/campaigns/{encryptedId}  {"name"}: renamed in Spotler
"""

from __future__ import annotations

import time
from typing import Any

from syncmonitor.sandbox.gatormail import MAILSHOT_PATH, GatorMail, SettingsError
from syncmonitor.sandbox.http_types import Response, json_response
from syncmonitor.sandbox.mailshot_fields import MAILSHOT_FIELDS
from syncmonitor.sandbox.mailshot_records import NEW, QUEUED, SYNCED
from syncmonitor.sandbox.workbooks_fields import record_json
from syncmonitor.sandbox.world import World

PREFIX = "/gatormail"
MAX_CREATE = 20_000


def handle_gatormail(
    world: World, gatormail: GatorMail, method: str, route: str, payload: dict[str, Any]
) -> Response | None:
    """The answer for a `/_admin/gatormail` route, or None when the route is not one of these."""
    if not (route == PREFIX or route.startswith(PREFIX + "/")):
        return None
    rest = route[len(PREFIX) :]
    try:
        if rest == "" and method == "GET":
            return json_response(200, gatormail.snapshot())
        if rest == "" and method == "PUT":
            return json_response(200, gatormail.update(payload))
        if rest == "/api_key" and method == "PUT":
            return _api_key(world, payload)
        if rest == "/mailshots" and method == "POST":
            return _create(world, payload)
        if rest == "/campaigns":
            return _campaigns(world, method, payload)
        if rest.startswith("/campaigns/") and method == "PUT":
            return _rename_campaign(world, rest.rsplit("/", 1)[1], payload)
        if rest.startswith("/mailshots/"):
            raw = rest.rsplit("/", 1)[1]
            if method == "GET":
                return _show(world, raw)
            if method == "DELETE":
                return _delete(world, raw)
    except SettingsError as error:
        return _error(422, str(error))
    return _error(404, f"No admin route {method} /_admin{route}.")


def _api_key(world: World, payload: dict[str, Any]) -> Response:
    allowed = {"enabled", "valid_from", "valid_until"}
    unknown = set(payload) - allowed
    if unknown:
        return _error(422, f"unknown field(s): {', '.join(sorted(unknown))}")
    if "enabled" in payload and not isinstance(payload["enabled"], bool):
        return _error(422, "enabled must be true or false")
    for name in ("valid_from", "valid_until"):
        value = payload.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            return _error(422, f"{name} must be epoch seconds or null")
    with world.lock:
        key = world.mailshots.api_keys[1]
        for name, value in payload.items():
            setattr(key, name, int(value) if isinstance(value, float) else value)
        key.lock_version += 1
        key.updated_at = int(time.time())
        world.workbooks_changed("admin/api_keys", [key])
        return json_response(
            200,
            {
                "name": key.name,
                "enabled": key.enabled,
                "valid_from": key.valid_from,
                "valid_until": key.valid_until,
            },
        )


def _create(world: World, payload: dict[str, Any]) -> Response:
    """{"name"?, "audience"?, "list_id"?, "count": 1, "status": "Queued"|"Synchronised"|"Draft"}.

    `audience` makes a new mailing list of that many entries (a slow, big audience); a
    "Synchronised" status makes history (the campaign is already in Spotler)."""
    count = payload.get("count", 1)
    status = payload.get("status", QUEUED)
    name = payload.get("name")
    audience = payload.get("audience")
    list_id = payload.get("list_id")
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_CREATE:
        return _error(422, f"count must be a whole number from 1 to {MAX_CREATE}")
    if status not in (QUEUED, SYNCED, NEW):
        return _error(422, f"status must be {QUEUED}, {SYNCED} or {NEW}")
    if name is not None and not isinstance(name, str):
        return _error(422, "name must be text")
    if audience is not None and (
        isinstance(audience, bool) or not isinstance(audience, int) or audience < 0
    ):
        return _error(422, "audience must be a whole number, 0 or more")
    now = int(time.time())
    with world.lock:
        data = world.mailshots
        if audience is not None:
            new_list = data.new_list(f"{audience} contacts", now)
            entries = data.add_entries(new_list.id, audience, now)
            # Through the index like any Workbooks change: the API serves them at once.
            world.workbooks_changed("email/mailing_lists", [new_list])
            world.workbooks_changed("email/mailing_list_entries", entries)
            list_id = new_list.id
        elif list_id is not None and list_id not in data.lists:
            return _error(422, f"no mailing list has the id {list_id}")
        made = []
        for _ in range(count):
            shot = data.new_mailshot(now, name=name, list_id=list_id)
            if status == SYNCED:
                shot.status = SYNCED
                data.arrive(shot, now * 1000)
            elif status == QUEUED:
                shot.status = QUEUED
            made.append(shot)
        world.workbooks_changed(MAILSHOT_PATH, made)
        return json_response(200, {"ids": [m.id for m in made], "mailing_list_id": list_id})


def _show(world: World, raw: str) -> Response:
    with world.lock:
        shot = world.mailshots.mailshots.get(int(raw)) if raw.isdigit() else None
        if shot is None:
            return _error(404, f"No mailshot has the id {raw}.")
        return json_response(200, record_json(world, MAILSHOT_FIELDS, shot, list(MAILSHOT_FIELDS)))


def _delete(world: World, raw: str) -> Response:
    with world.lock:
        shot = world.mailshots.mailshots.get(int(raw)) if raw.isdigit() else None
        if shot is None or shot.is_deleted:
            return _error(404, f"No live mailshot has the id {raw}.")
        shot.is_deleted = True
        shot.lock_version += 1
        shot.updated_at = int(time.time())
        world.workbooks_changed(MAILSHOT_PATH, [shot])
        return json_response(200, {"deleted": shot.id})


def _campaigns(world: World, method: str, payload: dict[str, Any]) -> Response:
    with world.lock:
        data = world.mailshots
        if method == "POST":
            name = payload.get("name")
            if not isinstance(name, str) or not name:
                return _error(422, "name must be text")
            made = data.add_campaign(name, int(time.time() * 1000))
            return json_response(200, {"encryptedId": made.encrypted_id})
        if method != "GET":
            return _error(405, f"{method} is not allowed on /_admin/gatormail/campaigns")
        return json_response(
            200,
            [
                {
                    "encryptedId": c.encrypted_id,
                    "name": c.name,
                    "mailshot_id": int(c.external_id) if c.external_id else None,
                    "contacts": c.contacts,
                    "created_ms": c.created_ms,
                }
                for c in data.campaigns
            ],
        )


def _rename_campaign(world: World, encrypted_id: str, payload: dict[str, Any]) -> Response:
    name = payload.get("name")
    if not isinstance(name, str) or not name:
        return _error(422, "name must be text")
    with world.lock:
        for campaign in world.mailshots.campaigns:
            if campaign.encrypted_id == encrypted_id:
                for mailing in world.mailshots.mailings:  # its first mailing goes with it
                    if (
                        mailing.encrypted_id[8:] == encrypted_id[8:]
                        and mailing.name == campaign.name
                    ):
                        mailing.name = name
                campaign.name = name
                return json_response(200, {"encryptedId": encrypted_id, "name": name})
    return _error(404, f"No campaign has the encryptedId {encrypted_id}.")


def _error(status: int, message: str) -> Response:
    return json_response(status, {"error": message})
