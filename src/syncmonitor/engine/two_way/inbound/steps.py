"""Sequence step numbers onto the Workbooks person (an inbound addition of the two-way sync).

For the prospects whose sequence states changed since the last run (from the cache the pull
fills), the step number of each prospect's latest state is compared with what the person holds
(`cf_person_sequence_step`) and written only where it differs, in batches of 100 with one
lock_version retry. The person is the prospect's externalId, else the person whose Outreach id
field holds the prospect id.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, and_, bindparam, func, select

from syncmonitor.connectors.workbooks.client import RecordUpdate
from syncmonitor.connectors.workbooks.sync import WorkbooksSyncClient
from syncmonitor.engine.runs.workers import in_writer
from syncmonitor.store.runs import get_cursor, set_cursor
from syncmonitor.store.schema import prospects as prospect_table
from syncmonitor.store.schema import sequence_states, sequence_steps

STEP_FIELD = "cf_person_sequence_step"
CURSOR = "two_way.sequenceStates.updatedAt"
CHUNK = 40  # ids per OR-filter lookup


async def _people_by_prospect(
    workbooks: WorkbooksSyncClient, id_field: str, prospect_ids: list[int], columns: list[str]
) -> dict[int, dict[str, Any]]:
    found: dict[int, dict[str, Any]] = {}
    for person in await workbooks.people_by_field(
        id_field, [str(p) for p in prospect_ids], columns
    ):
        raw = str(person.get(id_field) or "").strip()
        if raw.isdigit() and person.get("is_deleted") not in (True, 1, "1"):
            found.setdefault(int(raw), person)
    return found


async def people_of(
    workbooks: WorkbooksSyncClient,
    id_field: str,
    wanted: list[int],
    externals: dict[int, int],
    columns: list[str],
) -> dict[int, dict[str, Any]]:
    """Prospect id -> its Workbooks person: by the prospect's externalId, else the person whose
    Outreach id field holds the prospect id. Deleted people are left out."""
    found: dict[int, dict[str, Any]] = {}
    by_external = {pid: externals[pid] for pid in wanted if pid in externals}
    if by_external:
        filters = [("id", "eq", str(i)) for i in sorted(set(by_external.values()))]
        people: dict[int, dict[str, Any]] = {}
        for start in range(0, len(filters), CHUNK):
            async for page in workbooks.iter_records(
                "crm/people",
                filters=filters[start : start + CHUNK],
                filter_mode="or",
                columns=columns,
            ):
                people.update({int(p["id"]): p for p in page})
        for pid, person_id in by_external.items():
            person = people.get(person_id)
            if person is not None and person.get("is_deleted") not in (True, 1, "1"):
                found[pid] = person
    rest = [pid for pid in wanted if pid not in found]
    if rest:
        found.update(await _people_by_prospect(workbooks, id_field, rest, [*columns, id_field]))
    return found


def _cursor(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return get_cursor(conn, CURSOR)


def _set_cursor(engine: Engine, value: str) -> None:
    with engine.begin() as conn:
        set_cursor(conn, CURSOR, value)


def _current_steps(
    engine: Engine, since: str | None
) -> tuple[dict[int, int | None], str | None, dict[int, int]]:
    """Prospect -> the step order of its latest sequence state, for prospects whose states
    changed since `since`; and the newest change seen."""
    with engine.connect() as conn:
        changed = select(sequence_states.c.prospect_id).where(
            sequence_states.c.provider == "outreach"
        )
        if since:
            changed = changed.where(sequence_states.c.updated_at >= since)
        prospect_ids = sorted({int(p) for p in conn.execute(changed).scalars() if p is not None})
        newest = conn.execute(
            select(func.max(sequence_states.c.updated_at)).where(
                sequence_states.c.provider == "outreach"
            )
        ).scalar()
        steps: dict[int, int | None] = {}
        query = (
            select(
                sequence_states.c.prospect_id,
                sequence_states.c.state_changed_at,
                sequence_states.c.id,
                sequence_steps.c.step_order,
            )
            .select_from(
                sequence_states.outerjoin(
                    sequence_steps,
                    and_(
                        sequence_steps.c.provider == sequence_states.c.provider,
                        sequence_steps.c.id == sequence_states.c.step_id,
                    ),
                )
            )
            .where(
                sequence_states.c.provider == "outreach",
                sequence_states.c.prospect_id.in_(bindparam("ids", expanding=True)),
            )
        )
        latest: dict[int, tuple[str, int]] = {}
        for start in range(0, len(prospect_ids), 500):
            for pid, changed_at, sid, order in conn.execute(
                query, {"ids": prospect_ids[start : start + 500]}
            ):
                key = (changed_at or "", sid)
                if pid not in latest or key > latest[pid]:
                    latest[pid] = key
                    steps[pid] = order
        externals: dict[int, int] = {}
        for start in range(0, len(prospect_ids), 500):
            for pid, external in conn.execute(
                select(prospect_table.c.id, prospect_table.c.external_id).where(
                    prospect_table.c.provider == "outreach",
                    prospect_table.c.id.in_(bindparam("ids", expanding=True)),
                ),
                {"ids": prospect_ids[start : start + 500]},
            ):
                if external and str(external).strip().isdigit():
                    externals[int(pid)] = int(str(external).strip())
    return steps, newest, externals


async def write_steps(
    workbooks: WorkbooksSyncClient, engine: Engine, id_field: str, counts: Any
) -> None:
    """Write changed step numbers (see the module docstring); `counts` is an ActivityCounts."""

    since = await in_writer(_cursor, engine)
    steps, newest, externals = await in_writer(_current_steps, engine, since)
    if not steps:
        return
    ids = sorted(steps)
    updates: list[RecordUpdate] = []
    for start in range(0, len(ids), 400):
        people = await people_of(
            workbooks,
            id_field,
            ids[start : start + 400],
            externals,
            ["id", "lock_version", STEP_FIELD, "is_deleted"],
        )
        for pid, person in people.items():
            step = steps.get(pid)
            held = person.get(STEP_FIELD)
            if step is not None and str(held or "") != str(step):
                updates.append(
                    RecordUpdate(
                        int(person["id"]), int(person.get("lock_version") or 0), {STEP_FIELD: step}
                    )
                )
    results = await workbooks.update_records("crm/people", updates) if updates else []
    stale = [u for u, r in zip(updates, results, strict=True) if r.conflict]
    counts.steps_written += sum(1 for r in results if r.ok)
    if stale:  # re-read the moved records and try once more
        fresh: dict[int, int] = {}
        async for page in workbooks.iter_records(
            "crm/people",
            filters=[("id", "eq", str(u.id)) for u in stale],
            filter_mode="or",
            columns=["id", "lock_version"],
        ):
            fresh.update({int(p["id"]): int(p.get("lock_version") or 0) for p in page})
        retry = [RecordUpdate(u.id, fresh[u.id], u.fields) for u in stale if u.id in fresh]
        again = await workbooks.update_records("crm/people", retry) if retry else []
        counts.steps_written += sum(1 for r in again if r.ok)
        counts.failed += sum(1 for r in again if not r.ok) + len(stale) - len(retry)
    failed_now = sum(1 for r in results if not r.ok and not r.conflict)
    counts.failed += failed_now
    if newest and not failed_now and not counts.failed:
        await in_writer(_set_cursor, engine, newest)
