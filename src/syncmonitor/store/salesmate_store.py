"""Salesmate enrolments in the cache, beside Outreach's, in the same tables (provider "salesmate").

Salesmate's exports carry no enrolment ids, so the cache gives them stable local ones: a
Salesmate person is found by email, a sequence by its name, an enrolment by (person, sequence).
Re-importing a file therefore finds the same ids, and the history's uniqueness (enrolment, when
it changed, raw state, reason) turns every row it already has into a no-op: the same or an
overlapping file never adds a transition twice.

Everything one import writes goes in the caller's transaction, as Core bulk statements.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, bindparam, func, select, update

from syncmonitor.domain.salesmate_export import EnrolmentRow
from syncmonitor.domain.states import Provider
from syncmonitor.domain.timestamps import format_iso
from syncmonitor.store import bulk
from syncmonitor.store import sequence_columns as cols
from syncmonitor.store.schema import (
    prospects,
    push_outbox,
    sequence_states,
    sequences,
    state_history,
    workbooks_people,
)

PROVIDER = Provider.SALESMATE.value
_CHUNK = 500

_SQL = {
    "prospects": bulk.upsert_sql(prospects, cols.PERSON_COLUMNS, cols.KEY),
    "sequences": bulk.insert_ignore_sql(sequences, ("provider", "id", "name")),
    "states": bulk.upsert_sql(
        sequence_states, cols.STATE_COLUMNS, cols.KEY, newer_column="updated_at"
    ),
    "history": bulk.insert_ignore_sql(state_history, cols.HISTORY_COLUMNS),
    "outbox": bulk.upsert_sql(push_outbox, cols.OUTBOX_COLUMNS, cols.OUTBOX_KEY),
}


@dataclass(frozen=True, slots=True)
class ContactInfo:
    """What Salesmate's API (or the file) says about a contact."""

    contact_id: str = ""
    name: str = ""


@dataclass
class WriteCounts:
    """What one import wrote."""

    transitions: int = 0  # new history rows
    already_known: int = 0  # rows the cache had from an earlier import
    people_added: int = 0
    sequences_added: int = 0
    enrolments_added: int = 0
    people_queued: set[int] = field(default_factory=set)


def _chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]


def known_emails(conn: Connection, emails: set[str]) -> set[str]:
    """Those of `emails` (lower case) that belong to an Outreach prospect, an earlier Salesmate
    import or a Workbooks person in the cache."""
    found: set[str] = set()
    wanted = sorted(emails)
    for table in (prospects, workbooks_people):
        query = select(table.c.email).where(table.c.email.in_(bindparam("e", expanding=True)))
        for chunk in _chunks(wanted):
            found.update(conn.execute(query, {"e": list(chunk)}).scalars())
    return found


def _next_id(conn: Connection, table: Any) -> int:
    current = conn.execute(
        select(func.max(table.c.id)).where(table.c.provider == PROVIDER)
    ).scalar_one()
    return int(current or 0) + 1


def _names_by_email(conn: Connection, emails: list[str]) -> dict[str, str]:
    """Names other sources already have for these emails (an Outreach prospect, Workbooks)."""
    names: dict[str, str] = {}
    for table in (workbooks_people, prospects):
        query = select(table.c.email, table.c.name).where(
            table.c.email.in_(bindparam("e", expanding=True)), table.c.name != ""
        )
        for chunk in _chunks(emails):
            for email, name in conn.execute(query, {"e": list(chunk)}):
                names[email] = name
    return names


def write_enrolments(
    conn: Connection,
    rows: Sequence[EnrolmentRow],
    contacts: dict[str, ContactInfo],
    observed_at: str,
) -> WriteCounts:
    """Write checked rows (in the caller's transaction) and queue the people whose Workbooks
    record may need a new Sequence State."""
    counts = WriteCounts()
    emails = sorted({r.email for r in rows})
    people = _salesmate_people(conn, emails)
    names = _names_by_email(conn, [e for e in emails if e not in people])
    next_person = _next_id(conn, prospects)
    in_file: dict[str, ContactInfo] = {}
    for r in rows:
        if r.name or r.contact_id:
            in_file.setdefault(r.email, ContactInfo(r.contact_id, r.name))
    # Opting out is sticky: an Unsubscribed or Finished (Opt-out) row marks the person for good.
    opted = {r.email for r in rows if r.state.opted_out}
    new_people: list[tuple[Any, ...]] = []
    renamed: list[dict[str, Any]] = []
    for email in emails:
        info = contacts.get(email, ContactInfo())
        from_file = in_file.get(email, ContactInfo())
        name = info.name or from_file.name or names.get(email) or email
        contact_id = info.contact_id or from_file.contact_id
        if email not in people:
            people[email] = next_person
            next_person += 1
            new_people.append(
                (
                    PROVIDER,
                    people[email],
                    email,
                    name,
                    email in opted,
                    contact_id or None,
                    observed_at,
                    f"{name} {email}".lower(),
                )
            )
        elif info.name or info.contact_id:  # the API knows better than an earlier import
            renamed.append(
                {
                    "pid": people[email],
                    "name": name,
                    "external_id": contact_id or None,
                    "search_text": f"{name} {email}".lower(),
                }
            )
    counts.people_added = len(new_people)
    bulk.executemany(conn, _SQL["prospects"], new_people)
    if renamed:
        conn.execute(
            update(prospects)
            .where(prospects.c.provider == PROVIDER, prospects.c.id == bindparam("pid"))
            .values(
                name=bindparam("name"),
                external_id=bindparam("external_id"),
                search_text=bindparam("search_text"),
            ),
            renamed,
        )
    opted_ids = sorted(people[e] for e in opted)
    for chunk in _chunks(opted_ids):
        conn.execute(
            update(prospects)
            .where(prospects.c.provider == PROVIDER, prospects.c.id.in_(list(chunk)))
            .values(opted_out=True)
        )

    sequence_ids = _sequence_ids(conn)
    next_sequence = _next_id(conn, sequences)
    new_sequences = []
    for name in sorted({r.sequence for r in rows}):
        if name not in sequence_ids:
            sequence_ids[name] = next_sequence
            new_sequences.append((PROVIDER, next_sequence, name))
            next_sequence += 1
    bulk.executemany(conn, _SQL["sequences"], new_sequences)
    counts.sequences_added = len(new_sequences)

    enrolments = _enrolment_ids(conn, sorted(set(people.values())))
    current = _current_changed_at(conn, list(enrolments.values()))
    next_enrolment = _next_id(conn, sequence_states)
    history_rows = []
    latest: dict[int, tuple[EnrolmentRow, tuple[int, int]]] = {}
    for r in rows:
        person, sequence = people[r.email], sequence_ids[r.sequence]
        enrolment = enrolments.get((person, sequence))
        if enrolment is None:
            enrolment = enrolments[(person, sequence)] = next_enrolment
            next_enrolment += 1
            counts.enrolments_added += 1
        when = format_iso(r.changed_at)
        history_rows.append(
            (
                PROVIDER,
                enrolment,
                person,
                sequence,
                0,
                r.state.raw,
                r.state.state.value,
                r.state.reason.value if r.state.reason else "",
                when,
                observed_at,
            )
        )
        # The enrolment's current state is its latest row; an Already/Other Enrolled row only
        # when the enrolment has nothing else (it did not change the real enrolment).
        rank = (0 if r.state.never_started else 1, 0)
        best = latest.get(enrolment)
        if best is None or (rank[0], r.changed_at) > (best[1][0], best[0].changed_at):
            latest[enrolment] = (r, rank)
    counts.transitions = bulk.executemany(conn, _SQL["history"], history_rows)
    counts.already_known = len(history_rows) - counts.transitions

    state_rows = []
    for enrolment, (r, rank) in latest.items():
        when = format_iso(r.changed_at)
        had = current.get(enrolment)
        if rank[0] == 0 and had is not None:
            continue  # never replaces a real enrolment state
        state_rows.append(
            (
                PROVIDER,
                enrolment,
                people[r.email],
                sequence_ids[r.sequence],
                None,
                r.state.raw,
                r.state.state.value,
                r.state.reason.value if r.state.reason else "",
                when,
                when,
            )
        )
        if had is None or when > had:
            counts.people_queued.add(people[r.email])
    bulk.executemany(conn, _SQL["states"], state_rows)
    bulk.executemany(
        conn,
        _SQL["outbox"],
        [(PROVIDER, pid, observed_at, 0, None) for pid in sorted(counts.people_queued)],
    )
    return counts


def _salesmate_people(conn: Connection, emails: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    # By email alone, the provider checked here: with `provider = ?` in the query SQLite picks
    # the primary key and reads every Salesmate person for each chunk, which made an import
    # written in batches slower with every batch (the email index finds the few rows at once).
    query = select(prospects.c.email, prospects.c.id, prospects.c.provider).where(
        prospects.c.email.in_(bindparam("e", expanding=True))
    )
    for chunk in _chunks(emails):
        for email, pid, provider in conn.execute(query, {"e": list(chunk)}):
            if provider == PROVIDER:
                found.setdefault(email, pid)
    return found


def _sequence_ids(conn: Connection) -> dict[str, int]:
    query = select(sequences.c.name, sequences.c.id).where(sequences.c.provider == PROVIDER)
    return {name: sid for name, sid in conn.execute(query)}


def _enrolment_ids(conn: Connection, people: list[int]) -> dict[tuple[int, int], int]:
    found: dict[tuple[int, int], int] = {}
    query = select(
        sequence_states.c.prospect_id, sequence_states.c.sequence_id, sequence_states.c.id
    ).where(
        sequence_states.c.provider == PROVIDER,
        sequence_states.c.prospect_id.in_(bindparam("p", expanding=True)),
    )
    for chunk in _chunks(people):
        for pid, sid, eid in conn.execute(query, {"p": list(chunk)}):
            found[(pid, sid)] = eid
    return found


def _current_changed_at(conn: Connection, enrolments: list[int]) -> dict[int, str]:
    found: dict[int, str] = {}
    query = select(sequence_states.c.id, sequence_states.c.state_changed_at).where(
        sequence_states.c.provider == PROVIDER,
        sequence_states.c.id.in_(bindparam("i", expanding=True)),
    )
    for chunk in _chunks(enrolments):
        for eid, changed in conn.execute(query, {"i": list(chunk)}):
            found[eid] = changed or ""
    return found
