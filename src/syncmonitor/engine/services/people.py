"""People as the window and `syncmonitor people` show them: the list, one person, a timeline."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path

from syncmonitor.domain.people_filter import ChangeWindow, NamedView, PeopleFilter, Period
from syncmonitor.domain.timestamps import utc_now
from syncmonitor.engine.people.export import all_rows, write_csv, write_csv_file
from syncmonitor.engine.people.views import FILE_NAME, PeopleViews
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
    counts_for_choices,
    current_states,
    find_person,
    search_people,
)
from syncmonitor.store.people_filters import FilterCounts, SequenceCount, all_sequences

__all__ = [
    "CurrentStateRow",
    "FilterCounts",
    "NamedView",
    "PeopleFilter",
    "PeopleService",
    "Period",
    "PersonDetail",
    "PersonKey",
    "PersonRow",
    "PersonView",
    "ProspectMatch",
    "SequenceCount",
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

    def __init__(
        self, database: Database, views_folder: Path | None = None, tz: tzinfo | None = None
    ) -> None:
        self.database = database
        # Named views live in the settings folder (see engine/people/views.py); None: kept in
        # memory only (a cache opened without the app's paths).
        self.views = PeopleViews(views_folder / FILE_NAME if views_folder else None)
        self.tz = tz  # the zone "today" and "this week" are counted in (None: this computer's)
        self.now = utc_now  # the clock the periods are read at (tests set their own)

    def search(
        self, query: str | PeopleFilter, after: tuple[str, int, str] | None, limit: int
    ) -> list[PersonRow]:
        """People matching the search text and the filters, by name, after `after`."""
        filt = _as_filter(query)
        with timed_read(self.database.engine, "the people list") as conn:
            return search_people(conn, filt, after=after, limit=limit, window=self._window(filt))

    def count(self, query: str | PeopleFilter = "") -> int:
        """How many people match (the list's whole length, not the rows read)."""
        filt = _as_filter(query)
        with timed_read(self.database.engine, "the people count") as conn:
            return count_people(conn, filt, window=self._window(filt))

    def counts(self, filt: PeopleFilter) -> FilterCounts:
        """The count beside each filter choice: how many people that choice would give."""
        with timed_read(self.database.engine, "the filter counts") as conn:
            return counts_for_choices(conn, filt, now=self.now(), tz=self.tz)

    def sequences(self) -> list[SequenceCount]:
        """Every sequence in the cache, by name."""
        with timed_read(self.database.engine, "the sequences") as conn:
            return all_sequences(conn)

    def view_counts(self, views: list[NamedView]) -> dict[str, int]:
        """How many people each named view holds now (the sidebar's numbers)."""
        with timed_read(self.database.engine, "the views' counts") as conn:
            return {
                v.name: count_people(conn, v.filter, window=self._window(v.filter)) for v in views
            }

    async def view_counts_async(self, views: list[NamedView]) -> dict[str, int]:
        return await asyncio.to_thread(self.view_counts, views)

    def export_csv(self, filt: PeopleFilter, path: Path | None = None) -> int:
        """Write everyone matching `filt` to `path` as CSV (UTF-8 with a BOM, for Excel; None:
        to standard output, no BOM, newline line ends); the number of people written."""
        rows = all_rows(self.search, filt)
        if path is None:
            return write_csv(sys.stdout, rows, line_end="\n")  # a pipe: as scripts expect
        return write_csv_file(path, rows)

    async def export_csv_async(self, filt: PeopleFilter, path: Path) -> int:
        return await asyncio.to_thread(self.export_csv, filt, path)

    def _window(self, filt: PeopleFilter) -> ChangeWindow:
        return filt.window(self.now(), self.tz)

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


def _as_filter(query: str | PeopleFilter) -> PeopleFilter:
    return PeopleFilter(text=query) if isinstance(query, str) else query


def at(now: datetime) -> Callable[[], datetime]:
    """A fixed clock for `PeopleService.now` (tests and benchmarks)."""
    return lambda: now
