"""The CRM status values of the sandbox world: Workbooks picklists and Salesforce statuses.

Workbooks keeps a person's Lead Status and Contact Status in two custom picklist fields
(`cf_person_lead_status`, `cf_person_contact_status`) whose values live in `admin/picklists`
and `admin/picklist_entries`. Salesforce keeps `LeadStatus` records (ApiName, MasterLabel,
IsConverted, IsDefault, SortOrder, which is not guaranteed to be sequential) and a custom Contact
picklist field `Contact_Status__c` (with one inactive value, as real orgs have).

Values are given to people from their ids, not from the world's random generator, so adding them
changed no existing seed's world.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from syncmonitor.sandbox.world import World

LEAD_STATUS_PICKLIST = 1
CONTACT_STATUS_PICKLIST = 2
MAILSHOT_STATUS_PICKLIST = 3  # the integrated mailshot's status (see mailshot_fields)
# Draft is documented (workbooks-mailshot_example.php); the others are the sandbox's own choice.
WORKBOOKS_MAILSHOT_STATUSES = ("Draft", "Queued", "Synchronising", "Synchronised", "Failed")
WORKBOOKS_LEAD_STATUSES = (
    "New",
    "Contacted",
    "Working",
    "Nurturing",
    "Qualified",
    "Unqualified",
    "Converted",
)
WORKBOOKS_CONTACT_STATUSES = ("Active", "Engaged", "Customer", "Do Not Contact", "Bad Email")

# (ApiName, MasterLabel, IsConverted, IsDefault, SortOrder)
SALESFORCE_LEAD_STATUSES = (
    ("Open - Not Contacted", "Open - Not Contacted", False, True, 1),
    ("Working - Contacted", "Working - Contacted", False, False, 2),
    ("Nurturing", "Nurturing", False, False, 4),
    ("Closed - Converted", "Closed - Converted", True, False, 7),
    ("Closed - Not Converted", "Closed - Not Converted", False, False, 9),
)
# (value, active)
SALESFORCE_CONTACT_STATUSES = (
    ("Active", True),
    ("Engaged", True),
    ("Customer", True),
    ("Do Not Contact", True),
    ("Legacy - Imported", False),
)


class Picklist:
    """A Workbooks picklist (`admin/picklists.api`)."""

    __slots__ = (
        "created_at",
        "description",
        "id",
        "is_deleted",
        "lock_version",
        "name",
        "updated_at",
    )

    def __init__(self, picklist_id: int, name: str, at: int) -> None:
        self.id = picklist_id
        self.lock_version = 1
        self.name: str | None = name
        self.description: str | None = f"Values of the {name} field"
        self.is_deleted = False
        self.created_at = at
        self.updated_at = at


class PicklistEntry:
    """One value of a Workbooks picklist (`admin/picklist_entries.api`)."""

    __slots__ = (
        "created_at",
        "display_order",
        "id",
        "is_default",
        "is_deleted",
        "lock_version",
        "picklist_id",
        "updated_at",
        "value",
    )

    def __init__(
        self, entry_id: int, picklist_id: int | None, value: str, order: int, at: int
    ) -> None:
        self.id = entry_id
        self.lock_version = 1
        self.picklist_id = picklist_id
        self.value: str | None = value
        self.display_order: int | None = order
        self.is_default = order == 1
        self.is_deleted = False
        self.created_at = at
        self.updated_at = at


class SalesforceStatus:
    """A Salesforce LeadStatus record, or a Contact_Status__c picklist value."""

    __slots__ = ("active", "api_name", "id", "is_converted", "is_default", "label", "sort_order")

    def __init__(
        self,
        record_id: str,
        api_name: str,
        label: str,
        is_converted: bool,
        is_default: bool,
        sort_order: int,
        active: bool = True,
    ) -> None:
        self.id = record_id
        self.api_name = api_name
        self.label = label
        self.is_converted = is_converted
        self.is_default = is_default
        self.sort_order = sort_order
        self.active = active


def install(world: World) -> None:
    """Add the picklists, their entries, the Salesforce statuses and people's status values."""
    at = world.anchor_ms // 1000 - 400 * 86_400
    world.picklists = {
        LEAD_STATUS_PICKLIST: Picklist(LEAD_STATUS_PICKLIST, "Lead Status", at),
        CONTACT_STATUS_PICKLIST: Picklist(CONTACT_STATUS_PICKLIST, "Contact Status", at),
        MAILSHOT_STATUS_PICKLIST: Picklist(MAILSHOT_STATUS_PICKLIST, "Mailshot Statuses", at),
    }
    entries: dict[int, PicklistEntry] = {}
    for picklist_id, values in (
        (LEAD_STATUS_PICKLIST, WORKBOOKS_LEAD_STATUSES),
        (CONTACT_STATUS_PICKLIST, WORKBOOKS_CONTACT_STATUSES),
        (MAILSHOT_STATUS_PICKLIST, WORKBOOKS_MAILSHOT_STATUSES),
    ):
        for order, value in enumerate(values, 1):
            entry_id = 101 + len(entries)
            entries[entry_id] = PicklistEntry(entry_id, picklist_id, value, order, at)
    world.picklist_entries = entries
    world.salesforce_lead_statuses = [
        SalesforceStatus(f"01J000000000{n:03d}AAA", *values)
        for n, values in enumerate(SALESFORCE_LEAD_STATUSES, 1)
    ]
    world.salesforce_contact_statuses = [
        SalesforceStatus(f"v{n}", value, value, False, n == 1, n, active)
        for n, (value, active) in enumerate(SALESFORCE_CONTACT_STATUSES, 1)
    ]
    for person in world.people.values():
        # About 4 in 5 people have a lead status, 1 in 3 a contact status (converted leads).
        if person.id % 5:
            person.lead_status = WORKBOOKS_LEAD_STATUSES[person.id % len(WORKBOOKS_LEAD_STATUSES)]
        if person.id % 3 == 0:
            person.contact_status = WORKBOOKS_CONTACT_STATUSES[
                person.id % len(WORKBOOKS_CONTACT_STATUSES)
            ]


def entry_values(world: World, picklist_id: int) -> list[str]:
    """The live values of one Workbooks picklist (for the admin API and tests)."""
    return [
        e.value or ""
        for e in sorted(world.picklist_entries.values(), key=lambda e: e.display_order or 0)
        if e.picklist_id == picklist_id and not e.is_deleted
    ]
