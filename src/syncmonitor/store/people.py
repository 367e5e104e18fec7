"""Queries behind the People page and `syncmonitor people show`.

Every query reads a bounded window (keyset paging) so the page stays fast however large the history
grows: nothing here loads a whole table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    FromClause,
    Join,
    Select,
    Table,
    and_,
    bindparam,
    exists,
    func,
    or_,
    select,
    tuple_,
)

from syncmonitor.domain.people_filter import ChangeWindow, PeopleFilter
from syncmonitor.domain.states import CanonicalState, ResolvedState, StateReason
from syncmonitor.domain.timestamps import utc_now
from syncmonitor.store.people_filters import FilterCounts, filter_counts, person_condition
from syncmonitor.store.schema import (
    prospects,
    sequence_states,
    sequence_steps,
    sequences,
    state_history,
    workbooks_people,
)


@dataclass(frozen=True, slots=True)
class PersonRow:
    """One row of the People list."""

    provider: str
    prospect_id: int
    name: str
    email: str
    opted_out: bool
    sequence_count: int
    latest_state: ResolvedState | None
    latest_changed_at: str | None

    @property
    def key(self) -> tuple[str, int, str]:
        """The keyset position of this row in the name-ordered list. The provider is part of it:
        an Outreach prospect and a Salesmate contact may share a name and a number, and a
        window ending between the two must not lose the second."""
        return (self.name, self.prospect_id, self.provider)


@dataclass(frozen=True, slots=True)
class CurrentStateRow:
    """A person's current state in one sequence."""

    sequence_state_id: int
    sequence_id: int | None
    sequence_name: str
    step_order: int | None
    step_count: int | None
    state: ResolvedState
    state_changed_at: str | None
    updated_at: str | None


@dataclass(frozen=True, slots=True)
class TransitionRow:
    """One observed transition in a person's history."""

    id: int
    provider: str
    sequence_state_id: int
    sequence_name: str
    step_order: int | None
    state: ResolvedState
    state_changed_at: str | None
    observed_at: str

    @property
    def key(self) -> tuple[str, int]:
        """The keyset position of this row in the timeline (newest change first)."""
        return (self.state_changed_at or "", self.id)


@dataclass(frozen=True, slots=True)
class PersonDetail:
    """Everything the person page and `people show` present about one person."""

    provider: str
    prospect_id: int
    name: str
    email: str
    opted_out: bool
    workbooks_person_id: int | None
    workbooks_sequence_state: str | None
    workbooks_no_email: bool | None


def resolved_from_row(raw: str, state: str, reason: str) -> ResolvedState:
    """Rebuild a ResolvedState from its stored columns (unknown stored values stay Unknown)."""
    try:
        canonical = CanonicalState(state)
    except ValueError:
        canonical = CanonicalState.UNKNOWN
    try:
        why = StateReason(reason) if reason else None
    except ValueError:
        why = None
    return ResolvedState(raw, canonical, why)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _search_filter(text: str, table: FromClause = prospects) -> ColumnElement[bool]:
    words = text.lower().split()
    return and_(*(table.c.search_text.like(f"%{_escape_like(w)}%", escape="\\") for w in words))


def _as_filter(query: str | PeopleFilter) -> PeopleFilter:
    return PeopleFilter(text=query) if isinstance(query, str) else query


def _filtered(query: Select[Any], filt: PeopleFilter, window: ChangeWindow | None) -> Select[Any]:
    """`query` over prospects with the list's rules: the search text, listed once, the filters."""
    if filt.text.strip():
        query = query.where(_search_filter(filt.text))
    query = query.where(_listed_once())
    if filt.filters_states:
        on_states = person_condition(filt, window or filt.window(utc_now()))
        if on_states is not None:
            query = query.where(on_states)
    return query


def _listed_once() -> ColumnElement[bool]:
    """A person in Outreach and Salesmate (the same email) is listed once, as the Outreach
    prospect; their page shows both. Only Salesmate records pay for the twin lookup."""
    twin = prospects.alias()  # Core's alias: no need to load the ORM for one self-join
    return or_(
        prospects.c.provider != "salesmate",
        prospects.c.email == "",
        ~exists().where(twin.c.email == prospects.c.email, twin.c.provider == "outreach"),
    )


def search_people(
    conn: Connection,
    text: str | PeopleFilter = "",
    *,
    after: tuple[str, int, str] | None = None,
    limit: int = 200,
    window: ChangeWindow | None = None,
) -> list[PersonRow]:
    """People whose name or email contains every word of the search text and who match the
    filters (`text`: the text alone, or a whole PeopleFilter), ordered by name.

    `after` is the key of the last row already shown; the next window starts behind it.
    `window`: the filter's period resolved (None: at this moment, in this computer's zone).
    """
    count = (
        select(func.count())
        .where(
            sequence_states.c.provider == prospects.c.provider,
            sequence_states.c.prospect_id == prospects.c.id,
        )
        .correlate(prospects)
        .scalar_subquery()
    )
    query: Select[Any] = select(
        prospects.c.provider,
        prospects.c.id,
        prospects.c.name,
        prospects.c.email,
        prospects.c.opted_out,
        count,
    )
    query = _filtered(query, _as_filter(text), window)
    if after is not None:
        position = tuple_(prospects.c.name, prospects.c.id, prospects.c.provider)
        query = query.where(position > tuple_(*after))
    query = query.order_by(prospects.c.name, prospects.c.id, prospects.c.provider).limit(limit)
    return _with_latest_states(conn, conn.execute(query).all())


def _with_latest_states(conn: Connection, rows: Sequence[Any]) -> list[PersonRow]:
    """Attach each person's most recently changed state (one query per provider)."""
    by_provider: dict[str, list[int]] = {}
    for r in rows:
        by_provider.setdefault(r[0], []).append(r[1])
    latest: dict[tuple[str, int], tuple[ResolvedState, str | None]] = {}
    best: dict[tuple[str, int], tuple[str, int]] = {}
    for provider_name, ids in by_provider.items():
        # provider = ? AND prospect_id IN (...) uses the index; a (provider, id) tuple IN
        # makes SQLite scan the whole table.
        found = conn.execute(
            select(
                sequence_states.c.prospect_id,
                sequence_states.c.raw_state,
                sequence_states.c.state,
                sequence_states.c.reason,
                sequence_states.c.state_changed_at,
                sequence_states.c.id,
            ).where(
                sequence_states.c.provider == provider_name,
                sequence_states.c.prospect_id.in_(ids),
            )
        )
        for pid, raw, state, reason, changed, sid in found:
            key, rank = (provider_name, pid), (changed or "", sid)
            if key not in best or rank > best[key]:
                best[key] = rank
                latest[key] = (resolved_from_row(raw, state, reason), changed)
    extra_counts = _add_salesmate_twins(conn, rows, latest, best)
    result = []
    for r in rows:
        state, changed = latest.get((r[0], r[1]), (None, None))
        result.append(
            PersonRow(
                provider=r[0],
                prospect_id=r[1],
                name=r[2],
                email=r[3],
                opted_out=bool(r[4]),
                sequence_count=int(r[5] or 0) + extra_counts.get((r[0], r[1]), 0),
                latest_state=state,
                latest_changed_at=changed,
            )
        )
    return result


def _add_salesmate_twins(
    conn: Connection,
    rows: Sequence[Any],
    latest: dict[tuple[str, int], tuple[ResolvedState, str | None]],
    best: dict[tuple[str, int], tuple[str, int]],
) -> dict[tuple[str, int], int]:
    """Fold the Salesmate states of listed Outreach prospects (same email) into their row."""
    by_email = {r[3]: (r[0], r[1]) for r in rows if r[0] == "outreach" and r[3]}
    counts: dict[tuple[str, int], int] = {}
    if not by_email:
        return counts
    found = conn.execute(
        select(
            prospects.c.email,
            sequence_states.c.raw_state,
            sequence_states.c.state,
            sequence_states.c.reason,
            sequence_states.c.state_changed_at,
            sequence_states.c.id,
        )
        .select_from(
            prospects.join(
                sequence_states,
                and_(
                    sequence_states.c.provider == prospects.c.provider,
                    sequence_states.c.prospect_id == prospects.c.id,
                ),
            )
        )
        .where(
            prospects.c.provider == "salesmate",
            prospects.c.email.in_(bindparam("emails", expanding=True)),
        ),
        {"emails": list(by_email)},
    )
    for email, raw, state, reason, changed, sid in found:
        key, rank = by_email[email], (changed or "", sid)
        counts[key] = counts.get(key, 0) + 1
        if key not in best or rank > best[key]:
            best[key] = rank
            latest[key] = (resolved_from_row(raw, state, reason), changed)
    return counts


def count_people(
    conn: Connection, text: str | PeopleFilter = "", *, window: ChangeWindow | None = None
) -> int:
    """How many people match (the same rules as search_people)."""
    query = _filtered(select(func.count()).select_from(prospects), _as_filter(text), window)
    return int(conn.execute(query).scalar_one())


def counts_for_choices(
    conn: Connection, filt: PeopleFilter, *, now: datetime, tz: tzinfo | None = None
) -> FilterCounts:
    """How many people each filter choice would give, the rest of `filt` kept."""
    search = (lambda table: _search_filter(filt.text, table)) if filt.text.strip() else None
    return filter_counts(conn, filt, _listed_once(), search, now=now, tz=tz)


def _with_sequence_and_step(table: Table) -> Join:
    """`table` (sequence states or their history) with its sequence and step, when known."""
    return table.outerjoin(
        sequences,
        and_(sequences.c.provider == table.c.provider, sequences.c.id == table.c.sequence_id),
    ).outerjoin(
        sequence_steps,
        and_(
            sequence_steps.c.provider == table.c.provider,
            sequence_steps.c.id == table.c.step_id,
        ),
    )


def current_states(conn: Connection, provider: str, prospect_id: int) -> list[CurrentStateRow]:
    """The person's current state in each sequence, most recently changed first."""
    query = (
        select(
            sequence_states.c.id,
            sequence_states.c.sequence_id,
            func.coalesce(sequences.c.name, ""),
            sequence_steps.c.step_order,
            sequences.c.step_count,
            sequence_states.c.raw_state,
            sequence_states.c.state,
            sequence_states.c.reason,
            sequence_states.c.state_changed_at,
            sequence_states.c.updated_at,
        )
        .select_from(_with_sequence_and_step(sequence_states))
        .where(
            sequence_states.c.provider == provider,
            sequence_states.c.prospect_id == prospect_id,
        )
        .order_by(sequence_states.c.state_changed_at.desc(), sequence_states.c.id.desc())
    )
    return [
        CurrentStateRow(
            sequence_state_id=r[0],
            sequence_id=r[1],
            sequence_name=r[2] or _unnamed(r[1]),
            step_order=r[3],
            step_count=r[4],
            state=resolved_from_row(r[5], r[6], r[7]),
            state_changed_at=r[8],
            updated_at=r[9],
        )
        for r in conn.execute(query)
    ]


def _unnamed(sequence_id: int | None) -> str:
    return f"Sequence {sequence_id}" if sequence_id is not None else "(no sequence)"


def history(
    conn: Connection,
    provider: str | None,
    prospect_id: int,
    *,
    before: tuple[str, int] | None = None,
    limit: int = 500,
) -> list[TransitionRow]:
    """The person's transitions, most recent change first; `before` (a row's `key`) continues
    after a window. Ordered by when the provider says the state changed, not when Sync Monitor
    saw it: a first sync observes months of states at once.

    `provider=None` reads every provider's rows with this prospect id. Ids are per provider, so
    that is rarely one person: a person's page uses `linked_people.merged_history`, which links
    Outreach and Salesmate records by email.
    """
    cond = [state_history.c.prospect_id == prospect_id]
    if provider is not None:
        cond.append(state_history.c.provider == provider)
    if before is not None:
        cond.append(tuple_(state_history.c.state_changed_at, state_history.c.id) < tuple_(*before))
    return transitions_where(conn, cond, limit)


def find_person(conn: Connection, email_or_id: str) -> PersonDetail | None:
    """A person by email (case-insensitive) or by prospect id."""
    text = email_or_id.strip()
    # An id is ASCII digits that fit SQLite's 64-bit integers; anything else is an email.
    is_id = text.isascii() and text.isdigit() and len(text) <= 18
    cond = prospects.c.id == int(text) if is_id else prospects.c.email == text.lower()
    row = conn.execute(
        select(
            prospects.c.provider,
            prospects.c.id,
            prospects.c.name,
            prospects.c.email,
            prospects.c.opted_out,
        )
        .where(cond)
        .order_by(prospects.c.provider)
        .limit(1)
    ).first()
    if row is None:
        return None
    person = conn.execute(
        select(
            workbooks_people.c.id,
            workbooks_people.c.sequence_state,
            workbooks_people.c.no_email,
        )
        .where(
            or_(
                workbooks_people.c.outreach_id == row[1],
                and_(workbooks_people.c.email == row[3], workbooks_people.c.email != ""),
            ),
            workbooks_people.c.is_deleted.is_(False),
        )
        .order_by((workbooks_people.c.outreach_id == row[1]).desc())
        .limit(1)
    ).first()
    return PersonDetail(
        provider=row[0],
        prospect_id=row[1],
        name=row[2],
        email=row[3],
        opted_out=bool(row[4]),
        workbooks_person_id=person[0] if person else None,
        workbooks_sequence_state=person[1] if person else None,
        workbooks_no_email=bool(person[2]) if person else None,
    )


def transitions_where(conn: Connection, cond: list[Any], limit: int) -> list[TransitionRow]:
    """History rows matching `cond`, newest first, with their sequence and step (shared by a
    person's timeline and the timeline of people linked by email)."""
    query = (
        select(
            state_history.c.id,
            state_history.c.provider,
            state_history.c.sequence_state_id,
            func.coalesce(sequences.c.name, ""),
            state_history.c.sequence_id,
            sequence_steps.c.step_order,
            state_history.c.raw_state,
            state_history.c.state,
            state_history.c.reason,
            state_history.c.state_changed_at,
            state_history.c.observed_at,
        )
        .select_from(_with_sequence_and_step(state_history))
        .where(*cond)
        .order_by(state_history.c.state_changed_at.desc(), state_history.c.id.desc())
        .limit(limit)
    )
    return [
        TransitionRow(
            id=r[0],
            provider=r[1],
            sequence_state_id=r[2],
            sequence_name=r[3] or _unnamed(r[4]),
            step_order=r[5],
            state=resolved_from_row(r[6], r[7], r[8]),
            state_changed_at=r[9] or None,
            observed_at=r[10],
        )
        for r in conn.execute(query)
    ]
