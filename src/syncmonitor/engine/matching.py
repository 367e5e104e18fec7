"""Which Workbooks record an email address belongs to, as seed 001 describes the matching.

"The Connector searches your Workbooks database for People or Sales Leads that have the same
email address [...]. This applies to email addresses held in the Main tab on a Person record as
well as any valid email addresses held in the Contact Details tab." So an address matches, in
this order:

1. a Person whose main email (`main_location[email]`) is the address;
2. a Person with a Contact Details record (`crm/party_locations`, the official
   contact_details_example.php: `party_id`, `email`, `alternate_email`) holding the address;
3. a Sales Lead whose email field (configurable, inferred: the guide names none) holds it.

Deleted records and addresses that are not valid email addresses never match. A remote that
refuses one of the optional searches (Contact Details, Sales Leads: a missing permission, a
field the database does not have) costs that search only: it is logged, and matching goes on
with what it has.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from syncmonitor.connectors.errors import (
    NotFoundError,
    PermissionDeniedError,
    RequestRejectedError,
)
from syncmonitor.connectors.workbooks.client import WorkbooksClient

log = logging.getLogger(__name__)

PERSON, SALES_LEAD = "person", "sales_lead"
BY_MAIN_EMAIL, BY_CONTACT_DETAILS, BY_LEAD_EMAIL = "main email", "contact details", "sales lead"
CONTACT_DETAILS = "crm/party_locations"
SALES_LEADS = "crm/sales_leads"
_VALID = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")


@dataclass(frozen=True)
class Match:
    """The Workbooks record an address matched, and how."""

    record_type: str  # person, sales_lead
    record_id: int
    matched_by: str  # main email, contact details, sales lead
    record: dict[str, Any] = field(default_factory=dict, compare=False)


def normal(address: object) -> str:
    return str(address or "").strip().lower()


def valid_email(address: str) -> bool:
    return bool(_VALID.match(address))


def _alive(record: dict[str, Any]) -> bool:
    return record.get("is_deleted") not in (True, 1, "1", "true")


def _id(record: dict[str, Any]) -> int | None:
    raw = record.get("id")
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    return int(raw) if isinstance(raw, str) and raw.isdigit() else None


async def match_by_email(
    client: WorkbooksClient,
    emails: Iterable[str],
    person_columns: Sequence[str],
    *,
    sales_lead_field: str = "",
) -> dict[str, Match]:
    """Address (lower case) -> the record it matches; addresses nothing matches are absent."""
    wanted = {e for e in (normal(a) for a in emails) if valid_email(e)}
    found: dict[str, Match] = {}
    if not wanted:
        return found
    columns = list(dict.fromkeys(["id", "main_location[email]", "is_deleted", *person_columns]))
    for person in await client.people_by_field("main_location[email]", sorted(wanted), columns):
        email, pid = normal(person.get("main_location[email]")), _id(person)
        if email in wanted and pid is not None and _alive(person):
            found.setdefault(email, Match(PERSON, pid, BY_MAIN_EMAIL, person))
    rest = wanted - set(found)
    if rest:
        found.update(await _by_contact_details(client, rest, columns))
    rest = wanted - set(found)
    if rest and sales_lead_field:
        found.update(await _by_sales_lead(client, rest, sales_lead_field))
    return found


async def _optional(what: str, call: Any) -> list[dict[str, Any]]:
    try:
        records: list[dict[str, Any]] = await call
    except (NotFoundError, PermissionDeniedError, RequestRejectedError) as exc:
        log.warning("Matching by %s skipped: %s", what, exc)
        return []
    return records


async def _by_contact_details(
    client: WorkbooksClient, emails: set[str], columns: list[str]
) -> dict[str, Match]:
    locations = await _optional(
        "Contact Details",
        client.records_by_fields(
            CONTACT_DETAILS,
            ("email", "alternate_email"),
            sorted(emails),
            ["id", "party_id", "email", "alternate_email", "is_deleted"],
        ),
    )
    party_of: dict[str, int] = {}
    for location in sorted(locations, key=lambda r: _id(r) or 0):
        party = location.get("party_id")
        if not _alive(location) or not str(party or "").isdigit():
            continue
        for key in ("email", "alternate_email"):
            email = normal(location.get(key))
            if email in emails:
                party_of.setdefault(email, int(str(party)))
    if not party_of:
        return {}
    # A party is a person or an organisation: only people match a prospect.
    people = {
        pid: p
        for p in await client.people_by_field(
            "id", [str(i) for i in sorted(set(party_of.values()))], columns
        )
        if (pid := _id(p)) is not None and _alive(p)
    }
    return {
        email: Match(PERSON, pid, BY_CONTACT_DETAILS, people[pid])
        for email, pid in party_of.items()
        if pid in people
    }


async def _by_sales_lead(
    client: WorkbooksClient, emails: set[str], lead_field: str
) -> dict[str, Match]:
    leads = await _optional(
        "Sales Leads",
        client.records_by_fields(
            SALES_LEADS, (lead_field,), sorted(emails), ["id", "name", lead_field, "is_deleted"]
        ),
    )
    found: dict[str, Match] = {}
    for lead in sorted(leads, key=lambda r: _id(r) or 0):
        email, lid = normal(lead.get(lead_field)), _id(lead)
        if email in emails and lid is not None and _alive(lead):
            found.setdefault(email, Match(SALES_LEAD, lid, BY_LEAD_EMAIL, lead))
    return found


def describe(match: Match) -> str:
    """ "Workbooks person 12 (by a Contact Details address)", for the window and the Issues."""
    what = "sales lead" if match.record_type == SALES_LEAD else "person"
    how = {
        BY_MAIN_EMAIL: "by its main email",
        BY_CONTACT_DETAILS: "by an address on its Contact Details",
        BY_LEAD_EMAIL: "by the lead's email",
    }.get(match.matched_by, match.matched_by)
    return f"Workbooks {what} {match.record_id} ({how})"
