"""The end of an outbound batch: Workbooks writes (links, flags, mapped values) in batches of
100 with a lock_version conflict re-read and retried once, then the cache and the Issues list in
one transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from syncmonitor.connectors.workbooks.client import FieldValue, RecordUpdate, UpdateResult
from syncmonitor.connectors.workbooks.format import parse_optional_datetime
from syncmonitor.connectors.workbooks.sync import WorkbooksSyncClient
from syncmonitor.domain.timestamps import format_iso
from syncmonitor.engine.issues import SOURCE_LABELS, report_record_outcomes
from syncmonitor.engine.runs.workers import in_writer
from syncmonitor.engine.two_way.outbound.kinds import OutboundKind
from syncmonitor.engine.two_way.outbound.pairs import Batch, PairPlan
from syncmonitor.store import two_way as store
from syncmonitor.store.issues import RecordIssue

SOURCE_LABELS.setdefault("outreach.prospects", "Outreach prospect")
SOURCE_LABELS.setdefault("outreach.accounts", "Outreach account")
SOURCE_LABELS.setdefault("outreach.opportunities", "Outreach opportunity")

STALE = (
    "Workbooks kept answering that the record was updated elsewhere (lock_version conflict), "
    "so its link to Outreach was not saved. It is tried again on the next sync."
)
_FIX_TODO = (
    "Correct the record in Workbooks (or the field mapping), clear its Outreach Sync Error "
    "flag, and the next full sync sends it again."
)
_DUPLICATE_TODO = (
    "Merge the duplicate people in Workbooks, or link this person to the existing prospect by "
    "putting its id in the Outreach id field; then clear the Outreach Duplicate flag."
)


def issue_key(crm_id: int) -> str:
    """The Issues list's key for a Workbooks record (never all digits: that is a prospect)."""
    return f"workbooks:{crm_id}"


def _fields(kind: OutboundKind, plan: PairPlan) -> dict[str, FieldValue]:
    if plan.duplicate and kind.duplicate_field:
        return {kind.duplicate_field: True}
    if plan.failed:
        return {kind.error_field: True} if kind.error_field else {}
    fields: dict[str, FieldValue] = {}
    if plan.twin is not None and str(plan.record.get(kind.link_field) or "") != str(plan.twin.id):
        fields[kind.link_field] = str(plan.twin.id)
    for name, value in plan.crm_changes.items():
        fields[name] = value if value is None or isinstance(value, str | int | bool) else str(value)
    return fields


async def finish_batch(
    kind: OutboundKind,
    workbooks: WorkbooksSyncClient,
    engine: Engine,
    batch: Batch,
    counts: Any,
) -> None:
    wanted: dict[int, dict[str, FieldValue]] = {}
    for plan in batch.plans:
        fields = _fields(kind, plan)
        if fields:
            wanted[plan.crm_id] = fields
    flag_error = {kind.error_field: True} if kind.error_field else {}
    flag_duplicate = {kind.duplicate_field: True} if kind.duplicate_field else {}
    for rid, _label, _why in batch.refused:
        if flag_error:
            wanted[rid] = dict(flag_error)
    for rid, _label, _why in batch.duplicates:
        if flag_duplicate:
            wanted[rid] = dict(flag_duplicate)
    versions = {int(r["id"]): int(r.get("lock_version") or 0) for r in _all_records(batch)}
    results = await _write(kind, workbooks, wanted, versions)
    stale: list[int] = []
    new_versions: dict[int, int | None] = {}
    for rid, result in results.items():
        if result.ok:
            new_versions[rid] = result.lock_version
        elif result.conflict:
            stale.append(rid)
        else:
            new_versions[rid] = None
            _note_refusal(batch, rid, "; ".join(result.errors) or "Workbooks refused the update.")
    if stale:
        fresh = await _read(kind, workbooks, stale)
        retry = {rid: wanted[rid] for rid in stale if rid in fresh}
        again = await _write(
            kind, workbooks, retry, {r: int(fresh[r].get("lock_version") or 0) for r in retry}
        )
        for rid in stale:
            second = again.get(rid)
            if second is not None and second.ok:
                new_versions[rid] = second.lock_version
            else:
                new_versions[rid] = None
                _note_refusal(batch, rid, STALE)
    for plan in batch.plans:
        if plan.crm_changes and new_versions.get(plan.crm_id) is not None:
            counts.updated_workbooks += 1
    await in_writer(_record, engine, kind, batch, new_versions, counts)


def _note_refusal(batch: Batch, rid: int, why: str) -> None:
    for plan in batch.plans:
        if plan.crm_id == rid and not plan.failed and not plan.duplicate:
            plan.link_failed = f"Workbooks refused to save the link to Outreach: {why}"
            return
    batch.refused.append((rid, f"Workbooks record {rid}", f"Workbooks refused the update: {why}"))


def _all_records(batch: Batch) -> list[dict[str, Any]]:
    return [p.record for p in batch.plans]


async def _write(
    kind: OutboundKind,
    workbooks: WorkbooksSyncClient,
    wanted: dict[int, dict[str, FieldValue]],
    versions: dict[int, int],
) -> dict[int, UpdateResult]:
    if not wanted:
        return {}
    updates = [RecordUpdate(rid, versions.get(rid, 0), fields) for rid, fields in wanted.items()]
    results = await workbooks.update_records(kind.crm_endpoint, updates)
    return {r.id: r for r in results}


async def _read(
    kind: OutboundKind, workbooks: WorkbooksSyncClient, ids: list[int]
) -> dict[int, dict[str, Any]]:
    found: dict[int, dict[str, Any]] = {}
    filters = [("id", "eq", str(i)) for i in ids]
    async for page in workbooks.iter_records(
        kind.crm_endpoint, filters=filters, filter_mode="or", columns=["id", "lock_version"]
    ):
        found.update({int(r["id"]): r for r in page})
    return found


def _iso(value: Any) -> str | None:
    try:
        moment = parse_optional_datetime(value)
    except ValueError:
        return None
    return format_iso(moment) if moment is not None else None


def _record(
    engine: Engine,
    kind: OutboundKind,
    batch: Batch,
    new_versions: dict[int, int | None],
    counts: Any,
) -> None:
    """Links, conflicts, hazards and issues of the batch, in one transaction."""
    links: list[store.Link] = []
    synced: list[str] = []
    issues: list[RecordIssue] = []
    conflicts: list[store.Conflict] = []
    for plan in batch.plans:
        if plan.duplicate:
            issues.append(_issue(kind, plan.crm_id, plan.label, plan.failed or "", _DUPLICATE_TODO))
            continue
        if plan.failed or plan.twin is None:
            issues.append(_issue(kind, plan.crm_id, plan.label, plan.failed or "", _FIX_TODO))
            continue
        held = dict(plan.record)
        held.update(plan.crm_changes)
        if plan.crm_id in new_versions:
            held["lock_version"] = new_versions[plan.crm_id]
        if plan.link_failed:  # the Outreach side is done; read it again next run
            held["lock_version"] = None
            issues.append(_issue(kind, plan.crm_id, plan.label, plan.link_failed, _FIX_TODO))
        else:
            synced.append(issue_key(plan.crm_id))
        links.append(
            store.Link(
                kind.name,
                plan.crm_id,
                plan.twin.id,
                plan.label,
                _iso(plan.record.get("updated_at")),
                str(plan.twin.attributes.get("updatedAt") or "") or None,
                plan.last_values,
                held,
                plan.twin.values(),
                batch.at,
            )
        )
        conflicts += plan.conflicts
    for rid, label, why in batch.refused:
        issues.append(_issue(kind, rid, label, why, _FIX_TODO))
    for rid, label, why in batch.duplicates:
        issues.append(_issue(kind, rid, label, why, _DUPLICATE_TODO))
    counts.conflicts += len(conflicts)
    counts.linked += sum(1 for p in batch.plans if p.twin is not None and not p.failed)
    counts.failed += sum(1 for p in batch.plans if p.link_failed)
    with engine.begin() as conn:
        store.save_links(conn, links)
        store.record_conflicts(conn, conflicts)
        counts.new_hazards += note_hazards(conn, kind, batch.hazards, batch.run_id)
        counts.hazards += len(batch.hazards)
        report_record_outcomes(
            conn, kind.source, kind.name, synced=synced, issues=issues, run_id=batch.run_id
        )


def _issue(kind: OutboundKind, rid: int, label: str, problem: str, todo: str) -> RecordIssue:
    return RecordIssue(
        source=kind.source,
        record_type=kind.name,
        record_key=issue_key(rid),
        record_label=label,
        problem=problem,
        todo=todo,
    )


def hazard_problem(hazard: store.Hazard) -> str:
    if hazard.deleted_side == "crm":
        return (
            "Deleted in Workbooks, but the linked Outreach record "
            f"(Outreach id {hazard.outreach_id}) still exists. Left alone so that it is not "
            "re-created in Workbooks."
        )
    return (
        f"The linked Outreach record (Outreach id {hazard.outreach_id}) was deleted in "
        "Outreach, but the Workbooks record still exists. The sync will not re-create it in "
        "Outreach."
    )


def hazard_todo(hazard: store.Hazard) -> str:
    """The two ways out, for the side that was deleted."""
    if hazard.deleted_side == "crm":
        return (
            "Choose Delete in Outreach too (to finish the deletion) or Unlink (to keep the "
            "Outreach record without a Workbooks record; it is not re-created in Workbooks)."
        )
    return (
        "Choose Delete in Workbooks too (to finish the deletion) or Unlink (to keep the "
        "Workbooks record and stop syncing it to Outreach)."
    )


def note_hazards(
    conn: Any, kind: OutboundKind, hazards: list[store.Hazard], run_id: int | None
) -> list[store.Hazard]:
    """Record hazards with an Issues entry each; returns the new ones (to notify about)."""
    new = store.note_hazards(conn, hazards)
    report_record_outcomes(
        conn,
        kind.source,
        kind.name,
        synced=[],
        issues=[
            _issue(kind, h.crm_id, h.label, hazard_problem(h), hazard_todo(h)) for h in hazards
        ],
        run_id=run_id,
    )
    return new


def note_hazards_now(
    engine: Engine, kind: OutboundKind, hazards: list[store.Hazard], run_id: int | None
) -> list[store.Hazard]:
    with engine.begin() as conn:
        return note_hazards(conn, kind, hazards, run_id)
