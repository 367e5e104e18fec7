"""The two-way sync's jobs in a full sync (engine.jobs): records out to Outreach, Outreach's
tasks, calls and meetings back into Workbooks, and the notices about delete hazards."""

from __future__ import annotations

from typing import Any

from syncmonitor.app.errors import UserFacingError
from syncmonitor.connectors.errors import PermissionDeniedError
from syncmonitor.connectors.outreach.sync import OutreachSyncClient
from syncmonitor.connectors.workbooks.sync import WorkbooksSyncClient
from syncmonitor.engine.issues import note_permission
from syncmonitor.engine.runs.notices import Notice, NoticeLevel
from syncmonitor.engine.runs.notify_policy import EventType, register_event_type
from syncmonitor.engine.runs.report import JobReport
from syncmonitor.engine.runs.workers import in_writer
from syncmonitor.engine.two_way.inbound.activity import ActivityCounts, pull_activities
from syncmonitor.engine.two_way.outbound.kinds import (
    opportunity_kind,
    organisation_kind,
    person_kind,
)
from syncmonitor.engine.two_way.outbound.sync import OutboundCounts, sync_outbound
from syncmonitor.store.two_way import Hazard

DELETE_HAZARD = register_event_type(
    EventType(
        "sync.delete_hazard",
        "A synced record was deleted on one side only",
        NoticeLevel.ISSUE,
        "{count} records were deleted on one side but still exist on the other.",
        batch_title="Records deleted on one side only",
    )
)


class OutboundFailedError(UserFacingError):
    """Some records could not be linked in Workbooks."""

    title = "Some records were not linked"


def _clients(ctx: Any, report: JobReport) -> tuple[WorkbooksSyncClient, OutreachSyncClient] | None:
    """The two clients, or None with the report turned off and why."""
    r = ctx.remotes
    if ctx.person is not None:
        report.off("a one-person sync writes sequence states only")
        return None
    if not (r.outreach_base_url and (r.outreach_token or r.outreach_auth)):
        report.off("Outreach is not set up")
        return None
    settings = ctx.config.workbooks
    if not (r.workbooks_base_url and r.workbooks_api_key):
        report.off("Workbooks is not set up")
        return None
    if not settings.push_enabled:
        report.off("updating Workbooks is turned off")
        return None
    if not settings.two_way_enabled:
        report.off("the two-way sync is turned off")
        return None
    workbooks = WorkbooksSyncClient(
        r.workbooks_base_url, r.workbooks_api_key, policy=ctx.retry_policy
    )
    outreach = OutreachSyncClient(
        r.outreach_base_url,
        None if r.outreach_auth else r.outreach_token,
        auth=r.outreach_auth,
        page_size=ctx.config.outreach.page_size,
        policy=ctx.retry_policy,
    )
    return workbooks, outreach


def hazard_notice(hazard: Hazard) -> Notice:
    where, other = (
        ("Workbooks", "Outreach")
        if hazard.deleted_side == "crm"
        else (
            "Outreach",
            "Workbooks",
        )
    )
    return Notice(
        DELETE_HAZARD.event,
        NoticeLevel.ISSUE,
        f"{hazard.label} was deleted in {where} only",
        f"{hazard.label} was deleted in {where} but still exists in {other}. The sync will not "
        f"re-create it: open the Issues page to delete it in {other} too, or to unlink it.",
        key=f"{hazard.kind}:{hazard.crm_id}",
    )


def _note_permission(engine: Any, source: str, exc: PermissionDeniedError | None) -> None:
    with engine.begin() as conn:
        note_permission(conn, source, f"Sync to {source.replace('.', ' ')}", exc)


async def run_outbound(ctx: Any, report: JobReport) -> None:
    """People and organisations to Outreach (the full sync's outbound job)."""
    clients = _clients(ctx, report)
    if clients is None:
        return
    workbooks, outreach = clients
    totals: dict[str, OutboundCounts] = {}
    refused: list[PermissionDeniedError] = []
    try:
        async with workbooks, outreach:
            kinds = (person_kind(ctx.config.workbooks), organisation_kind(), opportunity_kind())
            for kind in kinds:
                counts = totals.setdefault(kind.name, OutboundCounts())
                try:
                    await sync_outbound(
                        kind,
                        workbooks,
                        outreach,
                        ctx.engine,
                        ctx.config,
                        run_id=ctx.run_id,
                        counts=counts,
                        progress=ctx.progress,
                        cancel=ctx.cancel,
                    )
                except PermissionDeniedError as exc:
                    # A scope this kind needs is missing: the other kinds still sync, and the
                    # job then fails with it (the run ends Partly failed).
                    await in_writer(_note_permission, ctx.engine, kind.source, exc)
                    refused.append(exc)
                    continue
                await in_writer(_note_permission, ctx.engine, kind.source, None)
    finally:
        for name, counts in totals.items():
            _describe(name, counts, report.read, report.written)
            report.notices += [hazard_notice(h) for h in counts.new_hazards]
    if refused:
        raise refused[0]
    failed = sum(c.failed for c in totals.values())
    if failed:
        raise OutboundFailedError(
            f"{failed} records were created or updated in Outreach, but Workbooks did not save "
            "their link.",
            "They are tried again on the next full sync; the Issues page has each reason.",
        )


def _describe(name: str, c: OutboundCounts, read: dict[str, int], written: dict[str, int]) -> None:
    plural = {"person": "people", "opportunity": "opportunities"}.get(name, f"{name}s")
    if c.read:
        read[f"outbound_{plural}"] = c.read
    for key, value in (
        ("created", c.created),
        ("updated", c.updated_outreach),
        ("workbooks_updated", c.updated_workbooks),
        ("duplicates", c.duplicates),
        ("refused", c.refused),
        ("conflicts", c.conflicts),
        ("delete_hazards", c.hazards),
    ):
        if value:
            written[f"outreach_{plural}_{key}"] = value


async def run_activities(ctx: Any, report: JobReport, part: str) -> None:
    """One part of the inbound additions into Workbooks: "steps" (sequence step numbers onto
    the person), "tasks" (skipped tasks as Cancelled tasks, meetings as activities) or "calls"."""
    clients = _clients(ctx, report)
    if clients is None:
        return
    workbooks, outreach = clients
    counts = ActivityCounts()
    try:
        async with workbooks, outreach:
            await pull_activities(
                workbooks,
                outreach,
                ctx.engine,
                ctx.config,
                counts=counts,
                cancel=ctx.cancel,
                parts=(part,),
            )
    finally:
        counts.describe(report.read, report.written)
