"""The queue in plain data (for `syncmonitor queue --json`) and where each figure comes from.

`FIGURE_SOURCES` is what the window and the CLI say about every figure: the real endpoint behind
it, or that it is inferred. The GatorMail integration's own queue has no public API, so positions,
"blocked" and ETAs are Sync Monitor's reading of Workbooks and Spotler, not facts reported by it.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from syncmonitor.app.config import MailshotSettings
from syncmonitor.domain.mailshots.queue import QueueItem, QueueSnapshot
from syncmonitor.domain.mailshots.rules import NAME_LIMIT, NAME_RULE, name_length
from syncmonitor.domain.timestamps import format_iso
from syncmonitor.engine.mailshots.monitor import PollResult, QueueMonitor
from syncmonitor.store.database import Database

if TYPE_CHECKING:  # a type only: the run service and its jobs load with the engine, later
    from syncmonitor.engine.runs.service import Remotes

WB = "Workbooks GET email/integrated_mailshots.api"
FIGURE_SOURCES: dict[str, str] = {
    "name": f"{WB} (name)",
    "status": f"{WB} (status, shown as Workbooks has it; its meaning is in Settings > Queue "
    "statuses: discovered from the status picklist, guessed until an admin confirms)",
    "queued": "Inferred: the Workbooks save (updated_at) that set the status meaning "
    "'Synchronise was pressed' (no document has a queue time)",
    "audience": "Workbooks GET email/mailing_list_entries.api (total of the mailshot's list)",
    "arrived": "Inferred: a Spotler campaign (GET /campaign/list) or mailing (GET /mailing) of "
    "the same name that appeared after it was queued; no read links the two",
    "position": "Inferred: queued mailshots in the order Synchronise was pressed (the "
    "integration takes them one at a time)",
    "blocked": f"Inferred: the head of the queue has a name over {NAME_LIMIT} characters",
    "eta": "Inferred: audience sizes and the throughput measured from arrivals so far",
    "throughput": "Inferred: records per second from the arrivals seen and queue times",
    "api_key": "Not readable through any API: what an admin recorded from Workbooks Start > "
    "Configuration > Automation > API Keys (an account offering admin/api_keys.api is read)",
    "integration": "Not readable through any API: what an admin recorded from GatorMail Tools > "
    "Integration > General (an account offering GET /integration/status is read)",
}


def item_json(item: QueueItem) -> dict[str, Any]:
    f = item.facts
    return {
        "id": f.id,
        "name": f.name,
        "name_length": name_length(f.name),
        "state": item.state.value,
        "position": item.position,
        "workbooks_status": f.status,
        "audience": f.audience,
        "queued_at": format_iso(f.queued_at) if f.queued_at else None,
        "waiting_s": round(item.waiting_s, 1) if item.waiting_s is not None else None,
        "eta_s": round(item.eta_s, 1) if item.eta_s is not None else None,
        "eta_note": item.eta_note,
        "eta_inferred": True,
        "status_means": f.role.value,
        "subject": f.subject,
        "campaign_id": f.campaign_id,
        "matched_by": f.matched_by,
        "arrived_at": format_iso(f.arrived_at) if f.arrived_at else None,
        "problems": [
            {"code": p.code, "message": p.message, "blocking": p.blocking} for p in item.problems
        ],
    }


def snapshot_json(snapshot: QueueSnapshot) -> dict[str, Any]:
    """The whole queue as JSON-ready data."""
    key = snapshot.key
    problem = snapshot.queue_problem
    return {
        "taken_at": format_iso(snapshot.taken_at),
        "problem": (
            {"code": problem.code, "message": problem.message} if problem is not None else None
        ),
        "integration_running": snapshot.integration_running,
        "integration": (
            {"running": snapshot.integration.running, "source": snapshot.integration.source}
            if snapshot.integration is not None
            else None
        ),
        "notes": [{"code": n.code, "message": n.message} for n in snapshot.notes],
        "reads": [
            {
                "read": r.name,
                "ok": r.ok,
                "backs": r.backs,
                "message": r.message,
                "last_ok_at": format_iso(r.last_ok_at) if r.last_ok_at else None,
            }
            for r in snapshot.reads
        ],
        "api_key": (
            {
                "source": key.source,
                "name": key.name,
                "enabled": key.enabled,
                "valid_from": format_iso(key.valid_from) if key.valid_from else None,
                "valid_until": format_iso(key.valid_until) if key.valid_until else None,
                "problem": key.problem(snapshot.taken_at),
            }
            if key is not None
            else None
        ),
        "throughput_records_per_second": (
            round(snapshot.throughput, 2) if snapshot.throughput is not None else None
        ),
        "name_rule": NAME_RULE,
        "sources": FIGURE_SOURCES,
        "in_queue": len(snapshot.in_queue),
        "mailshots": [item_json(i) for i in snapshot.items],
    }


def read_queue_once(
    database: Database, remotes: Remotes, settings: MailshotSettings | None = None
) -> PollResult:
    """One poll with its own event loop (the CLI)."""

    async def run() -> PollResult:
        monitor = QueueMonitor(database, remotes, settings=settings)
        try:
            return await monitor.poll_once()
        finally:
            await monitor.aclose()

    return asyncio.run(run())
