"""The Workbooks endpoints of the mailshot world, registered beside people and organisations.

`email/integrated_mailshots` with the fields `workbooks-mailshot_example.php` documents (plus the
common `id`, `lock_version`, `updated_at`, `is_deleted`, `created_through_reference`): no
`queued_at`, `gatormail_campaign_id` or `sync_error`, which no document has. A mailshot created
through the API gets a new mailing list of its own, whose id comes back in `affected_objects`
(as the example reads it); `mailing_list_id` cannot be written. `email/mailing_lists` and
`email/mailing_list_entries` (`mailing_list_id`, `party_or_lead_id`, `party_or_lead_type`,
`subscribed`, as `workbooks-mailing_list_example.php`). The mailshot type's metadata
(`metadata/types.api`, documented keys) says its `status` is a picklist field and names the
picklist, whose entries are the status values.

`admin/api_keys` is sandbox only (no document has an API for API keys): it answers 404 unless the
GatorMail switch `undocumented_reads` emulates an account that offers it.
Importing this module registers them in `workbooks_fields.ENDPOINTS`.
"""

from __future__ import annotations

from typing import Any

from syncmonitor.sandbox.mailshot_records import (
    NEW,
    ApiKey,
    MailingList,
    MailingListEntry,
    Mailshot,
)
from syncmonitor.sandbox.workbooks_fields import (
    BOOL,
    DATETIME,
    ENDPOINTS,
    INT,
    TEXT,
    Endpoint,
    Field,
    _attr,
)
from syncmonitor.sandbox.world import World


def _list_name(world: World, shot: Mailshot) -> str | None:
    found = world.mailshots.lists.get(shot.mailing_list_id) if shot.mailing_list_id else None
    return found.name if found else None


def _common(prefix: str) -> list[Field]:
    return [
        _attr("id", INT, "id", writable=False),
        _attr("lock_version", INT, "lock_version", writable=False),
        Field("object_ref", TEXT, lambda w, r: f"{prefix}-{r.id}"),
        _attr("created_at", DATETIME, "created_at", writable=False),
        _attr("updated_at", DATETIME, "updated_at", writable=False),
        _attr("is_deleted", BOOL, "is_deleted", writable=False),
    ]


MAILSHOT_FIELDS: dict[str, Field] = {
    f.name: f
    for f in (
        *_common("MS"),
        _attr("name", TEXT, "name"),
        _attr("subject", TEXT, "subject"),
        _attr("from_address", TEXT, "from_address"),
        _attr("status", TEXT, "status"),
        _attr("mailshot_type", TEXT, "mailshot_type"),
        _attr("sync_with", TEXT, "sync_with"),
        _attr("description", TEXT, "description"),
        _attr("refresh_period", INT, "refresh_period"),
        # Made by Workbooks with the mailshot; read-only here (whether the real API lets a
        # create set it is not documented, so the app never relies on it).
        _attr("mailing_list_id", INT, "mailing_list_id", writable=False),
        Field("mailing_list_name", TEXT, _list_name),
        _attr("created_through_reference", TEXT, "created_through_reference"),
    )
}

MAILING_LIST_FIELDS: dict[str, Field] = {
    f.name: f for f in (*_common("ML"), _attr("name", TEXT, "name"))
}

ENTRY_FIELDS: dict[str, Field] = {
    f.name: f
    for f in (
        *_common("MLE"),
        _attr("mailing_list_id", INT, "mailing_list_id"),
        _attr("party_or_lead_id", INT, "person_id"),
        _attr("party_or_lead_type", TEXT, "party_or_lead_type"),
        _attr("subscribed", BOOL, "subscribed"),
        Field("member_name", TEXT, lambda w, r: f"Contact {r.person_id}"),
        _attr("person_id", INT, "person_id"),  # sandbox only (older name of party_or_lead_id)
        _attr("email", TEXT, "email"),  # sandbox only
    )
}

API_KEY_FIELDS: dict[str, Field] = {
    f.name: f
    for f in (
        *_common("KEY"),
        _attr("name", TEXT, "name"),
        _attr("enabled", BOOL, "enabled"),
        _attr("valid_from", DATETIME, "valid_from"),
        _attr("valid_until", DATETIME, "valid_until"),
    )
}


def _new_entry(world: World, entry_id: int, now: int) -> Any:
    return MailingListEntry(entry_id, None, None, now)


def _new_mailshot(world: World, mailshot_id: int, now: int) -> Mailshot:
    """A mailshot made through the API: Workbooks makes its mailing list with it."""
    shot = Mailshot(mailshot_id, now)
    shot.status = NEW
    made = world.mailshots.new_list(f"Mailshot {mailshot_id}", now)
    shot.mailing_list_id = made.id
    world.workbooks_changed("email/mailing_lists", [made])
    return shot


MAILSHOT_CLASS = "Private::Email::IntegratedMailshot"  # sandbox only: no document names it
MAILSHOT_STATUS_PICKLIST_NAME = "Mailshot Statuses"


def mailshot_type() -> dict[str, Any]:
    """The integrated mailshot type as `metadata/types.api` describes it (documented keys)."""
    from syncmonitor.sandbox.picklists import MAILSHOT_STATUS_PICKLIST

    fields: list[dict[str, Any]] = []
    for f in MAILSHOT_FIELDS.values():
        field: dict[str, Any] = {
            "name": f.name,
            "title": f.name.replace("_", " ").capitalize(),
            "datatype": {INT: "integer", BOOL: "boolean", DATETIME: "date_time"}.get(
                f.kind, "string"
            ),
            "is_createable": f.attribute is not None,
            "is_updateable": f.attribute is not None,
            "is_filterable": True,
            "is_nullable": True,
            "required": f.name in ("name", "sync_with"),
        }
        if f.name == "status":
            field["datatype"] = "picklist_data"
            field["picklist"] = {
                "picklist_id": MAILSHOT_STATUS_PICKLIST,
                "name": MAILSHOT_STATUS_PICKLIST_NAME,
                "class_name": "Private::PicklistEntry",
                "display_field": "value",
                "value_field": "value",
                "auto_create": False,
                "unrestricted": False,
            }
        fields.append(field)
    return {
        "id": 40,
        "class_name": MAILSHOT_CLASS,
        "base_class_name": "Private::Email::Mailshot",
        "human_class_name": "Integrated Mailshot",
        "human_class_name_plural": "Integrated Mailshots",
        "controller_path": "email/integrated_mailshots",
        "instances_described_by": "name",
        "fields": fields,
        "associations": [
            {
                "name": "mailing_list",
                "title": "Mailing list",
                "datatype": "belongs_to",
                "class_names": ["Private::Email::MailingList"],
                "foreign_key_name": "mailing_list_id",
                "polymorphic": False,
                "minimum_n": 0,
                "maximum_n": 1,
            }
        ],
    }


ENDPOINTS.update(
    {
        "email/integrated_mailshots": Endpoint(
            "email/integrated_mailshots",
            MAILSHOT_FIELDS,
            lambda w: w.mailshots.mailshots,
            _new_mailshot,
        ),
        "email/mailing_lists": Endpoint(
            "email/mailing_lists",
            MAILING_LIST_FIELDS,
            lambda w: w.mailshots.lists,
            lambda w, i, now: MailingList(i, "", now),
        ),
        "email/mailing_list_entries": Endpoint(
            "email/mailing_list_entries",
            ENTRY_FIELDS,
            lambda w: w.mailshots.entries,
            _new_entry,
        ),
        "admin/api_keys": Endpoint(
            "admin/api_keys",
            API_KEY_FIELDS,
            lambda w: w.mailshots.api_keys,
            lambda w, i, now: ApiKey(i, "", now),
        ),
    }
)
