"""Workbooks integrated mailshots (`email/integrated_mailshots`): read, create, queue, delete.

Built on `WorkbooksClient` (same auth, paging, retries). Only documented fields are read: those of
`workbooks-mailshot_example.php` (`name`, `subject`, `from_address`, `mailshot_type`, `status`,
`sync_with`, `mailing_list_id`, `description`, `refresh_period`) and the fields every record has
(`id`, `lock_version`, `updated_at`, `is_deleted`, `created_through_reference`). When Synchronise
was pressed, whether the campaign arrived and why it failed are not in any document: the engine
infers them (status changes, Spotler names).

The status values are discovered, not assumed: the type whose `controller_path` is
`email/integrated_mailshots` is found in `metadata/types.api`, its `status` field's `picklist`
names a picklist, and `admin/picklist_entries.api` lists its values (the guide's Metadata section
and `workbooks-picklist_example.php`).

Creates are never retried once the request may have reached Workbooks (a POST is not idempotent):
the caller tags each create with a unique `created_through_reference` and looks it up to learn
whether a create whose answer was lost did happen. Deletes send the lock_version read, so a
mailshot changed meanwhile is not deleted blindly. Workbooks makes a mailing list for each new
mailshot and answers its id in `affected_objects`; a copy's audience is copied entry by entry
into that list (`workbooks-mailing_list_example.php`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from syncmonitor.connectors.errors import WORKBOOKS, NotFoundError, RequestRejectedError
from syncmonitor.connectors.workbooks.client import (
    NO_VALUE,
    WorkbooksClient,
    _as_int,
    _flatten_errors,
)
from syncmonitor.connectors.workbooks.format import format_datetime, parse_optional_datetime
from syncmonitor.domain.mailshots.rules import ApiKeyFacts

MAILSHOTS = "email/integrated_mailshots.api"
MAILSHOTS_PATH = "email/integrated_mailshots"
ENTRIES = "email/mailing_list_entries"
API_KEYS = "admin/api_keys.api"  # not in any document: probed once, never polled
MAILSHOT_COLUMNS = (
    "name",
    "subject",
    "from_address",
    "status",
    "mailshot_type",
    "sync_with",
    "mailing_list_id",
    "description",
    "updated_at",
    "is_deleted",
    "created_through_reference",
)
# The fields a copy takes over from the original (the name is the one that changes; the mailing
# list is Workbooks' own for each mailshot, so its entries are copied instead).
COPIED_FIELDS = ("subject", "from_address", "mailshot_type", "sync_with", "description")
ENTRY_COLUMNS = ("mailing_list_id", "party_or_lead_id", "party_or_lead_type", "subscribed")


@dataclass(frozen=True, slots=True)
class MailshotRecord:
    """One integrated mailshot as Workbooks answers it."""

    id: int
    lock_version: int
    name: str
    status: str
    mailing_list_id: int | None
    updated_at: datetime | None
    is_deleted: bool
    subject: str | None
    sync_with: str | None
    reference: str | None
    raw: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class StatusValues:
    """The status values Workbooks lists for integrated mailshots, and where they came from."""

    values: tuple[str, ...]
    source: str  # e.g. 'picklist "Mailshot Statuses" (admin/picklist_entries.api)'


@dataclass(frozen=True, slots=True)
class Entry:
    """One member of a mailing list (the documented fields of a mailing list entry)."""

    party_id: int
    party_type: str
    subscribed: bool | None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value != "" else None


def _bool(value: object) -> bool:
    return value is True or (isinstance(value, str) and value.lower() in ("true", "1"))


def parse_mailshot(row: Mapping[str, Any]) -> MailshotRecord | None:
    """A record from a Workbooks row; None when it has no usable id."""
    mailshot_id = _as_int(row.get("id"))
    if mailshot_id is None:
        return None
    return MailshotRecord(
        mailshot_id,
        _as_int(row.get("lock_version")) or 0,
        str(row.get("name") or ""),
        str(row.get("status") or ""),
        _as_int(row.get("mailing_list_id")),
        parse_optional_datetime(row.get("updated_at")),
        _bool(row.get("is_deleted")),
        _text(row.get("subject")),
        _text(row.get("sync_with")),
        _text(row.get("created_through_reference")),
        dict(row),
    )


class MailshotsClient(WorkbooksClient):
    """Workbooks with the mailshot calls the GatorMail queue needs."""

    async def list_mailshots(self, updated_since: datetime | None = None) -> list[MailshotRecord]:
        """GatorMail mailshots, deleted ones included (so deletions come through), oldest change
        first; only those changed at or after `updated_since` when given (inclusive)."""
        filters: list[tuple[str, str, str]] = [
            ("sync_with", "eq", "GatorMail"),
            ("is_deleted", "true", ""),
            ("is_deleted", "false", ""),
        ]
        mode = "1 AND (2 OR 3)"
        if updated_since is not None:
            filters.append(("updated_at", "ge", format_datetime(updated_since)))
            mode = "1 AND (2 OR 3) AND 4"
        found: list[MailshotRecord] = []
        async for page in self.iter_records(
            MAILSHOTS,
            filters=filters,
            filter_mode=mode,
            sort="id",
            columns=MAILSHOT_COLUMNS,
        ):
            found += [m for row in page if (m := parse_mailshot(row)) is not None]
        return found

    async def read_mailshot(self, mailshot_id: int) -> MailshotRecord | None:
        """One mailshot (deleted or not); None when Workbooks has no such id."""
        return await self._one([("id", "eq", str(mailshot_id))])

    async def find_by_reference(self, reference: str) -> MailshotRecord | None:
        """The live mailshot whose created_through_reference is `reference`, if any."""
        return await self._one([("created_through_reference", "eq", reference)], deleted=False)

    async def _one(
        self, filters: Sequence[tuple[str, str, str]], deleted: bool = True
    ) -> MailshotRecord | None:
        conditions = list(filters)
        mode = "and"
        if deleted:
            conditions += [("is_deleted", "true", ""), ("is_deleted", "false", "")]
            mode = "1 AND (2 OR 3)"
        # Read to the end (the filters select one record) rather than leave the generator
        # open: httpx cannot clean up a half-read generator collected outside the event loop.
        found: MailshotRecord | None = None
        async for page in self.iter_records(
            MAILSHOTS, filters=conditions, filter_mode=mode, columns=MAILSHOT_COLUMNS
        ):
            for row in page:
                record = parse_mailshot(row)
                if record is not None and found is None:
                    found = record
        return found

    async def create_mailshot(self, fields: Mapping[str, str | int]) -> MailshotRecord:
        """Create one mailshot; the saved record. Never retried once it may have been sent."""
        form: list[tuple[str, str]] = [
            *self._auth,
            ("_ff[]", "id"),
            ("_ft[]", "eq"),
            ("_fc[]", "0"),
        ]
        form += [("__method[]", "POST"), ("id[]", "0"), ("lock_version[]", "0")]
        form += [(f"{name}[]", str(value)) for name, value in fields.items()]
        return await self._http.request(
            "PUT", MAILSHOTS, form=form, parse=self._saved, idempotent=False
        )

    async def set_status(self, mailshot_id: int, lock_version: int, status: str) -> MailshotRecord:
        """Set the status (queue it, or take it out of the queue) as a user's save would."""
        return await self._write(mailshot_id, lock_version, "PUT", {"status": status})

    async def delete_mailshot(self, mailshot_id: int, lock_version: int) -> MailshotRecord:
        """Delete it in Workbooks (refused when it changed since `lock_version` was read)."""
        return await self._write(mailshot_id, lock_version, "DELETE", {})

    async def _write(
        self, mailshot_id: int, lock_version: int, method: str, fields: Mapping[str, str]
    ) -> MailshotRecord:
        form: list[tuple[str, str]] = [
            *self._auth,
            ("_ff[]", "id"),
            ("_ft[]", "eq"),
            ("_fc[]", str(mailshot_id)),
            ("__method[]", method),
            ("id[]", str(mailshot_id)),
            ("lock_version[]", str(lock_version)),
        ]
        form += [(f"{name}[]", value if value else NO_VALUE) for name, value in fields.items()]
        return await self._http.request("PUT", MAILSHOTS, form=form, parse=self._saved)

    def _saved(self, response: httpx.Response) -> MailshotRecord:
        body = self._answer(response)
        infos = body.get("affected_object_information") or []
        objects = body.get("affected_objects") or []
        info = infos[0] if isinstance(infos, list) and infos else {}
        # A successful create may answer `affected_object_information: [{}]` (the guide's own
        # example): an empty entry is a success when the object came back with its id.
        saved_object = isinstance(objects, list) and objects and isinstance(objects[0], dict)
        empty_ok = info == {} and bool(saved_object) and _as_int(objects[0].get("id")) is not None
        if not empty_ok and (not isinstance(info, dict) or info.get("success") is not True):
            errors = _flatten_errors(info.get("errors") if isinstance(info, dict) else None)
            said = "; ".join(errors) or "no reason given"
            raise RequestRejectedError(
                WORKBOOKS,
                "Workbooks did not save the mailshot",
                f"Workbooks refused the change to the mailshot: {said}. Nothing was changed. "
                "Reload the queue and try again; if it keeps failing, check the mailshot in "
                "Workbooks.",
                status_code=response.status_code,
                url=str(response.request.url),
            )
        record = parse_mailshot(objects[0]) if isinstance(objects, list) and objects else None
        if record is None:
            raise self._malformed(response, "the saved mailshot did not come back")
        return record

    async def audience(self, mailing_list_id: int) -> int:
        """How many entries the mailing list has (Workbooks' `total` of the entries)."""
        params = [
            *self._auth,
            ("_ff[]", "mailing_list_id"),
            ("_ft[]", "eq"),
            ("_fc[]", str(mailing_list_id)),
            ("_start", "0"),
            ("_limit", "1"),
            ("_select_columns[]", "id"),
        ]

        def total(response: httpx.Response) -> int:
            count = _as_int(self._answer(response).get("total"))
            if count is None:
                raise self._malformed(response, "the entry count ('total') is missing")
            return count

        return await self._http.request("GET", ENTRIES + ".api", params=params, parse=total)

    async def entries(self, mailing_list_id: int) -> list[Entry]:
        """Every member of a mailing list (party, its type and whether subscribed)."""
        found: list[Entry] = []
        async for page in self.iter_records(
            ENTRIES,
            filters=[("mailing_list_id", "eq", str(mailing_list_id))],
            columns=ENTRY_COLUMNS,
        ):
            for row in page:
                party = _as_int(row.get("party_or_lead_id"))
                if party is None:
                    continue
                subscribed = row.get("subscribed")
                found.append(
                    Entry(
                        party,
                        str(row.get("party_or_lead_type") or "Private::Crm::Person"),
                        _bool(subscribed) if subscribed is not None else None,
                    )
                )
        return found

    async def add_entries(self, mailing_list_id: int, entries: Sequence[Entry]) -> int:
        """Add members to a mailing list, 100 per request; how many were saved."""
        records: list[dict[str, str | int | bool | None]] = []
        for entry in entries:
            record: dict[str, str | int | bool | None] = {
                "mailing_list_id": mailing_list_id,
                "party_or_lead_id": entry.party_id,
                "party_or_lead_type": entry.party_type,
            }
            if entry.subscribed is not None:
                record["subscribed"] = entry.subscribed
            records.append(record)
        results = await self.create_records(ENTRIES, records)
        return sum(1 for r in results if r.ok)

    async def status_values(self) -> StatusValues | None:
        """The values the integrated mailshot's `status` field can take, from its picklist; None
        when the metadata names no picklist this client can read."""
        summary = await self._http.request(
            "GET",
            "metadata/types.api",
            params=[
                *self._auth,
                ("_select_columns[]", "class_name"),
                ("_select_columns[]", "controller_path"),
            ],
            parse=self._records,
        )
        class_name = next(
            (
                str(t.get("class_name"))
                for t in summary
                if str(t.get("controller_path") or "").strip("/") == MAILSHOTS_PATH
                and t.get("class_name")
            ),
            None,
        )
        if class_name is None:
            return None
        types = await self._http.request(
            "GET",
            "metadata/types.api",
            params=[
                *self._auth,
                ("class_names[]", class_name),
                ("_select_columns[]", "class_name"),
                ("_select_columns[]", "fields"),
            ],
            parse=self._records,
        )
        fields: Any = types[0].get("fields") if types else None
        if isinstance(fields, dict):
            fields = list(fields.values())
        status = next(
            (f for f in fields or [] if isinstance(f, dict) and f.get("name") == "status"), None
        )
        picklist = status.get("picklist") if isinstance(status, dict) else None
        picklist_id = _as_int(picklist.get("picklist_id")) if isinstance(picklist, dict) else None
        if picklist_id is None or not isinstance(picklist, dict):
            return None
        values: list[str] = []
        async for page in self.iter_records(
            "admin/picklist_entries",
            filters=[("picklist_id", "eq", str(picklist_id))],
            columns=("picklist_id", "value"),
        ):
            for row in page:
                value = row.get("value")
                if isinstance(value, str) and value and value not in values:
                    values.append(value)
        name = picklist.get("name") or f"#{picklist_id}"
        return StatusValues(
            tuple(values), f'picklist "{name}" of {class_name} (admin/picklist_entries.api)'
        )

    async def probe_api_key(self) -> ApiKeyFacts | None:
        """Probe: the API key record named GatorMail, where an account offers a read for it (no
        document has one; admins check it in Start > Configuration > Automation > API Keys).
        None when this Workbooks has no such read (404)."""
        params = [
            *self._auth,
            ("_ff[]", "name"),
            ("_ft[]", "ct"),
            ("_fc[]", "GatorMail"),
        ]
        try:
            rows = await self._http.request("GET", API_KEYS, params=params, parse=self._records)
        except NotFoundError:
            return None
        for row in rows:
            return ApiKeyFacts(
                str(row.get("name") or "GatorMail"),
                _bool(row.get("enabled")),
                parse_optional_datetime(row.get("valid_from")),
                parse_optional_datetime(row.get("valid_until")),
                source="read from admin/api_keys.api (not in any Workbooks document)",
            )
        return None
