"""The outbound half of the two-way sync: Workbooks people and organisations to Outreach.

Each run reads, in keyset pages of 100, the Workbooks records changed since the last run that
are in scope (people: Sync to Outreach, no sync error, not a duplicate, and the scope filter),
plus the linked records whose Outreach twin changed since. For each record:

- linked (the link table, else the Outreach id field) and the twin exists: the mapped fields
  are brought in line, field by field, with `domain.two_way.resolve` (a field changed on one
  side goes to the other; changed on both is a conflict settled by the field's rule and
  recorded);
- linked but the twin is gone: a delete hazard (see `delete_hazard`); nothing is re-created;
- not linked: a prospect with one of the person's emails whose externalId is this person is
  linked; any other prospect with the email makes the person a duplicate (flagged, not
  created); otherwise the record is created through the field mappings, after checking what
  Outreach requires (emails, a name), and linked on both sides.

A refused record sets its sync-error flag and becomes an issue with Outreach's own words; the
rest of the batch goes on. Workbooks writes go in batches of 100 (`outbound_writes`). A record
the sync wrote itself and that nobody changed since is skipped without reading its twin, so a
run with no changes costs a request or two per resource.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine

from syncmonitor.app.config import Config
from syncmonitor.connectors.errors import RequestRejectedError
from syncmonitor.connectors.outreach.sync import OutreachSyncClient, Remote
from syncmonitor.connectors.workbooks.format import format_datetime
from syncmonitor.connectors.workbooks.sync import WorkbooksSyncClient
from syncmonitor.domain.scope import base_conditions, workbooks_filter
from syncmonitor.domain.timestamps import format_iso, parse_iso, utc_now
from syncmonitor.domain.two_way import missing_required, normalise_emails
from syncmonitor.engine.runs.events import (
    CancelToken,
    ProgressCallback,
    SyncCancelled,
    SyncProgress,
)
from syncmonitor.engine.runs.workers import in_writer
from syncmonitor.engine.two_way.outbound.kinds import (
    DUPLICATE_FIELD,
    ERROR_FIELD,
    SYNC_FIELD,
    OutboundKind,
    default_identity_values,
)
from syncmonitor.engine.two_way.outbound.pairs import Batch, PairPlan, plan_linked, plan_new
from syncmonitor.engine.two_way.outbound.setup import Setup, load_setup, save_cursor
from syncmonitor.engine.two_way.outbound.writes import finish_batch, note_hazards_now
from syncmonitor.store.two_way import Hazard, Link

PAGE = 100


@dataclass
class OutboundCounts:
    """What one outbound run of one kind looked at and did."""

    read: int = 0
    created: int = 0
    linked: int = 0
    updated_outreach: int = 0
    updated_workbooks: int = 0
    unchanged: int = 0
    duplicates: int = 0
    refused: int = 0
    failed: int = 0
    conflicts: int = 0
    hazards: int = 0
    held: int = 0  # skipped because a delete hazard is open
    new_hazards: list[Hazard] = field(default_factory=list)
    claimed: dict[str, int] = field(default_factory=dict)  # email -> person, this run


async def sync_outbound(
    kind: OutboundKind,
    workbooks: WorkbooksSyncClient,
    outreach: OutreachSyncClient,
    engine: Engine,
    config: Config,
    *,
    run_id: int | None,
    counts: OutboundCounts,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> OutboundCounts:
    """Send one kind's changed records to Outreach (see the module docstring)."""
    setup = await in_writer(load_setup, engine, kind)
    started = utc_now()
    filters, mode = await _filters(kind, setup, workbooks)
    since = parse_iso(setup.cursor) if setup.cursor else None
    if since is not None:
        filters = [*filters, ("updated_at", "ge", format_datetime(since - timedelta(seconds=1)))]
        mode = f"({mode}) AND {len(filters)}" if mode not in ("and", "or") else "and"
    columns = setup.columns
    seen: set[int] = set()
    after = 0
    while True:
        if cancel is not None and cancel.cancelled:
            raise SyncCancelled()
        page = await workbooks.page_after(kind.crm_endpoint, after, filters, mode, columns, PAGE)
        if not page:
            break
        after = max(int(r["id"]) for r in page)
        seen.update(int(r["id"]) for r in page)
        await _batch(kind, page, workbooks, outreach, engine, config, setup, counts, run_id)
        _report(progress, kind, counts)
        if len(page) < PAGE:
            break
    # Twins changed in Outreach since the last run, whose Workbooks record did not change.
    changed = [i for i in await _outreach_changed(kind, outreach, engine, setup) if i not in seen]
    for start in range(0, len(changed), PAGE):
        chunk = [str(i) for i in changed[start : start + PAGE]]
        records = await _by_ids(kind, workbooks, chunk, columns)
        records = [r for r in records if _in_base_scope(kind, r)]
        if records:
            await _batch(kind, records, workbooks, outreach, engine, config, setup, counts, run_id)
    # Every run, the first included: a record deleted in Workbooks before Sync Monitor ever ran,
    # whose Outreach twin is still there, is the same hazard (and a first run that was cut short
    # must not see a different world from one that finished).
    await _deleted_in_workbooks(kind, workbooks, outreach, engine, setup, counts, since, run_id)
    if counts.failed == 0:
        await in_writer(save_cursor, engine, kind, format_iso(started))
    return counts


async def _filters(
    kind: OutboundKind, setup: Setup, workbooks: WorkbooksSyncClient
) -> tuple[list[tuple[str, str, str]], str]:
    if not kind.scoped:
        return [], "and"
    me = setup.scope.me
    if setup.scope.mine and me is None:
        me = await workbooks.current_user()
    base = base_conditions(SYNC_FIELD, ERROR_FIELD, DUPLICATE_FIELD)
    return workbooks_filter(setup.scope, me, base)


def _in_base_scope(kind: OutboundKind, record: dict[str, Any]) -> bool:
    if not kind.scoped:
        return not _truthy(record.get("is_deleted"))
    return (
        _truthy(record.get(SYNC_FIELD))
        and not _truthy(record.get(ERROR_FIELD))
        and not _truthy(record.get(DUPLICATE_FIELD))
        and not _truthy(record.get("is_deleted"))
    )


def _truthy(value: Any) -> bool:
    return value in (True, 1, "1", "true", "True")


async def _by_ids(
    kind: OutboundKind, workbooks: WorkbooksSyncClient, ids: list[str], columns: list[str]
) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    filters = [("id", "eq", i) for i in ids]
    async for page in workbooks.iter_records(
        kind.crm_endpoint, filters=filters, filter_mode="or", columns=columns
    ):
        found += page
    return found


async def _outreach_changed(
    kind: OutboundKind, outreach: OutreachSyncClient, engine: Engine, setup: Setup
) -> list[int]:
    """Workbooks ids whose linked twin changed in Outreach since the last run (not by us)."""
    if setup.cursor is None or not setup.links_exist:
        return []  # a first run reads every record from Workbooks anyway
    twins: dict[int, str] = {}
    fields = [(f"fields[{kind.outreach_type}]", "updatedAt")]
    async for remote in outreach.changed_since(kind.outreach_path, setup.cursor, fields):
        twins[remote.id] = str(remote.attributes.get("updatedAt") or "")
    if not twins:
        return []
    return await in_writer(setup.crm_ids_changed_in_outreach, engine, twins)


def _report(progress: ProgressCallback | None, kind: OutboundKind, counts: OutboundCounts) -> None:
    if progress is not None:
        progress(
            SyncProgress(
                f"outbound-{kind.name}",
                f"Sending {kind.name}s to Outreach: {counts.created:,} created, "
                f"{counts.updated_outreach:,} updated",
                counts.read,
                None,
            )
        )


async def _batch(
    kind: OutboundKind,
    records: list[dict[str, Any]],
    workbooks: WorkbooksSyncClient,
    outreach: OutreachSyncClient,
    engine: Engine,
    config: Config,
    setup: Setup,
    counts: OutboundCounts,
    run_id: int | None,
) -> None:
    counts.read += len(records)
    batch = Batch(kind, run_id, format_iso(utc_now()))
    ids = [int(r["id"]) for r in records]
    links, held = await in_writer(setup.links_and_holds, engine, ids)
    twin_of: dict[int, int] = {}
    skip: set[int] = set(held)
    for record in records:
        rid = int(record["id"])
        if rid in held:
            counts.held += 1
            continue
        link = links.get(rid)
        if link is not None and setup.unchanged_since_we_wrote(record, link):
            counts.unchanged += 1
            skip.add(rid)
            continue
        twin = link.outreach_id if link is not None else _as_int(record.get(kind.link_field))
        if twin is not None:
            twin_of[rid] = twin
    twins = await outreach.by_ids(kind.outreach_path, set(twin_of.values())) if twin_of else {}
    unlinked: list[dict[str, Any]] = []
    for record in records:
        rid = int(record["id"])
        if rid in skip:
            continue
        if rid in twin_of:
            remote = twins.get(twin_of[rid])
            if remote is None:
                batch.hazards.append(
                    Hazard(kind.name, rid, twin_of[rid], _label(kind, record), "outreach", batch.at)
                )
                continue
            batch.plans.append(plan_linked(kind, record, remote, links.get(rid), setup, batch))
        else:
            unlinked.append(record)
    if unlinked:
        await _plan_unlinked(kind, unlinked, outreach, setup, batch, counts)
    await _send_to_outreach(kind, outreach, batch, counts)
    await finish_batch(kind, workbooks, engine, batch, counts)


async def _plan_unlinked(
    kind: OutboundKind,
    records: list[dict[str, Any]],
    outreach: OutreachSyncClient,
    setup: Setup,
    batch: Batch,
    counts: OutboundCounts,
) -> None:
    emails = {int(r["id"]): normalise_emails(r.get("main_location[email]")) for r in records}
    holders: dict[str, list[Remote]] = {}
    if kind.by_email:
        holders = await outreach.prospects_by_email(e for es in emails.values() for e in es)
    earlier: dict[str, Remote] = {}
    if not kind.by_email and kind.identity is not None:
        # an account created before whose link never reached Workbooks
        ids = [str(int(r["id"])) for r in records]
        earlier = await outreach.by_identity(kind.outreach_path, kind.identity, ids)
    for record in records:
        rid = int(record["id"])
        label = _label(kind, record)
        if str(rid) in earlier:
            batch.plans.append(plan_linked(kind, record, earlier[str(rid)], None, setup, batch))
            continue
        if kind.by_email:
            mine = emails[rid]
            if not mine:
                batch.refuse(rid, label, missing_required(kind.outreach_type, {"emails": []}) or "")
                counts.refused += 1
                continue
            matches = {p.id: p for e in mine for p in holders.get(e, [])}
            own = [p for p in matches.values() if str(p.attributes.get("externalId")) == str(rid)]
            if own:
                batch.plans.append(plan_linked(kind, record, own[0], None, setup, batch))
                continue
            if matches:
                other = next(iter(matches.values()))
                batch.duplicate(
                    rid,
                    label,
                    f"Outreach already has prospect {other.id} with the email address "
                    f"{', '.join(sorted(set(mine) & set(other.emails)))}; it was not created "
                    "twice.",
                )
                counts.duplicates += 1
                continue
            taken = [e for e in mine if counts.claimed.get(e, rid) != rid]
            if taken:
                batch.duplicate(
                    rid,
                    label,
                    f"Workbooks person {counts.claimed[taken[0]]} has the same email address "
                    f"({taken[0]}) and was sent to Outreach first; this one was not created.",
                )
                counts.duplicates += 1
                continue
        plan = plan_new(kind, record, setup, default_identity_values(kind, record), batch)
        if kind.by_email:
            plan.attributes["emails"] = emails[rid]
        why = missing_required(kind.outreach_type, plan.attributes)
        if why:
            batch.refuse(rid, label, why)
            counts.refused += 1
            continue
        if kind.by_email:
            for email in emails[rid]:
                counts.claimed.setdefault(email, rid)
        batch.plans.append(plan)


async def _send_to_outreach(
    kind: OutboundKind, outreach: OutreachSyncClient, batch: Batch, counts: OutboundCounts
) -> None:
    """Create or update each record in Outreach; a refusal is that record's issue only."""
    for plan in batch.plans:
        try:
            if plan.twin is None:
                plan.twin = await outreach.create(
                    kind.outreach_path, kind.outreach_type, plan.attributes, plan.relationships
                )
                counts.created += 1
            elif plan.attributes or plan.relationships:
                plan.twin = await outreach.update(
                    kind.outreach_path,
                    kind.outreach_type,
                    plan.twin.id,
                    plan.attributes,
                    plan.relationships,
                )
                counts.updated_outreach += 1
            elif not plan.crm_changes and not plan.link_changes:
                counts.unchanged += 1
        except RequestRejectedError as exc:
            said = exc.remote_said or exc.message
            plan.failed = f"Outreach refused this {kind.outreach_type}. {said}".strip()
            if "already been taken" in said and plan.twin is None:
                plan.duplicate = True
                counts.duplicates += 1
            else:
                counts.refused += 1


def _label(kind: OutboundKind, record: dict[str, Any]) -> str:
    name = str(record.get("name") or "").strip()
    email = str(record.get("main_location[email]") or "").strip()
    if name and email:
        return f"{name} <{email}>"
    return name or email or f"{kind.label} {record.get('id')}"


def _as_int(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


async def _deleted_in_workbooks(
    kind: OutboundKind,
    workbooks: WorkbooksSyncClient,
    outreach: OutreachSyncClient,
    engine: Engine,
    setup: Setup,
    counts: OutboundCounts,
    since: Any,
    run_id: int | None,
) -> None:
    """Linked records deleted in Workbooks whose twin still exists in Outreach: hazards."""
    filters: list[tuple[str, str, str]] = [("is_deleted", "true", "")]
    if since is not None:
        filters.append(("updated_at", "ge", format_datetime(since - timedelta(seconds=1))))
    deleted: list[dict[str, Any]] = []
    async for page in workbooks.iter_records(
        kind.crm_endpoint, filters=filters, columns=setup.columns
    ):
        deleted += page
    if not deleted:
        return
    links, _held = await in_writer(setup.links_and_holds, engine, [int(r["id"]) for r in deleted])
    twin_of = {
        int(r["id"]): (
            links[int(r["id"])].outreach_id
            if int(r["id"]) in links
            else _as_int(r.get(kind.link_field))
        )
        for r in deleted
    }
    twin_of = {k: v for k, v in twin_of.items() if v is not None}
    if not twin_of:
        return
    alive = await outreach.by_ids(kind.outreach_path, set(twin_of.values()))  # type: ignore[arg-type]
    at = format_iso(utc_now())
    hazards = [
        Hazard(kind.name, rid, oid, _label(kind, r), "crm", at)
        for r in deleted
        if (rid := int(r["id"])) in twin_of and (oid := twin_of[rid]) in alive
    ]
    counts.new_hazards += await in_writer(note_hazards_now, engine, kind, hazards, run_id)
    counts.hazards += len(hazards)


__all__ = ["Link", "OutboundCounts", "PairPlan", "sync_outbound"]
