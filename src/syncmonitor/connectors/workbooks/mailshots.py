"""Workbooks integrated mailshots (`email/integrated_mailshots`): read, create, queue, delete.

Built on `WorkbooksClient` (same auth, paging, retries). Creates are never retried once the request
may have reached Workbooks (a POST is not idempotent): the caller tags each create with a unique
`created_through_reference` and looks it up to learn whether a create whose answer was lost did
happen. Deletes send the lock_version read, so a mailshot changed meanwhile is not deleted blindly.
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
ENTRIES = "email/mailing_list_entries.api"
API_KEYS = "admin/api_keys.api"
MAILSHOT_COLUMNS = (
    "name",
    "subject",
    "from_address",
    "status",
    "mailshot_type",
    "sync_with",
    "mailing_list_id",
    "queued_at",
    "gatormail_campaign_id",
    "sync_error",
    "updated_at",
    "is_deleted",
    "created_through_reference",
)
# The fields a copy takes over from the original (the name is the one that changes).
COPIED_FIELDS = ("subject", "from_address", "mailshot_type", "sync_with", "mailing_list_id")


@dataclass(frozen=True, slots=True)
class MailshotRecord:
    """One integrated mailshot as Workbooks answers it."""

    id: int
    lock_version: int
    name: str
    status: str
    mailing_list_id: int | None
    queued_at: datetime | None
    updated_at: datetime | None
    is_deleted: bool
    campaign_id: str | None
    sync_error: str | None
    sync_with: str | None
    reference: str | None
    raw: Mapping[str, Any]


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
        parse_optional_datetime(row.get("queued_at")),
        parse_optional_datetime(row.get("updated_at")),
        _bool(row.get("is_deleted")),
        _text(row.get("gatormail_campaign_id")),
        _text(row.get("sync_error")),
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
        """Queue (status Queued) or take out of the queue (status New)."""
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
        if not isinstance(info, dict) or info.get("success") is not True:
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

        return await self._http.request("GET", ENTRIES, params=params, parse=total)

    async def gatormail_api_key(self) -> ApiKeyFacts | None:
        """The API key record named GatorMail (Enabled, Valid From, Until); None when this
        Workbooks offers no API for API keys (the real service publishes none)."""
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
            )
        return None
