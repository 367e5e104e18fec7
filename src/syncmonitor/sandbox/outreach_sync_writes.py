"""Outreach writes for the two-way sync: create and delete prospects, create and update accounts.

As Outreach's OpenAPI file describes them (JSON:API documents in and out):
- `POST /prospects` `{"data": {"type": "prospect", "attributes": {"emails": [...], "firstName",
  "lastName", "title", "externalId", "custom1".."custom5"}, "relationships": {"account": ...,
  "stage": ...}}}` answers 201 with the prospect. No emails is 422 (this sandbox's reading of
  Outreach's rule that a synced prospect needs an address); an email another prospect already
  has is 422 `validationError` "Contacts email hash has already been taken." (Outreach's default
  duplicate rule). `PATCH /prospects/{id}` (outreach_writes) also takes `emails` and `externalId`.
- `DELETE /prospects/{id}` answers 204.
- `POST /accounts`, `PATCH /accounts/{id}`: attributes name (required, 1..255), domain, industry,
  websiteUrl, customId; 201 / 200 with the account.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import orjson

from syncmonitor.sandbox.http_types import Request, Response
from syncmonitor.sandbox.outreach_writes import (
    CUSTOM_FIELDS,
    MAX_TEXT,
    MEDIA_TYPE,
    WriteError,
    _document,
)
from syncmonitor.sandbox.records import Account, Prospect
from syncmonitor.sandbox.world import World

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
DUPLICATE = "Contacts email hash has already been taken."
_PROSPECT_TEXT = ("firstName", "lastName", "title", *CUSTOM_FIELDS)
_ACCOUNT_TEXT = ("name", "domain", "industry", "websiteUrl", "customId")


def _text(attributes: dict[str, Any], key: str) -> str | None:
    value = attributes.get(key)
    if value is not None and (not isinstance(value, str) or len(value) > MAX_TEXT):
        raise WriteError(
            422,
            "validationError",
            f"{key} must be text of at most {MAX_TEXT} characters.",
            f"/data/attributes/{key}",
        )
    return value


def check_emails(world: World, value: Any, own_id: int | None) -> list[str]:
    """The emails of a prospect write, checked as Outreach would (lower-cased)."""
    pointer = "/data/attributes/emails"
    if not isinstance(value, list) or not all(isinstance(e, str) for e in value):
        raise WriteError(422, "validationError", "emails must be a list of addresses.", pointer)
    emails = [e.strip().lower() for e in value]
    if not emails:
        raise WriteError(422, "validationError", "Emails can't be blank.", pointer)
    for email in emails:
        if not EMAIL.match(email):
            raise WriteError(422, "validationError", f"Email {email!r} is not valid.", pointer)
        if any(pid != own_id for pid in world.prospects_with_email(email)):
            raise WriteError(422, "validationError", DUPLICATE, pointer)
    return list(dict.fromkeys(emails))


def set_emails(world: World, prospect: Prospect, emails: list[str]) -> None:
    prospect.email = emails[0] if emails else ""
    prospect.other_emails = tuple(emails[1:])
    world.prospect_emails_changed()


def _external(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    raise WriteError(
        422,
        "validationError",
        "externalId must be the CRM record's id.",
        "/data/attributes/externalId",
    )


def _related_id(world: World, relationships: dict[str, Any], name: str) -> int | None:
    link = relationships.get(name)
    if link is None:
        return None
    target = link.get("data") if isinstance(link, dict) else "bad"
    if target is None:
        return None
    store = world.accounts if name == "account" else world.stages
    found = isinstance(target, dict) and isinstance(target.get("id"), int)
    if found and store.get(target["id"]) is not None:
        return int(target["id"])
    raise WriteError(
        422,
        "validationError",
        f"{name} must name an existing {name}.",
        f"/data/relationships/{name}",
    )


def create_prospect(
    world: World, request: Request, render: Callable[[Any], dict[str, Any]]
) -> Response:
    data = _document(request, "prospect")
    attributes = data.get("attributes") or {}
    relationships = data.get("relationships") or {}
    unknown = set(attributes) - {*_PROSPECT_TEXT, "emails", "externalId"}
    if unknown:
        name = sorted(unknown)[0]
        raise WriteError(
            422, "validationError", f"Prospect has no attribute {name}.", f"/data/attributes/{name}"
        )
    texts = {key: _text(attributes, key) for key in _PROSPECT_TEXT if key in attributes}
    with world.lock:
        emails = check_emails(world, attributes.get("emails"), None)
        now = world.clock()
        prospect = Prospect(
            world.prospects.next_id,
            _external(attributes.get("externalId")),  # type: ignore[arg-type]
            texts.get("firstName") or "",
            texts.get("lastName") or "",
            emails[0],
            texts.get("title") or "",
            _related_id(world, relationships, "account"),
            now,
        )
        prospect.stage_id = _related_id(world, relationships, "stage") or 1
        prospect.other_emails = tuple(emails[1:])
        custom = {k: v for k, v in texts.items() if k in CUSTOM_FIELDS}
        prospect.custom = custom or None
        world.prospects.add(prospect)
        world.prospect_emails_changed()
        body = orjson.dumps({"data": render(prospect)})
    return Response(201, body, {"Content-Type": MEDIA_TYPE})


def delete_prospect(world: World, prospect_id: int) -> Response:
    with world.lock:
        if world.prospects.remove(prospect_id) is None:
            raise WriteError(404, "resourceNotFound", f"No prospect has the id {prospect_id}.")
        world.prospect_emails_changed()
    return Response(204, b"", {})


def write_account(
    world: World,
    account_id: int | None,
    request: Request,
    render: Callable[[Any], dict[str, Any]],
) -> Response:
    """POST (account_id None) or PATCH one account."""
    data = _document(request, "account")
    attributes = data.get("attributes") or {}
    unknown = set(attributes) - set(_ACCOUNT_TEXT)
    if unknown:
        name = sorted(unknown)[0]
        raise WriteError(
            422, "validationError", f"Account has no attribute {name}.", f"/data/attributes/{name}"
        )
    texts = {key: _text(attributes, key) for key in _ACCOUNT_TEXT if key in attributes}
    if (account_id is None or "name" in texts) and not (texts.get("name") or "").strip():
        raise WriteError(422, "validationError", "Name can't be blank.", "/data/attributes/name")
    with world.lock:
        now = world.clock()
        if account_id is None:
            custom = texts.get("customId") or ""
            account = Account(
                world.accounts.next_id,
                texts.get("name") or "",
                texts.get("domain") or "",
                texts.get("industry") or "",
                int(custom) if custom.isdigit() else 0,
                now,
            )
            world.accounts.add(account)
            status = 201
        else:
            found = world.accounts.get(account_id)
            if found is None:
                raise WriteError(404, "resourceNotFound", f"No account has the id {account_id}.")
            account = found
            for key, value in texts.items():
                if key == "customId":
                    account.organisation_id = int(value) if value and value.isdigit() else 0
                elif key in ("name", "domain", "industry"):
                    setattr(account, key, value or "")
            world.accounts.touch(account, now)
            status = 200
        body = orjson.dumps({"data": render(account)})
    return Response(status, body, {"Content-Type": MEDIA_TYPE})


_OPPORTUNITY = {"name", "amount", "probability", "closeDate", "nextStep"}


def write_opportunity(
    world: World,
    opportunity_id: int | None,
    request: Request,
    render: Callable[[Any], dict[str, Any]],
) -> Response:
    """POST (opportunity_id None) or PATCH one opportunity: name required, amount a number,
    probability 0..100, closeDate an ISO date-time; relationship `account`."""
    from syncmonitor.sandbox.activity import Opportunity

    data = _document(request, "opportunity")
    attributes = data.get("attributes") or {}
    relationships = data.get("relationships") or {}
    unknown = set(attributes) - _OPPORTUNITY
    if unknown:
        name = sorted(unknown)[0]
        raise WriteError(
            422,
            "validationError",
            f"Opportunity has no attribute {name}.",
            f"/data/attributes/{name}",
        )
    if "stage" in relationships:
        raise WriteError(
            422,
            "validationError",
            "stage is read-only on an opportunity; write opportunityStage.",
            "/data/relationships/stage",
        )
    stage = relationships.get("opportunityStage")
    target = stage.get("data") if isinstance(stage, dict) else None
    if stage is not None and not (
        target is None
        or (
            isinstance(target, dict)
            and target.get("type") == "opportunityStage"
            and type(target.get("id")) is int
        )
    ):
        raise WriteError(
            422,
            "validationError",
            "opportunityStage must be {type: opportunityStage, id: <integer>}.",
            "/data/relationships/opportunityStage",
        )
    for key in ("name", "nextStep", "closeDate"):
        _text(attributes, key)
    if (opportunity_id is None or "name" in attributes) and not str(
        attributes.get("name") or ""
    ).strip():
        raise WriteError(422, "validationError", "Name can't be blank.", "/data/attributes/name")
    amount = attributes.get("amount")
    if amount is not None:
        try:
            amount = float(amount)
        except (TypeError, ValueError):
            raise WriteError(
                422, "validationError", "Amount must be a number.", "/data/attributes/amount"
            ) from None
    with world.lock:
        now = world.clock()
        if opportunity_id is None:
            record = Opportunity(world.opportunities.next_id, "", now)
            world.opportunities.add(record)
            status = 201
        else:
            found = world.opportunities.get(opportunity_id)
            if found is None:
                raise WriteError(
                    404, "resourceNotFound", f"No opportunity has the id {opportunity_id}."
                )
            record, status = found, 200
        for key, attribute in (
            ("name", "name"),
            ("probability", "probability"),
            ("closeDate", "close_date"),
            ("nextStep", "next_step"),
        ):
            if key in attributes:
                setattr(record, attribute, attributes[key])
        if "amount" in attributes:
            record.amount = amount
        if "account" in relationships:
            record.account_id = _related_id(world, relationships, "account")
        if "opportunityStage" in relationships:
            # Sandbox only: no opportunityStages collection is served, so any id is taken.
            record.stage_id = target["id"] if isinstance(target, dict) else None
        world.opportunities.touch(record, now)
        body = orjson.dumps({"data": render(record)})
    return Response(status, body, {"Content-Type": MEDIA_TYPE})
