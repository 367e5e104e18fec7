"""Build a real cache for GUI tests and the screenshot script: N people with M transitions each.

Everything goes in through SQLAlchemy Core executemany into the schema's tables, the way the
engine writes them, so the People page reads exactly what it reads in production.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, func, insert, literal, select

from syncmonitor.domain.states import resolve_outreach, workbooks_sequence_state
from syncmonitor.domain.timestamps import format_iso
from syncmonitor.store.database import Database, open_database
from syncmonitor.store.people import resolved_from_row
from syncmonitor.store.schema import (
    prospects,
    sequence_states,
    sequence_steps,
    sequences,
    state_history,
    workbooks_people,
)

FIRST = [
    "Ada", "Ben", "Chloe", "Dev", "Elena", "Femi", "Grace", "Hiro", "Ines", "Jonas",
    "Kemi", "Liam", "Maya", "Noor", "Oscar", "Priya", "Quinn", "Rosa", "Sven", "Tara",
]  # fmt: skip
LAST = [
    "Abbott", "Brennan", "Castillo", "Dubois", "Eriksen", "Fischer", "Gupta", "Hughes",
    "Ivanova", "Jensen", "Kowalski", "Lindqvist", "Moreau", "Nakamura", "O'Neill", "Patel",
]  # fmt: skip
SEQUENCE_NAMES = [
    "Q3 webinar follow-up",
    "Inbound demo request",
    "Renewal reminders",
    "Event no-shows",
    "Partner newsletter",
]
STEP_COUNT = 5
# One walk through the states a prospect typically goes through in a sequence.
RAW_WALK = ["pending", "active", "paused", "active", "finished", "active", "failed", "bounced"]
BASE_TIME = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Transition:
    """One raw state a sequence state passed through."""

    raw: str
    step_order: int = 1
    pause_reason: str | None = None
    reply_count: int = 0
    opt_out_count: int = 0


@dataclass
class PersonSpec:
    """A person to put in the cache, with their history per sequence."""

    id: int
    name: str
    email: str
    opted_out: bool = False
    # sequence id -> transitions, oldest first
    history: dict[int, list[Transition]] = field(default_factory=dict)


def person_name(index: int) -> str:
    """A deterministic, sortable, human-looking name for person number `index`."""
    first = FIRST[index % len(FIRST)]
    last = LAST[(index // len(FIRST)) % len(LAST)]
    suffix = index // (len(FIRST) * len(LAST))
    return f"{first} {last}" + (f" {suffix + 1}" if suffix else "")


def generated_people(
    count: int, transitions: int, *, start_id: int = 1, sequences_each: int = 2
) -> Iterator[PersonSpec]:
    """`count` people, each with `transitions` transitions spread over their sequences."""
    for index in range(count):
        pid = start_id + index
        name = person_name(index)
        slug = name.lower().replace(" ", ".").replace("'", "")
        spec = PersonSpec(pid, name, f"{slug}@example.com")
        seqs = [1 + (pid + k) % len(SEQUENCE_NAMES) for k in range(sequences_each)]
        for n in range(transitions):
            seq = seqs[n % len(seqs)]
            walk = spec.history.setdefault(seq, [])
            raw = RAW_WALK[len(walk) % len(RAW_WALK)]
            walk.append(Transition(raw, step_order=min(len(walk) + 1, STEP_COUNT)))
        spec.opted_out = pid % 17 == 0
        if spec.opted_out and spec.history:
            seq = next(iter(spec.history))
            spec.history[seq].append(Transition("finished", STEP_COUNT, opt_out_count=1))
        yield spec


def insert_people(db: Database, people: Sequence[PersonSpec] | Iterator[PersonSpec]) -> None:
    """Write people, their sequence states, full history and Workbooks records to the cache."""
    with db.engine.begin() as conn:
        _ensure_sequences(conn)
        batch: list[PersonSpec] = []
        for spec in people:
            batch.append(spec)
            if len(batch) >= 5000:
                _write_batch(conn, batch)
                batch = []
        if batch:
            _write_batch(conn, batch)


def _ensure_sequences(conn: Connection) -> None:
    seq_rows = [
        {"provider": "outreach", "id": i, "name": name, "enabled": True, "step_count": STEP_COUNT}
        for i, name in enumerate(SEQUENCE_NAMES, start=1)
    ]
    step_rows = [
        {"provider": "outreach", "id": i * 100 + order, "sequence_id": i, "step_order": order}
        for i in range(1, len(SEQUENCE_NAMES) + 1)
        for order in range(1, STEP_COUNT + 1)
    ]
    conn.execute(insert(sequences).prefix_with("OR IGNORE"), seq_rows)
    conn.execute(insert(sequence_steps).prefix_with("OR IGNORE"), step_rows)


def _write_batch(conn: Connection, batch: list[PersonSpec]) -> None:
    people_rows: list[dict[str, Any]] = []
    state_rows: list[dict[str, Any]] = []
    history_rows: list[dict[str, Any]] = []
    wb_rows: list[dict[str, Any]] = []
    observed = format_iso(BASE_TIME + timedelta(days=60))
    for spec in batch:
        people_rows.append(
            {
                "provider": "outreach",
                "id": spec.id,
                "email": spec.email.lower(),
                "name": spec.name,
                "opted_out": spec.opted_out,
                "search_text": f"{spec.name} {spec.email}".lower(),
            }
        )
        latest = ""
        for seq, walk in spec.history.items():
            state_id = spec.id * 10 + seq
            changed = ""
            for n, step in enumerate(walk):
                resolved = resolve_outreach(
                    step.raw,
                    pause_reason=step.pause_reason,
                    reply_count=step.reply_count,
                    opt_out_count=step.opt_out_count,
                )
                when = BASE_TIME + timedelta(hours=spec.id % 97, days=n, minutes=seq)
                changed = format_iso(when)
                history_rows.append(
                    {
                        "provider": "outreach",
                        "sequence_state_id": state_id,
                        "prospect_id": spec.id,
                        "sequence_id": seq,
                        "step_id": seq * 100 + step.step_order,
                        "raw_state": resolved.raw,
                        "state": resolved.state.value,
                        "reason": resolved.reason.value if resolved.reason else "",
                        "state_changed_at": changed,
                        "observed_at": format_iso(when + timedelta(minutes=7)),
                    }
                )
            state_rows.append(
                {
                    "provider": "outreach",
                    "id": state_id,
                    "prospect_id": spec.id,
                    "sequence_id": seq,
                    "step_id": history_rows[-1]["step_id"],
                    "raw_state": history_rows[-1]["raw_state"],
                    "state": history_rows[-1]["state"],
                    "reason": history_rows[-1]["reason"],
                    "state_changed_at": changed,
                    "updated_at": observed,
                }
            )
            latest = max(latest, changed)
        wb_rows.append(
            {
                "id": 50_000_000 + spec.id,
                "name": spec.name,
                "email": spec.email.lower(),
                "outreach_id": spec.id,
                "no_email": spec.opted_out,
                "sequence_state": _workbooks_state(state_rows[-1])
                if spec.history
                else "Not Active",
                "state_updated_at": latest or None,
            }
        )
    conn.execute(insert(prospects), people_rows)
    if state_rows:
        conn.execute(insert(sequence_states), state_rows)
    if history_rows:
        conn.execute(insert(state_history), history_rows)
    conn.execute(insert(workbooks_people), wb_rows)


def _workbooks_state(row: dict[str, Any]) -> str:
    return workbooks_sequence_state(
        resolved_from_row(row["raw_state"], row["state"], row["reason"])
    )


def build_cache(
    path: Path, people: int = 0, transitions: int = 4, *, extra: Sequence[PersonSpec] = ()
) -> Database:
    """Open a fresh cache at `path` and fill it with generated people plus `extra`."""
    db = open_database(path)
    insert_people(db, list(generated_people(people, transitions)) + list(extra))
    return db


def _series(name: str, first: int, last: int) -> Any:
    """A recursive CTE counting from `first` to `last`."""
    cte = select(literal(first).label("v")).cte(name, recursive=True)
    return cte.union_all(select(cte.c.v + 1).where(cte.c.v < last))


def _insert_select(conn: Connection, table: Any, columns: dict[str, Any], *joins: Any) -> None:
    query = select(*columns.values())
    if len(joins) > 1:
        query = query.select_from(joins[0].join(joins[1], literal(True)))
    conn.execute(insert(table).from_select(list(columns), query))


def build_large_cache(path: Path, people: int, transitions_each: int) -> Database:
    """A big cache fast: every table filled by INSERT ... SELECT over a generated series.

    100,000 people with 10 transitions each (1,000,000 history rows) take about 3 s this way;
    one executemany row per transition takes over half a minute.
    """
    db = open_database(path)
    n = _series("n", 1, people)
    m = _series("m", 0, transitions_each - 1)
    name = func.printf("Person %06d", n.c.v)
    email = func.printf("person%06d@example.com", n.c.v)
    active = {"raw_state": literal("active"), "state": literal("Active – Running")}
    with db.engine.begin() as conn:
        _ensure_sequences(conn)
        person = {
            "provider": literal("outreach"),
            "id": n.c.v,
            "email": email,
            "name": name,
            "opted_out": n.c.v % 17 == 0,
            "search_text": func.lower(name + " " + email),
        }
        _insert_select(conn, prospects, person)
        seq = (m.c.v % 2) + 1
        transition = {
            "provider": literal("outreach"),
            "sequence_state_id": n.c.v * 10 + seq,
            "prospect_id": n.c.v,
            "sequence_id": seq,
            "step_id": seq * 100 + 1,
            **active,
            "reason": literal(""),
            "state_changed_at": func.printf("2026-09-%02dT10:00:00.000Z", m.c.v + 1),
            "observed_at": func.printf("2026-09-%02dT10:05:00.000Z", m.c.v + 1),
        }
        _insert_select(conn, state_history, transition, n, m)
        for k in (1, 2):
            current = {
                "provider": literal("outreach"),
                "id": n.c.v * 10 + k,
                "prospect_id": n.c.v,
                "sequence_id": literal(k),
                "step_id": literal(k * 100 + 1),
                **active,
                "reason": literal(""),
                "state_changed_at": literal("2026-09-10T10:00:00.000Z"),
                "updated_at": literal("2026-09-10T10:05:00.000Z"),
            }
            _insert_select(conn, sequence_states, current)
    return db
