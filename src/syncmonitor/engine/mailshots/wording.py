"""How the queue's timeline puts things: one line per state change, and the preflight result,
with where the news came from. Also the conversions between cache rows and `MailshotFacts`."""

from __future__ import annotations

from typing import Any

from syncmonitor.connectors.spotler import CampaignRecord
from syncmonitor.domain.mailshots.queue import (
    MailshotFacts,
    QueueSnapshot,
    QueueState,
    item_problems,
    queue_problems,
)
from syncmonitor.domain.mailshots.rules import NAME_LIMIT, name_length
from syncmonitor.domain.timestamps import format_iso, parse_iso


def facts_from_row(row: dict[str, Any]) -> MailshotFacts:
    return MailshotFacts(
        id=int(row["id"]),
        name=row["name"] or "",
        status=row["status"] or "",
        mailing_list_id=row["mailing_list_id"],
        audience=row["audience"],
        queued_at=parse_iso(row["queued_at"]),
        deleted=bool(row["deleted"]),
        campaign_id=row["campaign_id"],
        arrived_at=parse_iso(row["arrived_at"]),
        sync_error=row["sync_error"],
    )


def describe_change(
    state: QueueState,
    before: QueueState | None,
    facts: MailshotFacts,
    snapshot: QueueSnapshot,
) -> tuple[str, str]:
    if state.in_queue and (before is None or not before.in_queue):
        return preflight_text(facts, snapshot), "Workbooks"
    if state is QueueState.SYNCING:
        return "The integration started on it (Workbooks status Synchronising).", "Workbooks"
    if state is QueueState.BLOCKED:
        return (
            f"Stuck at the head of the queue: its name has {name_length(facts.name)} "
            f"characters and GatorMail accepts at most {NAME_LIMIT}.",
            "Sync Monitor (inferred)",
        )
    if state is QueueState.ARRIVED:
        if facts.campaign_id:
            return f"Listed in Spotler as integrated campaign {facts.campaign_id}.", "Spotler"
        return "Workbooks says Synchronised.", "Workbooks"
    if state is QueueState.FAILED:
        return f"GatorMail refused it: {facts.sync_error or 'no reason given'}", "Workbooks"
    if state is QueueState.CANCELLED:
        return "Taken out of the queue (Workbooks status set back).", "Workbooks"
    return f"Now {state.value}.", "Workbooks"


def preflight_text(facts: MailshotFacts, snapshot: QueueSnapshot) -> str:
    problems = [p.message for p in item_problems(facts)]
    problems += [
        p.message
        for p in queue_problems(snapshot.key, snapshot.integration_running, snapshot.taken_at)
    ]
    if problems:
        return "Entered the queue. Preflight found: " + " ".join(problems)
    key = "API key valid" if snapshot.key else "API key not readable here"
    running = {
        True: "integration running",
        False: "integration stopped",
        None: "integration state not readable",
    }[snapshot.integration_running]
    return (
        f"Entered the queue. Preflight passed: name {name_length(facts.name)} of {NAME_LIMIT} "
        f"characters, {key}, {running}."
    )


def blank_row(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": "",
        "status": "",
        "mailing_list_id": None,
        "queued_at": None,
        "sync_error": None,
        **row,
    }


def with_campaign(row: dict[str, Any], campaigns: dict[str, CampaignRecord]) -> dict[str, Any]:
    campaign = campaigns.get(str(row["id"]))
    if campaign is None:
        return row
    return {
        **row,
        "campaign_id": campaign.encrypted_id,
        "arrived_at": format_iso(campaign.created) if campaign.created else row.get("arrived_at"),
        # What Spotler received, when the mailing list was not read (history).
        "audience": row.get("audience") if row.get("audience") is not None else campaign.contacts,
    }
