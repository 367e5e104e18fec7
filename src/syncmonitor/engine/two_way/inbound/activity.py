"""Inbound additions of the two-way sync: sequence step numbers onto the person, skipped
sequence tasks as Cancelled Workbooks tasks, completed calls and meetings as Workbooks activities.

(Opt-outs set No Email through the sequence-state push, `workbooks_push`.)

Each is idempotent: what the sync created is kept in `activity_links` (Outreach type and id ->
Workbooks record), and every created record carries `created_through_reference`
"outreach:<type>:<id>", so a record whose link was lost (a crash between the write and the
cache) is found in Workbooks instead of being created twice. Step numbers are compared with what
the person holds before writing. Tasks and calls are read from Outreach changed since the last
run (`filter[updatedAt]`), so a run with nothing new costs one request per resource.

A *skipped* task is a sequence task closed without being done: `state` "complete" with
`completed` false (or a `state` of "skipped", should Outreach ever send one). A *meeting* is a
completed `in_person` task. A call counts once it has `completedAt`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from syncmonitor.app.config import Config
from syncmonitor.connectors.errors import NotFoundError, PermissionDeniedError
from syncmonitor.connectors.outreach.sync import OutreachSyncClient, Remote
from syncmonitor.connectors.workbooks.client import FieldValue
from syncmonitor.connectors.workbooks.format import format_datetime
from syncmonitor.connectors.workbooks.sync import WorkbooksSyncClient
from syncmonitor.domain.timestamps import format_iso, parse_iso, utc_now
from syncmonitor.engine.issues import note_permission
from syncmonitor.engine.matching import match_by_email
from syncmonitor.engine.runs.events import CancelToken, SyncCancelled
from syncmonitor.engine.runs.workers import in_writer
from syncmonitor.engine.two_way.inbound.steps import people_of, write_steps
from syncmonitor.store import matching as matching_store
from syncmonitor.store import two_way as store
from syncmonitor.store.matching import ParkedActivity
from syncmonitor.store.runs import get_cursor, set_cursor

STEP_FIELD = "cf_person_sequence_step"
TASKS, ACTIVITIES = "activity/tasks", "activity/activities"
PERSON_TYPE = "Private::Crm::Person"
CURSORS = {
    "tasks": "two_way.outreach.tasks.updatedAt",
    "calls": "two_way.outreach.calls.updatedAt",
    "steps": "two_way.sequenceStates.updatedAt",
}
CHUNK = 40


@dataclass
class ActivityCounts:
    """What one inbound-additions run read and created."""

    tasks_read: int = 0
    calls_read: int = 0
    cancelled_tasks: int = 0
    calls: int = 0
    meetings: int = 0
    steps_written: int = 0
    unmatched: int = 0  # parked: no Workbooks person for the prospect yet
    unparked: int = 0  # parked earlier, created now that a person has the address
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def describe(self, read: dict[str, int], written: dict[str, int]) -> None:
        if self.tasks_read:
            read["outreach_tasks"] = self.tasks_read
        if self.calls_read:
            read["outreach_calls"] = self.calls_read
        for key, value in (
            ("workbooks_cancelled_tasks", self.cancelled_tasks),
            ("workbooks_call_activities", self.calls),
            ("workbooks_meeting_activities", self.meetings),
            ("workbooks_step_numbers", self.steps_written),
            ("activity_failures", self.failed),
            ("activities_parked", self.unmatched),
            ("parked_activities_created", self.unparked),
        ):
            if value:
                written[key] = value


def is_skipped(task: Remote) -> bool:
    a = task.attributes
    return a.get("state") == "skipped" or (
        a.get("state") == "complete" and a.get("completed") is False
    )


def is_meeting(task: Remote) -> bool:
    a = task.attributes
    return (
        a.get("action") == "in_person"
        and a.get("state") == "complete"
        and a.get("completed") is True
    )


async def pull_activities(
    workbooks: WorkbooksSyncClient,
    outreach: OutreachSyncClient,
    engine: Engine,
    config: Config,
    *,
    counts: ActivityCounts,
    cancel: CancelToken | None = None,
    parts: tuple[str, ...] = ("steps", "tasks", "calls"),
) -> ActivityCounts:
    """The `parts` asked for, in this order; each moves only its own cursor."""
    id_field = config.workbooks.outreach_id_field
    if "steps" in parts:
        await write_steps(workbooks, engine, id_field, counts)
        # Activities kept for want of a Workbooks person, created now that one has the address.
        counts.unparked += await resume_parked(workbooks, engine, id_field, counts)
    for path in ("tasks", "calls"):
        if path not in parts:
            continue
        if cancel is not None and cancel.cancelled:
            raise SyncCancelled()
        since = await in_writer(_cursor, engine, CURSORS[path])
        try:
            found, prospects = await outreach.changed_with_prospects(path, since)
        except (PermissionDeniedError, NotFoundError) as exc:
            # A missing scope (calls.read, say) costs this resource only: its part of the run
            # fails (the run ends Partly failed, its cursor stays), the other parts go on, and
            # the Issues list says which scope to add.
            counts.errors.append(str(exc))
            await in_writer(_note_permission, engine, path, exc)
            raise
        await in_writer(_note_permission, engine, path, None)
        if path == "tasks":
            counts.tasks_read += len(found)
            wanted = [(r, "task") for r in found if is_skipped(r)]
            wanted += [(r, "meeting") for r in found if is_meeting(r)]
        else:
            counts.calls_read += len(found)
            wanted = [(r, "call") for r in found if r.attributes.get("completedAt")]
        before = counts.failed
        for start in range(0, len(wanted), 100):
            await _create(
                workbooks, engine, id_field, wanted[start : start + 100], prospects, counts
            )
        latest = max((str(r.attributes.get("updatedAt") or "") for r in found), default="")
        if latest and counts.failed == before:
            await in_writer(_set_cursor, engine, CURSORS[path], latest)
    return counts


def _note_permission(
    engine: Engine, path: str, exc: PermissionDeniedError | NotFoundError | None
) -> None:
    with engine.begin() as conn:
        note_permission(conn, f"outreach.{path}", f"Outreach {path}", exc)


def _cursor(engine: Engine, name: str) -> str | None:
    with engine.connect() as conn:
        return get_cursor(conn, name)


def _set_cursor(engine: Engine, name: str, value: str) -> None:
    with engine.begin() as conn:
        set_cursor(conn, name, value)


def _reference(kind: str, outreach_id: int) -> str:
    return f"outreach:{'task' if kind == 'meeting' else kind}:{outreach_id}"


async def _create(
    workbooks: WorkbooksSyncClient,
    engine: Engine,
    id_field: str,
    wanted: list[tuple[Remote, str]],
    prospects: dict[int, Remote],
    counts: ActivityCounts,
) -> None:
    done: set[tuple[str, int]] = set()
    for kind in ("task", "meeting", "call"):
        ids = [r.id for r, k in wanted if k == kind]
        if ids:
            already = await in_writer(_created, engine, kind, ids)
            done.update((kind, i) for i in already)
    todo = [(r, k) for r, k in wanted if (k, r.id) not in done]
    if not todo:
        return
    # A record created by a run whose link never reached the cache: find it, do not repeat it.
    existing: dict[str, tuple[str, int]] = {}
    for endpoint, kinds in ((TASKS, ("task",)), (ACTIVITIES, ("meeting", "call"))):
        refs = [_reference(k, r.id) for r, k in todo if k in kinds]
        for start in range(0, len(refs), CHUNK):
            filters = [
                ("created_through_reference", "eq", ref) for ref in refs[start : start + CHUNK]
            ]
            async for page in workbooks.iter_records(
                endpoint,
                filters=filters,
                filter_mode="or",
                columns=["id", "created_through_reference"],
            ):
                for record in page:
                    existing[str(record.get("created_through_reference"))] = (
                        endpoint,
                        int(record["id"]),
                    )
    wanted_ids = sorted({r.related.get("prospect") or 0 for r, _k in todo} - {0})
    externals = _externals(todo, prospects)
    people = await people_of(workbooks, id_field, wanted_ids, externals, ["id", "is_deleted"])
    # Seed 001: else the person with the prospect's address (main email or Contact Details).
    addresses = {
        pid: prospects[pid].emails
        for pid in wanted_ids
        if pid not in people and pid in prospects and prospects[pid].emails
    }
    if addresses:
        by_email = await match_by_email(
            workbooks, [e for es in addresses.values() for e in es], ["id", "is_deleted"]
        )
        for pid, emails in addresses.items():
            match = next((by_email[e] for e in emails if e in by_email), None)
            if match is not None:
                people[pid] = match.record
    at = format_iso(utc_now())
    parked: list[tuple[str, int, int, list[str], dict[str, Any], str]] = []
    links: list[tuple[str, int, str, int]] = []
    creates: dict[str, list[tuple[Remote, str, dict[str, FieldValue]]]] = {
        TASKS: [],
        ACTIVITIES: [],
    }
    for remote, kind in todo:
        ref = _reference(kind, remote.id)
        if ref in existing:
            endpoint, wid = existing[ref]
            links.append((kind, remote.id, endpoint, wid))
            continue
        pid = remote.related.get("prospect") or 0
        person = people.get(pid)
        if person is None:
            # No Workbooks person has this prospect's id or address yet: parked, never lost.
            # Created at the first sync after such a person exists.
            counts.unmatched += 1
            parked.append(_parked_item(remote, kind, pid, prospects.get(pid)))
            continue
        endpoint, fields = _fields(remote, kind, int(person["id"]), ref)
        creates[endpoint].append((remote, kind, fields))
    for endpoint, items in creates.items():
        if not items:
            continue
        results = await workbooks.create_records(endpoint, [f for _r, _k, f in items])
        for (remote, kind, _f), result in zip(items, results, strict=True):
            if result.ok:
                links.append((kind, remote.id, endpoint, result.id))
                if kind == "task":
                    counts.cancelled_tasks += 1
                elif kind == "meeting":
                    counts.meetings += 1
                else:
                    counts.calls += 1
            else:
                counts.failed += 1
                counts.errors.append(f"Outreach {kind} {remote.id}: {'; '.join(result.errors)}")
    await in_writer(_note, engine, links, at, parked)


def _parked_item(
    remote: Remote, kind: str, pid: int, prospect: Remote | None
) -> tuple[str, int, int, list[str], dict[str, Any], str]:
    payload = {
        "attributes": remote.attributes,
        "related": remote.related,
        "prospect": None
        if prospect is None
        else {"id": prospect.id, "attributes": prospect.attributes},
    }
    why = "No Workbooks person has this prospect's Outreach id or email address yet."
    return (kind, remote.id, pid, prospect.emails if prospect else [], payload, why)


def _from_parked(item: ParkedActivity) -> tuple[Remote, str, Remote | None]:
    p = item.payload
    related = {k: v for k, v in (p.get("related") or {}).items() if v is None or type(v) is int}
    remote = Remote(item.outreach_id, item.outreach_type, dict(p.get("attributes") or {}), related)
    raw = p.get("prospect")
    prospect = (
        Remote(int(raw["id"]), "prospect", dict(raw.get("attributes") or {}), {})
        if isinstance(raw, dict) and type(raw.get("id")) is int
        else None
    )
    return remote, item.outreach_type, prospect


async def resume_parked(
    workbooks: WorkbooksSyncClient, engine: Engine, id_field: str, counts: ActivityCounts
) -> int:
    """Create the parked tasks, calls and meetings whose prospect has a Workbooks person now;
    the others stay parked. Returns how many left the parking."""
    items = await in_writer(_parked_list, engine)
    if not items:
        return 0
    todo: list[tuple[Remote, str]] = []
    prospects: dict[int, Remote] = {}
    for item in items:
        remote, kind, prospect = _from_parked(item)
        todo.append((remote, kind))
        if prospect is not None:
            prospects[prospect.id] = prospect
    before = counts.unmatched
    for start in range(0, len(todo), 100):
        await _create(workbooks, engine, id_field, todo[start : start + 100], prospects, counts)
    counts.unmatched = before  # the ones still parked were counted when first met
    return await in_writer(_settle_parked, engine, [(k, r.id) for r, k in todo])


def _parked_list(engine: Engine) -> list[ParkedActivity]:
    with engine.connect() as conn:
        return matching_store.parked(conn)


def _settle_parked(engine: Engine, keys: list[tuple[str, int]]) -> int:
    """Take out of the parking what is now linked to a Workbooks record."""
    with engine.begin() as conn:
        linked: list[tuple[str, int]] = []
        for kind in ("task", "meeting", "call"):
            ids = [i for k, i in keys if k == kind]
            linked += [(kind, i) for i in store.created_for(conn, kind, ids)]
        matching_store.unpark(conn, linked)
        return len(linked)


def _externals(todo: list[tuple[Remote, str]], prospects: dict[int, Remote]) -> dict[int, int]:
    """Prospect id -> the Workbooks person id in its externalId (how the sync links them)."""
    found: dict[int, int] = {}
    for remote, _kind in todo:
        pid = remote.related.get("prospect")
        related = prospects.get(pid) if pid else None
        external = str(related.attributes.get("externalId") or "") if related else ""
        if pid and external.strip().isdigit():
            found[pid] = int(external)
    return found


def _created(engine: Engine, kind: str, ids: list[int]) -> set[int]:
    with engine.connect() as conn:
        return store.created_for(conn, kind, ids)


def _note(
    engine: Engine,
    links: list[tuple[str, int, str, int]],
    at: str,
    parked: list[tuple[str, int, int, list[str], dict[str, Any], str]] = (),  # type: ignore[assignment]
) -> None:
    with engine.begin() as conn:
        store.note_created(conn, links, at)
        matching_store.park_activities(conn, parked, at)


def _when(value: Any) -> str | None:
    moment = parse_iso(value) if isinstance(value, str) else None
    return format_datetime(moment) if moment is not None else None


def _fields(
    remote: Remote, kind: str, person_id: int, ref: str
) -> tuple[str, dict[str, FieldValue]]:
    a = remote.attributes
    note = str(a.get("note") or "")
    common: dict[str, FieldValue] = {
        "primary_contact_id": person_id,
        "primary_contact_type": PERSON_TYPE,
        "created_through_reference": ref,
    }
    if kind == "task":
        return TASKS, {
            **common,
            "name": f"Outreach sequence task (skipped){': ' + note if note else ''}",
            "activity_type": "Outreach Task",
            "activity_status": "Cancelled",
            "due_date": _when(a.get("dueAt")),
        }
    if kind == "meeting":
        return ACTIVITIES, {
            **common,
            "name": f"Meeting (Outreach){': ' + note if note else ''}",
            "activity_type": "Meeting",
            "activity_status": "Completed",
            "due_date": _when(a.get("completedAt")),
        }
    outcome = str(a.get("outcome") or "")
    return ACTIVITIES, {
        **common,
        "name": f"Call ({a.get('direction') or 'outbound'}, {outcome or 'no outcome'})",
        "activity_type": "Call",
        "activity_status": "Completed",
        "description": note or None,
        "due_date": _when(a.get("completedAt")),
    }
