"""One person across providers: an Outreach prospect and a Salesmate contact with the same email
address are the same person, so their page shows one timeline and Workbooks gets one state.

Each provider keeps its own id space (Outreach prospect 5 and Salesmate person 5 are different
people), so the link is always the email address, never the id.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, and_, bindparam, or_, select, tuple_

from syncmonitor.store.people import (
    PersonDetail,
    TransitionRow,
    transitions_where,
)
from syncmonitor.store.schema import (
    prospects,
    sequence_states,
    state_history,
    workbooks_people,
)

PersonKey = tuple[str, int]  # (provider, prospect id)


@dataclass(frozen=True, slots=True)
class StateOfPerson:
    """A current sequence state of a person, from any provider."""

    provider: str
    sequence_state_id: int
    raw_state: str
    state: str
    reason: str
    state_changed_at: str | None


def linked_keys(conn: Connection, provider: str, prospect_id: int) -> list[PersonKey]:
    """This person's key first, then every other provider's record with the same email."""
    email = conn.execute(
        select(prospects.c.email).where(
            prospects.c.provider == provider, prospects.c.id == prospect_id
        )
    ).scalar_one_or_none()
    keys: list[PersonKey] = [(provider, prospect_id)]
    if not email:
        return keys
    for other in conn.execute(
        select(prospects.c.provider, prospects.c.id)
        .where(prospects.c.email == email, prospects.c.provider != provider)
        .order_by(prospects.c.provider, prospects.c.id)
    ):
        keys.append((other[0], other[1]))
    return keys


def merged_history(
    conn: Connection,
    keys: Sequence[PersonKey],
    *,
    before: tuple[str, int] | None = None,
    limit: int = 500,
) -> list[TransitionRow]:
    """The transitions of all `keys` (one person in several providers) as one timeline, most
    recent change first, each row marked with its provider. Paged like `people.history`."""
    if not keys:
        return []
    who = or_(
        *(
            and_(state_history.c.provider == p, state_history.c.prospect_id == pid)
            for p, pid in keys
        )
    )
    cond = [who]
    if before is not None:
        cond.append(tuple_(state_history.c.state_changed_at, state_history.c.id) < tuple_(*before))
    return transitions_where(conn, cond, limit)


def states_by_email(conn: Connection, emails: Sequence[str]) -> dict[str, list[StateOfPerson]]:
    """Every provider's current sequence states for each email (lower case)."""
    result: dict[str, list[StateOfPerson]] = {e: [] for e in emails if e}
    wanted = sorted(result)
    query = (
        select(
            prospects.c.email,
            sequence_states.c.provider,
            sequence_states.c.id,
            sequence_states.c.raw_state,
            sequence_states.c.state,
            sequence_states.c.reason,
            sequence_states.c.state_changed_at,
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
        .where(prospects.c.email.in_(bindparam("e", expanding=True)))
    )
    for start in range(0, len(wanted), 500):
        for row in conn.execute(query, {"e": wanted[start : start + 500]}):
            result[row[0]].append(StateOfPerson(*row[1:]))
    return result


def opted_out_emails(conn: Connection, emails: Sequence[str]) -> set[str]:
    """Emails whose record in any provider says the person opted out."""
    wanted = sorted({e for e in emails if e})
    found: set[str] = set()
    query = select(prospects.c.email).where(
        prospects.c.email.in_(bindparam("e", expanding=True)), prospects.c.opted_out.is_(True)
    )
    for start in range(0, len(wanted), 500):
        found.update(conn.execute(query, {"e": wanted[start : start + 500]}).scalars())
    return found


def person_by_key(conn: Connection, provider: str, prospect_id: int) -> PersonDetail | None:
    """One provider's record of a person with their Workbooks person (by Outreach id for an
    Outreach prospect, else by email)."""
    row = conn.execute(
        select(
            prospects.c.name, prospects.c.email, prospects.c.opted_out, prospects.c.external_id
        ).where(prospects.c.provider == provider, prospects.c.id == prospect_id)
    ).first()
    if row is None:
        return None
    match = and_(workbooks_people.c.email == row[1], workbooks_people.c.email != "")
    if provider == "outreach":
        match = or_(workbooks_people.c.outreach_id == prospect_id, match)
    person = conn.execute(
        select(
            workbooks_people.c.id, workbooks_people.c.sequence_state, workbooks_people.c.no_email
        )
        .where(match, workbooks_people.c.is_deleted.is_(False))
        .order_by(workbooks_people.c.id)
        .limit(1)
    ).first()
    return PersonDetail(
        provider=provider,
        prospect_id=prospect_id,
        name=row[0],
        email=row[1],
        opted_out=bool(row[2]),
        workbooks_person_id=person[0] if person else None,
        workbooks_sequence_state=person[1] if person else None,
        workbooks_no_email=bool(person[2]) if person else None,
    )
