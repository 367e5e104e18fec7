"""Write each person's sequence state back to Workbooks, as the real integration does.

The pull (and a Salesmate import) leaves the people whose state changed in an outbox (same
transaction as the change). This job takes them in batches: finds each person in Workbooks by the
Outreach id kept on the person, or else by email (a Salesmate person: by email); derives the fields
with `domain.person_state` from the person's states in every provider (linked by email, latest
change wins); and writes only what differs, in PUT batches of at most 100. A stale
`lock_version` is re-read and retried once; after that the person stays in the outbox with the
reason, and the next run tries again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, and_, bindparam, case, delete, select, tuple_, update

from syncmonitor.app.config import WorkbooksSettings
from syncmonitor.connectors.workbooks.client import RecordUpdate, UpdateResult, WorkbooksClient
from syncmonitor.connectors.workbooks.format import format_datetime, parse_optional_datetime
from syncmonitor.domain.person_state import (
    CurrentSequenceState,
    PersonSequenceFields,
    person_fields,
)
from syncmonitor.domain.states import Provider
from syncmonitor.domain.timestamps import format_iso, parse_iso, utc_now
from syncmonitor.engine.issues import (
    WORKBOOKS_PUSH,
    person_issue,
    record_key,
    report_record_outcomes,
)
from syncmonitor.engine.matching import PERSON, Match, describe, match_by_email
from syncmonitor.engine.runs.events import (
    CancelToken,
    ProgressCallback,
    SyncCancelled,
    SyncProgress,
)
from syncmonitor.engine.runs.workers import in_writer
from syncmonitor.engine.sequence_states.parked import PARKED, revisit_parked
from syncmonitor.store import bulk
from syncmonitor.store.linked_people import opted_out_emails, states_by_email
from syncmonitor.store.matching import note_matches
from syncmonitor.store.people import resolved_from_row
from syncmonitor.store.schema import prospects, push_outbox, sequence_states, workbooks_people

PEOPLE_ENDPOINT = "crm/people.api"
BATCH = 100
# A person no Workbooks record matches is parked (attempts = PARKED, see `parked`) until a
# person with the address exists or a new transition queues them again. A failed write is never
# parked: it is retried on every run.
PROVIDER = Provider.OUTREACH.value
UNMATCHED = (
    "No Workbooks person or sales lead has this Outreach id or email address (main email or "
    "Contact Details). Kept: it is written once a record with the address exists."
)


def lead_only(match: Match) -> str:
    """Why a prospect that matched only a Sales Lead is kept waiting."""
    return (
        f"Matched {describe(match)}. The sequence state fields are a Workbooks person's, so "
        "they are written once a person has this address (when the lead is converted, say)."
    )


Key = tuple[str, int]  # (provider, prospect id): an outbox entry


@dataclass
class PushCounts:
    """What one push looked at and wrote."""

    queued: int = 0
    people_updated: int = 0
    already_current: int = 0
    unmatched: int = 0
    conflicts: int = 0
    failed: int = 0
    unparked: int = 0  # people parked earlier whose address now has a Workbooks person
    issue_ids: set[str] = field(default_factory=set)  # people now on the Issues list (record keys)


@dataclass(frozen=True)
class _Pending:
    provider: str
    prospect_id: int
    email: str
    fields: PersonSequenceFields
    name: str = ""

    @property
    def key(self) -> Key:
        return (self.provider, self.prospect_id)


def _columns(settings: WorkbooksSettings) -> list[str]:
    return [
        "id",
        "lock_version",
        "name",
        "main_location[email]",
        "updated_at",
        "is_deleted",
        settings.outreach_id_field,
        settings.sequence_state_field,
        settings.state_updated_at_field,
        settings.no_email_field,
    ]


def _load_batch(
    engine: Engine, limit: int, after: Key, only: Sequence[int] | None = None
) -> list[_Pending]:
    """The next outbox batch with each person's derived Workbooks fields (`only`: these Outreach
    prospects, a forced sync of one person)."""
    with engine.connect() as conn:
        query = (
            select(
                push_outbox.c.provider,
                push_outbox.c.prospect_id,
                prospects.c.email,
                prospects.c.opted_out,
                prospects.c.name,
            )
            .select_from(
                push_outbox.outerjoin(
                    prospects,
                    (prospects.c.provider == push_outbox.c.provider)
                    & (prospects.c.id == push_outbox.c.prospect_id),
                )
            )
            .where(
                push_outbox.c.attempts < PARKED,
                tuple_(push_outbox.c.provider, push_outbox.c.prospect_id) > tuple_(*after),
            )
            .order_by(push_outbox.c.provider, push_outbox.c.prospect_id)
            .limit(limit)
        )
        if only is not None:
            query = query.where(
                push_outbox.c.provider == PROVIDER, push_outbox.c.prospect_id.in_(list(only))
            )
        rows = conn.execute(query).all()
        emails = [r[2] for r in rows if r[2]]
        linked = states_by_email(conn, emails)
        opted_anywhere = opted_out_emails(conn, emails)
        # A person without an email address links to nobody: only their own states count.
        own: dict[Key, list[CurrentSequenceState]] = {(r[0], r[1]): [] for r in rows if not r[2]}
        for provider, ids in _by_provider(list(own)).items():
            for pid, sid, raw, state, reason, changed in conn.execute(
                select(
                    sequence_states.c.prospect_id,
                    sequence_states.c.id,
                    sequence_states.c.raw_state,
                    sequence_states.c.state,
                    sequence_states.c.reason,
                    sequence_states.c.state_changed_at,
                ).where(
                    sequence_states.c.provider == provider,
                    sequence_states.c.prospect_id.in_(bindparam("ids", expanding=True)),
                ),
                {"ids": ids},
            ):
                own[(provider, pid)].append(
                    CurrentSequenceState(
                        sid, "", resolved_from_row(raw, state, reason), parse_iso(changed)
                    )
                )
    result = []
    for provider, pid, email, opted, name in rows:
        if email:
            states = [
                CurrentSequenceState(
                    s.sequence_state_id,
                    "",
                    resolved_from_row(s.raw_state, s.state, s.reason),
                    parse_iso(s.state_changed_at),
                )
                for s in linked.get(email, [])
            ]
        else:
            states = own[(provider, pid)]
        opted_out = bool(opted) or (email or "") in opted_anywhere
        result.append(
            _Pending(
                provider,
                pid,
                email or "",
                person_fields(states, prospect_opted_out=opted_out),
                name or "",
            )
        )
    return result


def _by_provider(keys: list[Key]) -> dict[str, list[int]]:
    grouped: dict[str, list[int]] = {}
    for provider, pid in keys:
        grouped.setdefault(provider, []).append(pid)
    return grouped


def _wants(
    fields: PersonSequenceFields, person: dict[str, Any], s: WorkbooksSettings
) -> dict[str, Any]:
    """The field values to write so the person matches `fields` (empty: already current)."""
    changes: dict[str, Any] = {}
    if (person.get(s.sequence_state_field) or "") != fields.sequence_state:
        changes[s.sequence_state_field] = fields.sequence_state
    if fields.state_updated_at is not None:
        current = _when(person.get(s.state_updated_at_field))
        if current is None or _seconds(current) != _seconds(fields.state_updated_at):
            changes[s.state_updated_at_field] = format_datetime(fields.state_updated_at)
    # No Email is only ever set, never cleared: opting back in is a person's decision.
    if fields.no_email and not _truthy(person.get(s.no_email_field)):
        changes[s.no_email_field] = True
    return changes


def _when(value: Any) -> datetime | None:
    """A Workbooks datetime field; an unreadable value counts as blank (it gets overwritten)."""
    try:
        return parse_optional_datetime(value)
    except ValueError:
        return None


def _seconds(value: datetime) -> int:
    return int(value.timestamp())


def _truthy(value: Any) -> bool:
    return value in (True, 1, "1", "true", "True")


def _to_int(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


async def _find_people(
    client: WorkbooksClient,
    batch: list[_Pending],
    s: WorkbooksSettings,
    matches: dict[Key, Match] | None = None,
) -> dict[Key, dict[str, Any]]:
    """Outbox key -> Workbooks person, matched by Outreach id first (Outreach prospects), then
    by email (everyone else too) as seed 001 matches: main email, Contact Details, and a Sales
    Lead (noted in `matches`, not returned: the sequence fields are a person's)."""
    cols = _columns(s)
    found: dict[Key, dict[str, Any]] = {}
    outreach = [p for p in batch if p.provider == PROVIDER]
    by_id = (
        await client.people_by_field(
            s.outreach_id_field, [str(p.prospect_id) for p in outreach], cols
        )
        if outreach
        else []
    )
    for person in by_id:
        oid = _to_int(person.get(s.outreach_id_field))
        if oid is not None and not _truthy(person.get("is_deleted")):
            found.setdefault((PROVIDER, oid), person)
    for p in outreach:
        if p.key in found and matches is not None:
            matches[p.key] = Match(PERSON, int(found[p.key]["id"]), "Outreach id", found[p.key])
    rest = [p for p in batch if p.key not in found and p.email]
    if rest:
        # Seed 001: the main email, any valid address on the Contact Details, a Sales Lead.
        by_email = await match_by_email(
            client,
            [p.email for p in rest],
            cols,
            sales_lead_field=s.sales_lead_email_field,
        )
        for p in rest:
            match = by_email.get(p.email)
            if match is None:
                continue
            if matches is not None:
                matches[p.key] = match
            if match.record_type == PERSON:
                found[p.key] = match.record
    return found


def _cache_rows(people: list[dict[str, Any]], s: WorkbooksSettings) -> list[tuple[Any, ...]]:
    return [
        (
            int(p["id"]),
            int(p.get("lock_version") or 0),
            str(p.get("name") or ""),
            str(p.get("main_location[email]") or "").strip().lower(),
            _to_int(p.get(s.outreach_id_field)),
            _truthy(p.get(s.no_email_field)),
            p.get(s.sequence_state_field),
            p.get(s.state_updated_at_field),
            p.get("updated_at"),
            _truthy(p.get("is_deleted")),
        )
        for p in people
    ]


_PEOPLE_COLS = (
    "id",
    "lock_version",
    "name",
    "email",
    "outreach_id",
    "no_email",
    "sequence_state",
    "state_updated_at",
    "updated_at",
    "is_deleted",
)
_PEOPLE_SQL = bulk.upsert_sql(workbooks_people, _PEOPLE_COLS, ("id",))


def _record_outcome(
    engine: Engine,
    people: list[dict[str, Any]],
    done: list[Key],
    errors: dict[Key, str],
    s: WorkbooksSettings,
    *,
    park: dict[Key, str] | None = None,
    labels: dict[Key, str] | None = None,
    matches: dict[Key, Match] | None = None,
) -> None:
    """Cache what Workbooks now holds, clear done people, note errors (one transaction).

    The same transaction updates the Issues list: a person written is resolved, a refused write
    or a person no Workbooks record matches is an issue with the remote's answer.
    """
    names = labels or {}
    with engine.begin() as conn:
        bulk.executemany(conn, _PEOPLE_SQL, _cache_rows(people, s))
        note_matches(
            conn,
            [
                (k[0], k[1], m.record_type, m.record_id, m.matched_by)
                for k, m in (matches or {}).items()
            ],
            format_iso(utc_now()),
        )
        report_record_outcomes(
            conn,
            WORKBOOKS_PUSH,
            "person",
            synced=[record_key(*key) for key in done],
            issues=[
                person_issue(key, names.get(key, ""), message, unmatched=False)
                for key, message in errors.items()
            ]
            + [
                person_issue(key, names.get(key, ""), message, unmatched=True)
                for key, message in (park or {}).items()
            ],
        )
        for provider, ids in _by_provider(done).items():
            conn.execute(
                delete(push_outbox).where(
                    push_outbox.c.provider == provider,
                    push_outbox.c.prospect_id.in_(bindparam("ids", expanding=True)),
                ),
                {"ids": ids},
            )
        for (provider, pid), message in errors.items():
            conn.execute(
                update(push_outbox)
                .where(push_outbox.c.provider == provider, push_outbox.c.prospect_id == pid)
                .values(
                    # min(attempts + 1, PARKED - 1), in words both engines know (SQLite's
                    # two-argument min() is LEAST on PostgreSQL)
                    attempts=case(
                        (push_outbox.c.attempts + 1 < PARKED - 1, push_outbox.c.attempts + 1),
                        else_=PARKED - 1,
                    ),
                    last_error=message,
                )
            )
        for (provider, pid), message in (park or {}).items():
            conn.execute(
                update(push_outbox)
                .where(and_(push_outbox.c.provider == provider, push_outbox.c.prospect_id == pid))
                .values(attempts=PARKED, last_error=message)
            )


async def push_people(
    client: WorkbooksClient,
    engine: Engine,
    settings: WorkbooksSettings,
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    counts: PushCounts | None = None,
    only: Sequence[int] | None = None,
) -> PushCounts:
    """Bring every queued person's Workbooks record up to date (`counts` as in the pull).

    `only`: just these Outreach prospect ids (a forced sync of one person)."""
    counts = PushCounts() if counts is None else counts
    if only is None:
        counts.unparked += await revisit_parked(client, engine, settings)
    after: Key = ("", -1)
    while True:
        if cancel is not None and cancel.cancelled:
            raise SyncCancelled()
        batch = await in_writer(_load_batch, engine, BATCH, after, only)
        if not batch:
            return counts
        after = batch[-1].key
        counts.queued += len(batch)
        await _push_batch(client, engine, settings, batch, counts)
        if progress is not None:
            progress(
                SyncProgress(
                    "workbooks-push",
                    f"Updating Workbooks people: {counts.people_updated:,} updated",
                    counts.queued,
                    None,
                )
            )


async def _push_batch(
    client: WorkbooksClient,
    engine: Engine,
    s: WorkbooksSettings,
    batch: list[_Pending],
    counts: PushCounts,
) -> None:
    matches: dict[Key, Match] = {}
    found = await _find_people(client, batch, s, matches)
    unmatched = {
        p.key: (lead_only(matches[p.key]) if p.key in matches else UNMATCHED)
        for p in batch
        if p.key not in found
    }
    counts.unmatched += len(unmatched)
    done: list[Key] = []
    errors: dict[Key, str] = {}
    # What Workbooks holds once this batch is through, to keep the cache's copy true.
    holds: dict[int, dict[str, Any]] = {int(p["id"]): dict(p) for p in found.values()}
    todo: dict[Key, tuple[_Pending, dict[str, Any]]] = {}
    for p in batch:
        if p.key in found:
            changes = _wants(p.fields, found[p.key], s)
            if changes:
                todo[p.key] = (p, changes)
            else:
                counts.already_current += 1
                done.append(p.key)

    retry = await _write_and_note(client, found, todo, holds, done, errors, counts)
    if retry:
        # Someone saved the person since we read them, or our own write went through and only
        # its answer was lost: read them again and decide again.
        fresh = await _find_people(client, [p for p, _ in retry.values()], s)
        holds.update({int(p["id"]): dict(p) for p in fresh.values()})
        again: dict[Key, tuple[_Pending, dict[str, Any]]] = {}
        for pid, (p, _old) in retry.items():
            if pid not in fresh:
                unmatched[pid] = UNMATCHED
                counts.unmatched += 1
                continue
            changes = _wants(p.fields, fresh[pid], s)
            if changes:
                again[pid] = (p, changes)
            else:  # already what we wanted: our conflicting write is what saved it
                counts.people_updated += 1
                done.append(pid)
        for pid in await _write_and_note(client, fresh, again, holds, done, errors, counts):
            counts.failed += 1
            errors[pid] = (
                "Workbooks kept answering that the person was updated elsewhere "
                "(lock_version conflict). It will be tried again on the next sync."
            )
    labels = {p.key: _label(p) for p in batch}
    counts.issue_ids.update(record_key(*key) for key in errors)
    counts.issue_ids.update(record_key(*key) for key in unmatched)
    await in_writer(
        _record_outcome,
        engine,
        list(holds.values()),
        done,
        errors,
        s,
        park=unmatched,
        labels=labels,
        matches=matches,
    )


def _label(p: _Pending) -> str:
    if p.name and p.email and p.name != p.email:
        return f"{p.name} <{p.email}>"
    provider = "Outreach prospect" if p.provider == PROVIDER else f"{p.provider.title()} contact"
    return p.name or p.email or f"{provider} {p.prospect_id}"


async def _write_and_note(
    client: WorkbooksClient,
    people: dict[Key, dict[str, Any]],
    todo: dict[Key, tuple[_Pending, dict[str, Any]]],
    holds: dict[int, dict[str, Any]],
    done: list[Key],
    errors: dict[Key, str],
    counts: PushCounts,
) -> dict[Key, tuple[_Pending, dict[str, Any]]]:
    """Write `todo`; note successes and refusals; return the lock_version conflicts."""
    if not todo:
        return {}
    conflicts: dict[Key, tuple[_Pending, dict[str, Any]]] = {}
    for pid, result in (await _write(client, people, todo)).items():
        if result.ok:
            done.append(pid)
            counts.people_updated += 1
            saved = holds.setdefault(result.id, dict(people[pid]))
            saved.update(todo[pid][1])
            if result.lock_version is not None:
                saved["lock_version"] = result.lock_version
        elif result.conflict:
            counts.conflicts += 1
            conflicts[pid] = todo[pid]
        else:
            counts.failed += 1
            errors[pid] = "; ".join(result.errors) or "Workbooks refused the update."
    return conflicts


async def _write(
    client: WorkbooksClient,
    people: dict[Key, dict[str, Any]],
    updates: dict[Key, tuple[_Pending, dict[str, Any]]],
) -> dict[Key, UpdateResult]:
    order = list(updates)
    requests = [
        RecordUpdate(
            id=int(people[pid]["id"]),
            lock_version=int(people[pid].get("lock_version") or 0),
            fields=updates[pid][1],
        )
        for pid in order
    ]
    results = await client.update_records(PEOPLE_ENDPOINT, requests)
    by_person = {r.id: r for r in results}
    return {
        pid: by_person[int(people[pid]["id"])]
        for pid in order
        if int(people[pid]["id"]) in by_person
    }
