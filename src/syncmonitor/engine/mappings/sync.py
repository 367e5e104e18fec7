"""The sync's use of the saved mappings: linked people and prospects brought in line, both ways.

For every Workbooks person changed since the last run (and every person whose prospect changed),
the job finds the linked prospect (the Outreach id kept on the person, else the email, as the
sequence-state push matches them), applies the saved person → prospect field mapping with
`domain.mapping_apply.plan_pair` (status lookups through the Lead/Contact Status mappings,
placeholders, skip-empty, reference lookups), and writes what differs: a Workbooks update per
person, a prospect PATCH per prospect. Nothing runs until mappings have been saved once.

Creating records on the other side, and organisations/opportunities outbound, are not this job's:
it updates pairs that are already linked.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, bindparam, select

from syncmonitor.app.config import Config
from syncmonitor.connectors.outreach.mapping import (
    OutreachMappingClient,
    ProspectSnapshot,
    outreach_fields,
)
from syncmonitor.connectors.workbooks.client import RecordUpdate, WorkbooksClient
from syncmonitor.connectors.workbooks.format import format_datetime, parse_optional_datetime
from syncmonitor.domain.mappings.apply import MappingContext, Plan, plan_pair
from syncmonitor.domain.mappings.fields import FieldMapping, ObjectPair
from syncmonitor.domain.mappings.mapping_set import MappingSet
from syncmonitor.domain.mappings.values import CrmSource, FieldInfo, StatusKind
from syncmonitor.domain.timestamps import format_iso, parse_iso, utc_now
from syncmonitor.engine.runs.events import (
    CancelToken,
    ProgressCallback,
    SyncCancelled,
    SyncProgress,
)
from syncmonitor.engine.runs.workers import in_writer
from syncmonitor.store import mappings as store
from syncmonitor.store.runs import get_cursor, set_cursor
from syncmonitor.store.schema import prospects as prospects_table

log = logging.getLogger(__name__)

PEOPLE = "crm/people"
CURSOR = store.MAPPING_CURSOR
BATCH = 100
PROVIDER = "outreach"
# Relationships a prospect PATCH can set; other reference fields are looked up but not written.
WRITABLE_RELATIONSHIPS = frozenset({"stage"})


@dataclass
class MappingCounts:
    """What one application of the mappings looked at and wrote."""

    people_checked: int = 0
    pairs: int = 0
    unmatched: int = 0
    crm_updated: int = 0
    outreach_updated: int = 0
    fields_skipped: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Setup:
    mappings: MappingSet
    mapping: FieldMapping
    ctx: MappingContext
    cursor: str | None


def _load_setup(engine: Engine, crm_fields: dict[str, FieldInfo] | None) -> _Setup | None:
    with engine.connect() as conn:
        if store.saved_at(conn) is None:
            return None
        mappings = store.load_mappings(conn)
        live: dict[StatusKind, frozenset[str]] = {}
        for kind in StatusKind:
            values = store.statuses(conn, CrmSource.WORKBOOKS, kind)
            if values is not None:
                live[kind] = frozenset(v.api_name for v in values)
        stages = store.stages(conn)
        cached_fields = store.fields_of(conn, "workbooks", "person")
        cursor = get_cursor(conn, CURSOR)
    ctx = MappingContext(
        status=mappings.status,
        crm_fields=crm_fields or cached_fields or {},
        outreach_fields={f.name: f for f in outreach_fields("prospect")},
        live_statuses=live if len(live) == len(StatusKind) else None,
        stage_ids=frozenset(s.id for s in stages) if stages is not None else None,
    )
    return _Setup(mappings, mappings.fields[ObjectPair.PERSON_PROSPECT], ctx, cursor)


def _prospect_ids_by_email(engine: Engine, emails: list[str]) -> dict[str, int]:
    if not emails:
        return {}
    with engine.connect() as conn:
        rows = conn.execute(
            select(prospects_table.c.email, prospects_table.c.id).where(
                prospects_table.c.provider == PROVIDER,
                prospects_table.c.email.in_(bindparam("emails", expanding=True)),
            ),
            {"emails": emails},
        ).all()
    return {email: pid for email, pid in rows}


def _changed_prospects(engine: Engine, since: str) -> list[int]:
    with engine.connect() as conn:
        return [
            int(r[0])
            for r in conn.execute(
                select(prospects_table.c.id).where(
                    prospects_table.c.provider == PROVIDER, prospects_table.c.updated_at >= since
                )
            )
        ]


def sync_columns(config: Config, mapping: FieldMapping) -> list[str]:
    s = config.workbooks
    wanted = ["id", "lock_version", "name", "main_location[email]", "updated_at", "is_deleted"]
    wanted.append(s.outreach_id_field)
    wanted += [r.crm_field for r in mapping.rules if r.enabled and r.crm_field]
    return list(dict.fromkeys(wanted))


def as_int(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _crm_is_newer(person: dict[str, Any], prospect: ProspectSnapshot) -> bool:
    try:
        crm_at = parse_optional_datetime(person.get("updated_at"))
    except ValueError:
        crm_at = None
    outreach_at = parse_iso(prospect.values.get("updatedAt"))
    if crm_at is None or outreach_at is None:
        return crm_at is not None
    return crm_at > outreach_at


async def apply_person_mappings(
    workbooks: WorkbooksClient,
    outreach: OutreachMappingClient,
    engine: Engine,
    config: Config,
    *,
    counts: MappingCounts | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> MappingCounts:
    """Apply the saved person → prospect mapping to people changed since the last run."""
    counts = MappingCounts() if counts is None else counts
    setup = await in_writer(_load_setup, engine, None)
    if setup is None or setup.mappings.crm_source is not CrmSource.WORKBOOKS:
        return counts  # never saved, or mapped for Salesforce: nothing for Workbooks to do
    if not any(r.enabled for r in setup.mapping.rules):
        return counts
    started = utc_now()
    if any(r.enabled and r.options.lookup and r.status_kind is None for r in setup.mapping.rules):
        setup = await _with_references(setup, workbooks, outreach)
    columns = sync_columns(config, setup.mapping)
    people: dict[int, dict[str, Any]] = {}
    filters: list[tuple[str, str, str]] = []
    if setup.cursor:
        moment = parse_iso(setup.cursor)
        if moment is not None:
            filters = [("updated_at", "ge", format_datetime(moment - timedelta(seconds=1)))]
    async for page in workbooks.iter_records(PEOPLE, filters=filters, columns=columns):
        for person in page:
            people[int(person["id"])] = person
    if setup.cursor:
        changed = await in_writer(_changed_prospects, engine, setup.cursor)
        for start in range(0, len(changed), BATCH):
            chunk = [str(i) for i in changed[start : start + BATCH]]
            for person in await workbooks.people_by_field(
                config.workbooks.outreach_id_field, chunk, columns
            ):
                people.setdefault(int(person["id"]), person)
    ordered = [p for _, p in sorted(people.items()) if p.get("is_deleted") not in (True, 1, "1")]
    for start in range(0, len(ordered), BATCH):
        if cancel is not None and cancel.cancelled:
            raise SyncCancelled()
        await _apply_batch(
            ordered[start : start + BATCH], workbooks, outreach, engine, config, setup, counts
        )
        if progress is not None:
            progress(
                SyncProgress(
                    "mappings",
                    f"Applying mappings: {counts.pairs:,} linked people checked",
                    counts.people_checked,
                    len(ordered),
                )
            )
    if counts.failed == 0:
        await in_writer(_set_cursor, engine, format_iso(started))
    return counts


async def _with_references(
    setup: _Setup, workbooks: WorkbooksClient, outreach: OutreachMappingClient
) -> _Setup:
    """Read what reference lookups resolve against: organisations and accounts."""
    organisations: dict[int, dict[str, Any]] = {}
    async for page in workbooks.iter_records(
        "crm/organisations", columns=["id", "name", "created_through_reference"]
    ):
        organisations.update({int(o["id"]): o for o in page})
    accounts = await outreach.accounts()
    ctx = dataclasses.replace(
        setup.ctx,
        crm_records={"organisation": organisations},
        outreach_records={"account": accounts},
    )
    return dataclasses.replace(setup, ctx=ctx)


def _set_cursor(engine: Engine, value: str) -> None:
    with engine.begin() as conn:
        set_cursor(conn, CURSOR, value)


async def _apply_batch(
    batch: list[dict[str, Any]],
    workbooks: WorkbooksClient,
    outreach: OutreachMappingClient,
    engine: Engine,
    config: Config,
    setup: _Setup,
    counts: MappingCounts,
) -> None:
    counts.people_checked += len(batch)
    id_field = config.workbooks.outreach_id_field
    links: dict[int, int] = {}
    need_email = []
    for person in batch:
        pid = as_int(person.get(id_field))
        if pid is not None:
            links[int(person["id"])] = pid
        else:
            need_email.append(person)
    emails = [str(p.get("main_location[email]") or "").strip().lower() for p in need_email]
    by_email = await in_writer(_prospect_ids_by_email, engine, [e for e in emails if e])
    for person, email in zip(need_email, emails, strict=True):
        if email in by_email:
            links[int(person["id"])] = by_email[email]
    prospects = await outreach.prospects(links.values())
    updates: list[RecordUpdate] = []
    patches: list[tuple[int, dict[str, Any], int | bool | None]] = []
    snapshots: list[tuple[int, int | None, str, dict[str, Any], ProspectSnapshot | None]] = []
    for person in batch:
        person_id = int(person["id"])
        prospect = prospects.get(links.get(person_id, -1))
        if prospect is None:
            counts.unmatched += 1
            continue
        counts.pairs += 1
        send, load = plan_pair(
            setup.mapping,
            person,
            prospect.values,
            setup.ctx,
            crm_is_newer=_crm_is_newer(person, prospect),
        )
        counts.fields_skipped += len(send.skipped) + len(load.skipped)
        crm_values = {k: _field_value(v) for k, v in send.values().items()}
        if crm_values:
            updates.append(
                RecordUpdate(person_id, int(person.get("lock_version") or 0), crm_values)
            )
        patch = _prospect_patch(load)
        if patch is not None:
            patches.append((prospect.id, *patch))
        snapshots.append((person_id, prospect.id, str(person.get("name") or ""), person, prospect))
    saved = await workbooks.update_records(PEOPLE, updates) if updates else []
    for result in saved:
        if result.ok:
            counts.crm_updated += 1
        else:
            counts.failed += 1
            counts.errors.append(f"Workbooks person {result.id}: {'; '.join(result.errors)}")
    fresh: dict[int, ProspectSnapshot] = {}
    for prospect_id, attributes, stage in patches:
        try:
            fresh[prospect_id] = await outreach.update_prospect(prospect_id, attributes, stage)
            counts.outreach_updated += 1
        except Exception as exc:  # one refused prospect must not stop the others
            counts.failed += 1
            counts.errors.append(f"Outreach prospect {prospect_id}: {exc}")
    sent = {u.id: u.fields for u in updates}
    await in_writer(remember_pairs, engine, snapshots, sent, fresh)


def _field_value(value: object) -> str | int | bool | None:
    if value is None or isinstance(value, str | int | bool):
        return value
    return str(value)


def _prospect_patch(load: Plan) -> tuple[dict[str, Any], int | bool | None] | None:
    values = load.values()
    if not values:
        return None
    stage: int | bool | None = False
    attributes: dict[str, Any] = {}
    for name, value in values.items():
        if name in WRITABLE_RELATIONSHIPS:
            stage = as_int(value)
        elif name in ("account",):
            continue  # looked up for the preview; linking accounts is the record sync's job
        else:
            attributes[name] = None if value is None else str(value)
    if not attributes and stage is False:
        return None
    return attributes, stage


def remember_pairs(
    engine: Engine,
    snapshots: list[tuple[int, int | None, str, dict[str, Any], ProspectSnapshot | None]],
    sent: dict[int, Any],
    fresh: dict[int, ProspectSnapshot],
) -> None:
    """Keep what both sides hold now, for the dry-run preview."""
    now = format_iso(utc_now())
    crm_rows = []
    outreach_rows = []
    for person_id, prospect_id, label, person, prospect in snapshots:
        data = {**person, **dict(sent.get(person_id, {}))}
        crm_rows.append((person_id, prospect_id, label, data))
        if prospect is not None:
            held = fresh.get(prospect.id, prospect)
            outreach_rows.append((held.id, person_id, held.email, held.values))
    with engine.begin() as conn:
        store.store_records(conn, "crm", "person", crm_rows, now)
        store.store_records(conn, "outreach", "prospect", outreach_rows, now)


def describe_counts(counts: MappingCounts, read: dict[str, int], written: dict[str, int]) -> None:
    """Add the job's figures to a run's records read/written."""
    if counts.pairs or counts.people_checked:
        read["mapped_pairs"] = counts.pairs
    if counts.crm_updated:
        written["mapped_workbooks_people"] = counts.crm_updated
    if counts.outreach_updated:
        written["mapped_prospects"] = counts.outreach_updated
    if counts.failed:
        written["mapping_failures"] = counts.failed
