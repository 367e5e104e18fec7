"""How the queue's timeline puts things: one line per state change, and the preflight result,
with where the news came from. Also the conversions between cache rows and `MailshotFacts`."""

from __future__ import annotations

from typing import Any

from syncmonitor.domain.mailshots.queue import (
    MailshotFacts,
    QueueSnapshot,
    QueueState,
    item_problems,
    queue_problems,
)
from syncmonitor.domain.mailshots.rules import NAME_LIMIT, name_length
from syncmonitor.domain.mailshots.statuses import StatusMeanings
from syncmonitor.domain.timestamps import parse_iso


def facts_from_row(row: dict[str, Any], meanings: StatusMeanings) -> MailshotFacts:
    status = row["status"] or ""
    return MailshotFacts(
        id=int(row["id"]),
        name=row["name"] or "",
        status=status,
        mailing_list_id=row["mailing_list_id"],
        audience=row["audience"],
        queued_at=parse_iso(row["queued_at"]),
        deleted=bool(row["deleted"]),
        campaign_id=row["campaign_id"],
        arrived_at=parse_iso(row["arrived_at"]),
        role=meanings.role(status),
        matched_by=row.get("matched_by"),
        subject=row.get("subject"),
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
        if facts.role.value == "syncing":
            return (
                f"The integration started on it (Workbooks status “{facts.status}”).",
                "Workbooks",
            )
        return (
            "First in line: the integration is probably working on it (inferred; no Workbooks "
            "status says so).",
            "Sync Monitor (inferred)",
        )
    if state is QueueState.BLOCKED:
        return (
            f"Stuck at the head of the queue: its name has {name_length(facts.name)} "
            f"characters and GatorMail accepts at most {NAME_LIMIT}.",
            "Sync Monitor (inferred)",
        )
    if state is QueueState.ARRIVED:
        if facts.campaign_id:
            return (
                f"Found in Spotler as campaign {facts.campaign_id}, matched by name "
                f"({facts.matched_by or 'name'}; inferred: no read links the two).",
                "Spotler",
            )
        return f"Workbooks says “{facts.status}” (synchronised).", "Workbooks"
    if state is QueueState.FAILED:
        return f"Workbooks says “{facts.status}”: the sync failed.", "Workbooks"
    if state is QueueState.CANCELLED:
        return (
            f"Taken out of the queue (Workbooks status set back to “{facts.status}”).",
            "Workbooks",
        )
    if state is QueueState.UNKNOWN:
        return f"Workbooks status “{facts.status}”, which Sync Monitor cannot place.", "Workbooks"
    return f"Now {state.value}.", "Workbooks"


def preflight_text(facts: MailshotFacts, snapshot: QueueSnapshot) -> str:
    problems = [p.message for p in item_problems(facts)]
    problems += [
        p.message for p in queue_problems(snapshot.key, snapshot.integration, snapshot.taken_at)
    ]
    if problems:
        return "Entered the queue. Preflight found: " + " ".join(problems)
    key = "API key valid" if snapshot.key else "API key not readable through any API"
    running = {
        True: "integration running",
        False: "integration stopped",
        None: "'Integration running' not readable through any API",
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
        "matched_by": None,
        "subject": None,
        **row,
    }


BOTH_UNREADABLE = (
    "The API key and 'Integration running' are not readable through any API: check the GatorMail "
    "key in Workbooks (Start > Configuration > Automation > API Keys: 'Until' in the future or "
    "blank, 'Enabled?' ticked) and 'Integration running' in GatorMail (Tools > Integration > "
    "General), then “Record a check”."
)
KEY_UNREADABLE = (
    "API key: not readable through any API. Check the GatorMail key in Workbooks (Start > "
    "Configuration > Automation > API Keys: 'Until' in the future or blank, 'Valid From' in the "
    "past or blank, 'Enabled?' ticked) and record what you saw with “Record a check”."
)
INTEGRATION_UNREADABLE = (
    "Integration running: not readable through any API. In GatorMail open Tools > Integration > "
    "General and check the green tick next to 'Integration running', then record it with "
    "“Record a check”."
)
