"""People as the window and `syncmonitor people` show them: the list, one person, a timeline."""

from __future__ import annotations

from dataclasses import dataclass, field

from syncmonitor.engine.services.reads import timed_read
from syncmonitor.store.database import Database
from syncmonitor.store.linked_people import PersonKey, linked_keys, merged_history, person_by_key
from syncmonitor.store.matching import ProspectMatch, match_of, parked_for
from syncmonitor.store.people import (
    CurrentStateRow,
    PersonDetail,
    PersonRow,
    TransitionRow,
    count_people,
    current_states,
    find_person,
    search_people,
)

__all__ = [
    "CurrentStateRow",
    "PeopleService",
    "PersonDetail",
    "PersonKey",
    "PersonRow",
    "PersonView",
    "ProspectMatch",
    "TransitionRow",
]


@dataclass(frozen=True)
class PersonView:
    """One person as the detail pane shows them: the record, the same person's records in the
    other providers (same email), and the current states of each record, in that order."""

    detail: PersonDetail | None
    keys: list[PersonKey]  # theirs first, then the linked records
    states: list[tuple[str, CurrentStateRow]] = field(default_factory=list)  # (provider, row)
    match: ProspectMatch | None = None  # how a prospect matched its Workbooks record, if it did
    waiting: dict[str, int] = field(default_factory=dict)  # activities parked for it, by type


class PeopleService:
    """Reads of the people in the cache (blocking: call them off the GUI thread)."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def search(self, text: str, after: tuple[str, int] | None, limit: int) -> list[PersonRow]:
        """People whose name or email has every word of `text`, by name, after `after`."""
        with timed_read(self.database.engine, "the people list") as conn:
            return search_people(conn, text, after=after, limit=limit)

    def count(self, text: str = "") -> int:
        with timed_read(self.database.engine, "the people count") as conn:
            return count_people(conn, text)

    def person(self, provider: str, prospect_id: int) -> PersonView:
        """One person: linked records, current states, Workbooks match, parked activities."""
        with timed_read(self.database.engine, "a person's details") as conn:
            detail = person_by_key(conn, provider, prospect_id)
            keys = linked_keys(conn, provider, prospect_id)
            states = [(p, r) for p, pid in keys for r in current_states(conn, p, pid)]
            match = match_of(conn, provider, prospect_id)
            waiting = parked_for(conn, [prospect_id]) if provider == "outreach" else {}
        return PersonView(detail, keys, states, match, waiting)

    def find(self, email_or_id: str) -> PersonDetail | None:
        """The person with this email address or Outreach prospect id."""
        with timed_read(self.database.engine, "a person") as conn:
            return find_person(conn, email_or_id)

    def history(
        self, keys: tuple[PersonKey, ...], before: tuple[str, int] | None, limit: int
    ) -> list[TransitionRow]:
        """The transitions of these records of one person, newest first, before `before`."""
        with timed_read(self.database.engine, "a person's timeline") as conn:
            return merged_history(conn, keys, before=before, limit=limit)

    def whole_history(self, keys: tuple[PersonKey, ...], window: int = 1000) -> list[TransitionRow]:
        """Every transition of these records, newest first (read a window at a time)."""
        rows: list[TransitionRow] = []
        before = None
        while True:
            page = self.history(keys, before, window)
            rows.extend(page)
            if len(page) < window:
                return rows
            before = page[-1].key
