"""The delete hazard: a synced record deleted on one side that still exists on the other.

The outbound sync detects it (`outbound`), records it, raises a notice and an Issues entry, and
holds the record: nothing is re-created while the hazard is open. The person then chooses:

- *delete on the other side too*: the twin is deleted (the Outreach prospect or account, or the
  Workbooks record), the link is dropped;
- *unlink*: the link is dropped and the surviving Workbooks record no longer points at Outreach
  (its Outreach id is cleared and, for a person, Sync to Outreach is turned off, so the next
  sync does not create a new prospect for someone deliberately removed from Outreach).
"""

from __future__ import annotations

import enum
from typing import Any

from sqlalchemy import Engine

from syncmonitor.app.errors import UserFacingError
from syncmonitor.connectors.outreach.sync import OutreachSyncClient
from syncmonitor.connectors.workbooks.client import FieldValue, RecordUpdate
from syncmonitor.connectors.workbooks.sync import WorkbooksSyncClient
from syncmonitor.domain.timestamps import format_iso, utc_now
from syncmonitor.engine.issues import WORKBOOKS_PUSH, record_key
from syncmonitor.engine.runs.workers import in_writer
from syncmonitor.engine.two_way.outbound.kinds import SYNC_FIELD, OutboundKind
from syncmonitor.engine.two_way.outbound.writes import issue_key
from syncmonitor.store import two_way as store
from syncmonitor.store.issues import clear_issues


class HazardAction(enum.StrEnum):
    """What the person chose for a record deleted on one side."""

    DELETE_OTHER_SIDE = "deleted"
    UNLINK = "unlinked"


class HazardActionError(UserFacingError):
    """The chosen action could not be carried out."""

    title = "The deleted record was not handled"


def _hazard(engine: Engine, kind: str, crm_id: int) -> store.Hazard | None:
    with engine.connect() as conn:
        return store.hazard(conn, kind, crm_id)


def _resolved(
    engine: Engine, kind: OutboundKind, hazard: store.Hazard, action: HazardAction
) -> None:
    crm_id = hazard.crm_id
    with engine.begin() as conn:
        store.resolve_hazard(conn, kind.name, crm_id, action.value, format_iso(utc_now()))
        store.drop_link(conn, kind.name, crm_id)
        clear_issues(conn, kind.source, kind.name, [issue_key(crm_id)])
        if hazard.deleted_side == "crm" and action is HazardAction.DELETE_OTHER_SIDE:
            # The prospect is gone too: "no Workbooks person for it" was this deletion's
            # consequence and is over with it. (Unlinked, the prospect lives on without a
            # Workbooks person, and that issue stands on its own again.)
            clear_issues(
                conn, WORKBOOKS_PUSH, "person", [record_key("outreach", hazard.outreach_id)]
            )


async def resolve(
    kind: OutboundKind,
    crm_id: int,
    action: HazardAction,
    workbooks: WorkbooksSyncClient,
    outreach: OutreachSyncClient,
    engine: Engine,
) -> None:
    """Carry out the person's choice for an open hazard."""
    hazard = await in_writer(_hazard, engine, kind.name, crm_id)
    if hazard is None or hazard.resolved_at is not None:
        raise HazardActionError(
            f"{kind.label} {crm_id} has no open warning about a deleted record.",
            "Refresh the Issues page: it may have been handled already.",
        )
    if hazard.deleted_side == "crm":
        if action is HazardAction.DELETE_OTHER_SIDE:
            await outreach.delete(kind.outreach_path, hazard.outreach_id)
        # Unlink: the Workbooks record is deleted; dropping the link is all there is to do.
    else:
        record = await _read(kind, workbooks, crm_id)
        if record is not None:
            version = int(record.get("lock_version") or 0)
            if action is HazardAction.DELETE_OTHER_SIDE:
                result = await workbooks.delete_record(kind.crm_endpoint, crm_id, version)
            else:
                fields: dict[str, FieldValue] = {kind.link_field: None}
                if kind.scoped:
                    fields[SYNC_FIELD] = False
                [result] = await workbooks.update_records(
                    kind.crm_endpoint, [RecordUpdate(crm_id, version, fields)]
                )
            if not result.ok:
                raise HazardActionError(
                    f"Workbooks did not carry out the change to {hazard.label}: "
                    f"{'; '.join(result.errors) or 'no reason given'}.",
                    "Try again; if the record was just edited in Workbooks, reload it first.",
                )
    await in_writer(_resolved, engine, kind, hazard, action)


async def _read(
    kind: OutboundKind, workbooks: WorkbooksSyncClient, crm_id: int
) -> dict[str, Any] | None:
    async for page in workbooks.iter_records(
        kind.crm_endpoint, filters=[("id", "eq", str(crm_id))], columns=["id", "lock_version"]
    ):
        for record in page:
            return dict(record)
    return None


def open_hazards(engine: Engine) -> list[store.Hazard]:
    """Every open hazard (for the Issues page), newest first."""
    with engine.connect() as conn:
        return store.open_hazards(conn)
