"""The People filters in SQL: which listed people match, and how many each choice would give.

A person is listed once (`people._listed_once`): an Outreach prospect carries the states of the
Salesmate contact with the same email. So a filter on states looks at the person's own sequence
states and, for an Outreach prospect, at those of its Salesmate twins. Every condition of a filter
applies to the same sequence state row (see `domain.people_filter`).

The list's filter is `(provider, id) IN (states that match)`: the engine reads the few matching
states through `ix_sequence_states_filter` (state, changed) when the filter is selective, and
walks the name index with a lookup per person when it is not. The counts ("Bounced 12") are one
grouped query per kind of choice over the same rows, deduplicated per person.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    and_,
    case,
    distinct,
    func,
    or_,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.sql.selectable import FromClause, Subquery

from syncmonitor.domain.people_filter import (
    COUNTED_PERIODS,
    ChangeWindow,
    PeopleFilter,
    Period,
    period_window,
)
from syncmonitor.domain.states import CanonicalState
from syncmonitor.store.schema import prospects, sequence_states, sequences

_SKIP_NONE = ""
# The search text's condition on a prospects table (the listed person's own, or an alias).
Search = Callable[[FromClause], ColumnElement[bool]]


def state_conditions(
    filt: PeopleFilter, window: ChangeWindow, *, skip: str = _SKIP_NONE
) -> list[ColumnElement[bool]]:
    """The conditions on one sequence state row (`skip`: leave one kind out, for its counts)."""
    ss = sequence_states.c
    cond: list[ColumnElement[bool]] = []
    if filt.states and skip != "states":
        cond.append(ss.state.in_(sorted(s.value for s in filt.states)))
    if filt.providers and skip != "providers":
        cond.append(ss.provider.in_(sorted(p.value for p in filt.providers)))
    if filt.sequences and skip != "sequences":
        by_provider: dict[str, list[int]] = {}
        for provider, sequence_id in sorted(filt.sequences):
            by_provider.setdefault(provider, []).append(sequence_id)
        cond.append(
            or_(
                *(and_(ss.provider == p, ss.sequence_id.in_(ids)) for p, ids in by_provider.items())
            )
        )
    if skip != "changed":
        if window.since is not None:
            cond.append(ss.state_changed_at >= window.since)
        if window.before is not None:
            cond.append(ss.state_changed_at < window.before)
    return cond


def person_condition(filt: PeopleFilter, window: ChangeWindow) -> ColumnElement[bool] | None:
    """The condition on `prospects` for the state filters (None: no state filter)."""
    if not filt.filters_states:
        return None
    cond = state_conditions(filt, window)
    ss = sequence_states
    own = tuple_(prospects.c.provider, prospects.c.id).in_(
        select(ss.c.provider, ss.c.prospect_id).where(*cond)
    )
    twin = prospects.alias("twin")
    twins_states = (
        select(twin.c.email)
        .select_from(
            ss.join(twin, and_(twin.c.provider == ss.c.provider, twin.c.id == ss.c.prospect_id))
        )
        .where(ss.c.provider == "salesmate", twin.c.email != "", *cond)
    )
    if filt.providers and "salesmate" not in {p.value for p in filt.providers}:
        return own
    return or_(
        own,
        and_(
            prospects.c.provider == "outreach",
            prospects.c.email != "",
            prospects.c.email.in_(twins_states),
        ),
    )


@dataclass(frozen=True, slots=True)
class SequenceCount:
    provider: str
    sequence_id: int
    name: str
    people: int


@dataclass(frozen=True, slots=True)
class FilterCounts:
    """How many people each choice would give with the other filters and the search kept."""

    states: dict[CanonicalState, int] = field(default_factory=dict)
    providers: dict[str, int] = field(default_factory=dict)
    sequences: list[SequenceCount] = field(default_factory=list)
    periods: dict[Period, int] = field(default_factory=dict)


def _person_states(
    filt: PeopleFilter,
    window: ChangeWindow,
    skip: str,
    listed: ColumnElement[bool],
    search: Search | None,
    columns: list[ColumnElement[Any]],
) -> Subquery:
    """(listed person, `columns` of one of their matching states) for every matching state:
    the person's own states, and an Outreach prospect's Salesmate twins' states."""
    ss = sequence_states
    cond = state_conditions(filt, window, skip=skip)
    own = (
        select(
            prospects.c.provider.label("pp"),
            prospects.c.id.label("pid"),
            _who(prospects).label("who"),
            *columns,
        )
        .select_from(
            prospects.join(
                ss, and_(ss.c.provider == prospects.c.provider, ss.c.prospect_id == prospects.c.id)
            )
        )
        .where(listed, *cond)
    )
    if search is not None:
        own = own.where(search(prospects))
    twin = prospects.alias("twin")
    person = prospects.alias("person")
    via_twin = (
        select(person.c.provider, person.c.id, _who(person), *columns)
        .select_from(
            ss.join(twin, and_(twin.c.provider == "salesmate", twin.c.id == ss.c.prospect_id)).join(
                person, and_(person.c.provider == "outreach", person.c.email == twin.c.email)
            )
        )
        .where(ss.c.provider == "salesmate", twin.c.email != "", *cond)
    )
    if search is not None:
        via_twin = via_twin.where(search(person))
    return union_all(own, via_twin).subquery()


def _who(table: FromClause) -> ColumnElement[int]:
    """One number per listed person (id and provider), so people are counted with one
    count(DISTINCT ...), which both engines do far faster than a DISTINCT over a union."""
    code = case((table.c.provider == "outreach", 0), (table.c.provider == "salesmate", 1), else_=2)
    return table.c.id * 4 + code


def _grouped(conn: Connection, rows: FromClause, key_columns: int) -> list[tuple[object, ...]]:
    """Distinct people per key: SELECT key, count(DISTINCT who) ... GROUP BY key."""
    keys = list(rows.c)[3 : 3 + key_columns]
    query = select(*keys, func.count(distinct(rows.c.who))).group_by(*keys)
    return [tuple(r) for r in conn.execute(query)]


def filter_counts(
    conn: Connection,
    filt: PeopleFilter,
    listed: ColumnElement[bool],
    search: Search | None,
    *,
    now: datetime,
    tz: tzinfo | None = None,
) -> FilterCounts:
    """The count beside each choice: the people the list would hold with that one choice in its
    kind (and the other kinds and the search as they are). `listed` and `search` are the list's
    own rules (`people._listed_once`, the search text's condition on a prospects table)."""
    window = filt.window(now, tz)
    ss = sequence_states.c

    def rows(skip: str, *columns: ColumnElement[Any]) -> Subquery:
        return _person_states(filt, window, skip, listed, search, list(columns))

    states: dict[CanonicalState, int] = {}
    for value, n in _grouped(conn, rows("states", ss.state.label("k")), 1):
        try:
            states[CanonicalState(str(value))] = int(str(n))
        except ValueError:
            states[CanonicalState.UNKNOWN] = states.get(CanonicalState.UNKNOWN, 0) + int(str(n))
    providers = {
        str(v): int(str(n)) for v, n in _grouped(conn, rows("providers", ss.provider.label("k")), 1)
    }
    found = _grouped(conn, rows("sequences", ss.provider.label("k"), ss.sequence_id.label("k2")), 2)
    names = _sequence_names(conn, [(str(p), int(str(i))) for p, i, _n in found if i is not None])
    sequence_counts = sorted(
        (
            SequenceCount(
                str(p),
                int(str(i)),
                names.get((str(p), int(str(i))), f"Sequence {i}"),
                int(str(n)),
            )
            for p, i, n in found
            if i is not None
        ),
        key=lambda s: (s.name.lower(), s.provider, s.sequence_id),
    )
    return FilterCounts(states, providers, sequence_counts, _period_counts(conn, rows, now, tz))


def _period_counts(
    conn: Connection, rows: Callable[..., Subquery], now: datetime, tz: tzinfo | None
) -> dict[Period, int]:
    """People per period: one pass over the matching states, one distinct count per period."""
    changed = rows("changed", sequence_states.c.state_changed_at.label("k"))
    counts = []
    for period in COUNTED_PERIODS:
        since = period_window(period, now, tz).since
        counts.append(func.count(distinct(case((changed.c.k >= since, changed.c.who)))))
    found = conn.execute(select(*counts)).one()
    return {p: int(n) for p, n in zip(COUNTED_PERIODS, found, strict=True)}


def all_sequences(conn: Connection) -> list[SequenceCount]:
    """Every sequence in the cache, by name (people: 0, not counted), for choosing by name."""
    rows = conn.execute(
        select(sequences.c.provider, sequences.c.id, sequences.c.name).order_by(
            sequences.c.name, sequences.c.provider, sequences.c.id
        )
    )
    return [SequenceCount(p, i, n or f"Sequence {i}", 0) for p, i, n in rows]


def _sequence_names(conn: Connection, keys: list[tuple[str, int]]) -> dict[tuple[str, int], str]:
    if not keys:
        return {}
    by_provider: dict[str, list[int]] = {}
    for provider, sequence_id in keys:
        by_provider.setdefault(provider, []).append(sequence_id)
    names: dict[tuple[str, int], str] = {}
    for provider, ids in by_provider.items():
        for i in range(0, len(ids), 500):
            for sid, name in conn.execute(
                select(sequences.c.id, sequences.c.name).where(
                    sequences.c.provider == provider, sequences.c.id.in_(ids[i : i + 500])
                )
            ):
                if name:
                    names[(provider, sid)] = name
    return names


__all__ = [
    "FilterCounts",
    "SequenceCount",
    "all_sequences",
    "filter_counts",
    "person_condition",
    "state_conditions",
]
