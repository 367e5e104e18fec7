"""The Workbooks fields of people and organisations: names on the wire, kinds, read and write.

Workbooks names nested values with brackets (`main_location[email]`) and answers with those names
as flat keys. Datetimes go out as `Fri May 15 14:36:54 UTC 2009`; booleans as true/false.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from syncmonitor.sandbox.records import Organisation, Person
from syncmonitor.sandbox.timefmt import parse_workbooks_datetime, workbooks_datetime
from syncmonitor.sandbox.world import World

INT, TEXT, BOOL, DATETIME = "int", "text", "bool", "datetime"
_TRUE = frozenset({"true", "1", "yes", "t", "y", "on"})
_FALSE = frozenset({"false", "0", "no", "f", "n", "off", ""})


@dataclass(frozen=True, slots=True)
class Field:
    """One Workbooks field: `read` gives the stored value (datetimes as epoch seconds)."""

    name: str
    kind: str
    read: Callable[[World, Any], Any]
    attribute: str | None = None  # set when the field can be written

    def wire(self, world: World, record: Any) -> Any:
        """The value as Workbooks sends it."""
        value = self.read(world, record)
        return workbooks_datetime(value) if self.kind == DATETIME else value


def _attr(name: str, kind: str, attribute: str, writable: bool = True) -> Field:
    def read(world: World, record: Any) -> Any:
        return getattr(record, attribute)

    return Field(name, kind, read, attribute if writable else None)


def parse_value(kind: str, raw: str) -> Any:
    """Turn a submitted text into a stored value; ValueError when it is not one."""
    if kind == INT:
        return int(raw.strip())
    if kind == BOOL:
        text = raw.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValueError(raw)
    if kind == DATETIME:
        return parse_workbooks_datetime(raw) if raw.strip() else None
    return raw


def _employer_name(world: World, person: Person) -> str | None:
    org = world.organisations.get(person.organisation_id) if person.organisation_id else None
    return org.name if org else None


def _person_name(world: World, person: Person) -> str:
    return " ".join(part for part in (person.first_name, person.last_name) if part)


PERSON_FIELDS: dict[str, Field] = {
    f.name: f
    for f in (
        _attr("id", INT, "id", writable=False),
        _attr("lock_version", INT, "lock_version", writable=False),
        Field("object_ref", TEXT, lambda w, p: f"PERS-{p.id}"),
        Field("name", TEXT, _person_name),
        _attr("person_first_name", TEXT, "first_name"),
        _attr("person_last_name", TEXT, "last_name"),
        _attr("main_location[email]", TEXT, "email"),
        _attr("employer_link", INT, "organisation_id"),
        Field("employer_name", TEXT, _employer_name),
        _attr("no_email_soliciting", BOOL, "no_email_soliciting"),
        _attr("created_at", DATETIME, "created_at", writable=False),
        _attr("updated_at", DATETIME, "updated_at", writable=False),
        _attr("is_deleted", BOOL, "is_deleted", writable=False),
        _attr("created_through_reference", TEXT, "created_through_reference"),
        _attr("cf_person_outreach_id", TEXT, "outreach_id"),
        _attr("cf_person_sequence_state", TEXT, "sequence_state"),
        _attr("cf_person_sequence_state_updated_at", DATETIME, "sequence_state_updated_at"),
        _attr("cf_person_sync_to_outreach", BOOL, "sync_to_outreach"),
        _attr("cf_person_outreach_sync_error", BOOL, "sync_error"),
        _attr("cf_person_outreach_duplicate", BOOL, "duplicate"),
        _attr("cf_person_lead_status", TEXT, "lead_status"),
        _attr("cf_person_contact_status", TEXT, "contact_status"),
        # The two-way sync: scope filters ("assigned to me or watching") and sequence step numbers
        _attr("assigned_to", INT, "assigned_to"),
        _attr("is_watched", BOOL, "watched", writable=False),
        _attr("cf_person_sequence_step", INT, "sequence_step"),
    )
}

ORGANISATION_FIELDS: dict[str, Field] = {
    f.name: f
    for f in (
        _attr("id", INT, "id", writable=False),
        _attr("lock_version", INT, "lock_version", writable=False),
        Field("object_ref", TEXT, lambda w, o: f"ORG-{o.id}"),
        _attr("name", TEXT, "name"),
        _attr("industry", TEXT, "industry"),
        _attr("main_location[town]", TEXT, "town"),
        _attr("main_location[country]", TEXT, "country"),
        _attr("website", TEXT, "website"),
        _attr("created_at", DATETIME, "created_at", writable=False),
        _attr("updated_at", DATETIME, "updated_at", writable=False),
        _attr("is_deleted", BOOL, "is_deleted", writable=False),
        _attr("created_through_reference", TEXT, "created_through_reference"),
    )
}


PICKLIST_FIELDS: dict[str, Field] = {
    f.name: f
    for f in (
        _attr("id", INT, "id", writable=False),
        _attr("lock_version", INT, "lock_version", writable=False),
        _attr("name", TEXT, "name"),
        _attr("description", TEXT, "description"),
        _attr("created_at", DATETIME, "created_at", writable=False),
        _attr("updated_at", DATETIME, "updated_at", writable=False),
        _attr("is_deleted", BOOL, "is_deleted", writable=False),
    )
}

PICKLIST_ENTRY_FIELDS: dict[str, Field] = {
    f.name: f
    for f in (
        _attr("id", INT, "id", writable=False),
        _attr("lock_version", INT, "lock_version", writable=False),
        _attr("picklist_id", INT, "picklist_id"),
        _attr("value", TEXT, "value"),
        # Sandbox only: picklist_example.php shows picklist_id and value; these two are the
        # app's inference (read when present, docs/remote-contract.md).
        _attr("display_order", INT, "display_order"),
        _attr("is_default", BOOL, "is_default"),
        _attr("created_at", DATETIME, "created_at", writable=False),
        _attr("updated_at", DATETIME, "updated_at", writable=False),
        _attr("is_deleted", BOOL, "is_deleted", writable=False),
    )
}


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One `<controller>.api` the sandbox serves."""

    path: str
    fields: dict[str, Field]
    store: Callable[[World], dict[int, Any]]
    create: Callable[[World, int, int], Any]


def _new_person(world: World, person_id: int, now: int) -> Person:
    return Person(person_id, "", "", "", None, now)


def _new_organisation(world: World, org_id: int, now: int) -> Organisation:
    return Organisation(org_id, "", "", "", "", "", now)


def _new_picklist(world: World, picklist_id: int, now: int) -> Any:
    from syncmonitor.sandbox.picklists import Picklist

    return Picklist(picklist_id, "", now)


def _new_picklist_entry(world: World, entry_id: int, now: int) -> Any:
    from syncmonitor.sandbox.picklists import PicklistEntry

    return PicklistEntry(entry_id, None, "", 0, now)


def _activity_fields() -> dict[str, Field]:
    """Workbooks tasks and activities (`activity/tasks`, `activity/activities`)."""
    return {
        f.name: f
        for f in (
            _attr("id", INT, "id", writable=False),
            _attr("lock_version", INT, "lock_version", writable=False),
            _attr("name", TEXT, "name"),
            _attr("activity_type", TEXT, "activity_type"),
            _attr("activity_status", TEXT, "activity_status"),
            _attr("description", TEXT, "description"),
            _attr("due_date", DATETIME, "due_date"),
            _attr("primary_contact_id", INT, "primary_contact_id"),
            _attr("primary_contact_type", TEXT, "primary_contact_type"),
            _attr("created_through_reference", TEXT, "created_through_reference"),
            _attr("created_at", DATETIME, "created_at", writable=False),
            _attr("updated_at", DATETIME, "updated_at", writable=False),
            _attr("is_deleted", BOOL, "is_deleted", writable=False),
        )
    }


OPPORTUNITY_FIELDS: dict[str, Field] = {
    f.name: f
    for f in (
        _attr("id", INT, "id", writable=False),
        _attr("lock_version", INT, "lock_version", writable=False),
        _attr("name", TEXT, "name"),
        _attr("description", TEXT, "description"),
        _attr("amount", TEXT, "amount"),
        _attr("probability", INT, "probability"),
        _attr("close_date", DATETIME, "close_date"),
        _attr("party_id", INT, "organisation_id"),
        _attr("created_through_reference", TEXT, "created_through_reference"),
        _attr("created_at", DATETIME, "created_at", writable=False),
        _attr("updated_at", DATETIME, "updated_at", writable=False),
        _attr("is_deleted", BOOL, "is_deleted", writable=False),
    )
}


PARTY_LOCATION_FIELDS: dict[str, Field] = {
    f.name: f
    for f in (
        _attr("id", INT, "id", writable=False),
        _attr("lock_version", INT, "lock_version", writable=False),
        _attr("party_id", INT, "party_id"),
        _attr("location_name", TEXT, "location_name"),
        _attr("email", TEXT, "email"),
        _attr("alternate_email", TEXT, "alternate_email"),
        _attr("town", TEXT, "town"),
        _attr("created_at", DATETIME, "created_at", writable=False),
        _attr("updated_at", DATETIME, "updated_at", writable=False),
        _attr("is_deleted", BOOL, "is_deleted", writable=False),
    )
}

SALES_LEAD_FIELDS: dict[str, Field] = {
    f.name: f
    for f in (
        _attr("id", INT, "id", writable=False),
        _attr("lock_version", INT, "lock_version", writable=False),
        _attr("name", TEXT, "name"),
        # Sandbox only: the guide names no sales-lead email field (see SalesLead).
        _attr("person_lead_party[main_location[email]]", TEXT, "email"),
        _attr("created_at", DATETIME, "created_at", writable=False),
        _attr("updated_at", DATETIME, "updated_at", writable=False),
        _attr("is_deleted", BOOL, "is_deleted", writable=False),
    )
}


def _new_party_location(world: World, record_id: int, now: int) -> Any:
    from syncmonitor.sandbox.activity import PartyLocation

    return PartyLocation(record_id, now)


def _new_sales_lead(world: World, record_id: int, now: int) -> Any:
    from syncmonitor.sandbox.activity import SalesLead

    return SalesLead(record_id, now)


def _new_opportunity(world: World, record_id: int, now: int) -> Any:
    from syncmonitor.sandbox.activity import CrmOpportunity

    return CrmOpportunity(record_id, now)


def _new_activity(world: World, record_id: int, now: int) -> Any:
    from syncmonitor.sandbox.activity import CrmActivity

    return CrmActivity(record_id, now)


ENDPOINTS: dict[str, Endpoint] = {
    "admin/picklists": Endpoint(
        "admin/picklists", PICKLIST_FIELDS, lambda w: w.picklists, _new_picklist
    ),
    "admin/picklist_entries": Endpoint(
        "admin/picklist_entries",
        PICKLIST_ENTRY_FIELDS,
        lambda w: w.picklist_entries,
        _new_picklist_entry,
    ),
    "crm/people": Endpoint("crm/people", PERSON_FIELDS, lambda w: w.people, _new_person),
    "crm/organisations": Endpoint(
        "crm/organisations", ORGANISATION_FIELDS, lambda w: w.organisations, _new_organisation
    ),
    "crm/opportunities": Endpoint(
        "crm/opportunities", OPPORTUNITY_FIELDS, lambda w: w.crm_opportunities, _new_opportunity
    ),
    "crm/party_locations": Endpoint(
        "crm/party_locations",
        PARTY_LOCATION_FIELDS,
        lambda w: w.party_locations,
        _new_party_location,
    ),
    "crm/sales_leads": Endpoint(
        "crm/sales_leads", SALES_LEAD_FIELDS, lambda w: w.sales_leads, _new_sales_lead
    ),
    "activity/tasks": Endpoint(
        "activity/tasks", _activity_fields(), lambda w: w.crm_tasks, _new_activity
    ),
    "activity/activities": Endpoint(
        "activity/activities", _activity_fields(), lambda w: w.crm_activities, _new_activity
    ),
}


def record_json(
    world: World, fields: dict[str, Field], record: Any, columns: list[str]
) -> dict[str, Any]:
    """One record as Workbooks answers it, limited to `columns`."""
    return {name: fields[name].wire(world, record) for name in columns}
