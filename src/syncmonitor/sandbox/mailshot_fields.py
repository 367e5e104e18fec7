"""The Workbooks endpoints of the mailshot world, registered beside people and organisations.

`email/integrated_mailshots`, `email/mailing_lists`, `email/mailing_list_entries`, and
`admin/api_keys` (a sandbox-only window on the API key record: no Workbooks API to read API keys
is known, so in production the app infers key trouble instead; see docs/sandbox-contract.md).
Importing this module registers them in `workbooks_fields.ENDPOINTS`.
"""

from __future__ import annotations

from typing import Any

from syncmonitor.sandbox.mailshot_records import (
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
        _attr("mailing_list_id", INT, "mailing_list_id"),
        Field("mailing_list_name", TEXT, _list_name),
        _attr("queued_at", DATETIME, "queued_at", writable=False),
        _attr("gatormail_campaign_id", TEXT, "campaign_id", writable=False),
        _attr("sync_error", TEXT, "sync_error", writable=False),
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
        _attr("person_id", INT, "person_id"),
        _attr("email", TEXT, "email"),
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


ENDPOINTS.update(
    {
        "email/integrated_mailshots": Endpoint(
            "email/integrated_mailshots",
            MAILSHOT_FIELDS,
            lambda w: w.mailshots.mailshots,
            lambda w, i, now: Mailshot(i, now),
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
