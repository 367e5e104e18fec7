"""Seed 001: people kept waiting (parked) because no Workbooks person has their address yet.

A parked outbox entry has `attempts = PARKED`. Every full sync looks the parked addresses up
again; one a Workbooks person now has (created since, or the address added to its Contact
Details) is queued again, so that run writes everything recorded for the prospect.
"""

from __future__ import annotations

from sqlalchemy import Engine, select, update

from syncmonitor.app.config import WorkbooksSettings
from syncmonitor.connectors.workbooks.client import WorkbooksClient
from syncmonitor.engine.matching import match_by_email
from syncmonitor.engine.runs.workers import in_writer
from syncmonitor.store.schema import prospects, push_outbox

PARKED = 3
Key = tuple[str, int]


def _parked(engine: Engine) -> dict[Key, str]:
    """Every parked outbox entry (no record matched) and its prospect's address."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(push_outbox.c.provider, push_outbox.c.prospect_id, prospects.c.email)
            .select_from(
                push_outbox.join(
                    prospects,
                    (prospects.c.provider == push_outbox.c.provider)
                    & (prospects.c.id == push_outbox.c.prospect_id),
                )
            )
            .where(push_outbox.c.attempts >= PARKED, prospects.c.email != "")
        ).all()
    return {(r[0], r[1]): str(r[2]).lower() for r in rows}


def _unpark(engine: Engine, keys: list[Key]) -> None:
    with engine.begin() as conn:
        for provider, pid in keys:
            conn.execute(
                update(push_outbox)
                .where(push_outbox.c.provider == provider, push_outbox.c.prospect_id == pid)
                .values(attempts=0, last_error=None)
            )


async def revisit_parked(client: WorkbooksClient, engine: Engine, s: WorkbooksSettings) -> int:
    """Queue again the parked people a Workbooks person now has the address of; how many.
    Costs one lookup per 40 parked addresses and per search (main email, Contact Details)."""
    waiting = await in_writer(_parked, engine)
    if not waiting:
        return 0
    found = await match_by_email(client, set(waiting.values()), ["id"], sales_lead_field="")
    ready = [key for key, email in waiting.items() if email in found]
    if ready:
        await in_writer(_unpark, engine, ready)
    return len(ready)
