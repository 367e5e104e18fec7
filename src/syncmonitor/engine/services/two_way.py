"""The two-way sync outside a run: its scope filter, and a prospect's linked Workbooks person."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

from syncmonitor.domain.mappings.mapping_set import MappingSet
from syncmonitor.domain.scope import ScopeFilter
from syncmonitor.domain.scope import to_json as scope_json
from syncmonitor.engine.services.reads import timed_read
from syncmonitor.engine.team.asking import ask, watching
from syncmonitor.engine.two_way.actions import count_scope, read_scope, write_scope
from syncmonitor.store import mappings as mapping_store
from syncmonitor.store import two_way as two_way_store
from syncmonitor.store.database import Database
from syncmonitor.store.two_way import Link

__all__ = ["Link", "LinkedPerson", "TwoWayService"]

DEFAULT_PERSON_FIELDS = (
    "name",
    "person_last_name",
    "main_location[email]",
    "main_location[country]",
)


@dataclass(frozen=True)
class LinkedPerson:
    """A prospect's link to its Workbooks person (None: not linked yet) and the saved mappings
    (None: never saved) the pair view compares them with."""

    link: Link | None
    mappings: MappingSet | None


class TwoWayService:
    """`sync` is the running SyncService: its remotes for the count, its cache for the rest."""

    def __init__(self, database: Database, sync: Any = None) -> None:
        self.database = database
        self._sync = sync

    async def read_scope(self) -> ScopeFilter:
        return await read_scope(self._sync)

    async def write_scope(self, scope: ScopeFilter) -> None:
        if (desktop := watching(self._sync)) is not None:  # a team store: the server saves it
            payload = {"scope": json.loads(scope_json(scope))}
            await ask(desktop, "save_scope", payload, doing="Saving the scope")
            return
        await write_scope(self._sync, scope)

    async def count_scope(self, scope: ScopeFilter) -> int:
        """How many Workbooks people the scope matches now (one request)."""
        if (desktop := watching(self._sync)) is not None:  # the server has the Workbooks key
            payload = {"scope": json.loads(scope_json(scope))}
            done = await ask(desktop, "count_scope", payload, doing="Counting the scope")
            return int(done.answer.get("count", 0))
        return await count_scope(self._sync, scope)

    def person_fields(self) -> list[tuple[str, str]]:
        """Workbooks person fields (name, label) as last read for the mapping editors, by label;
        a few well-known names when they were never read."""
        with timed_read(self.database.engine, "the Workbooks person fields") as conn:
            known = mapping_store.fields_of(conn, "workbooks", "person") or {}
        fields = [(f.name, f.label) for f in known.values()]
        return sorted(fields, key=lambda f: f[1].casefold()) or [
            (n, n) for n in DEFAULT_PERSON_FIELDS
        ]

    async def person_fields_async(self) -> list[tuple[str, str]]:
        return await asyncio.to_thread(self.person_fields)

    def linked_person(self, prospect_id: int) -> LinkedPerson:
        """What the two-way sync last saw of this prospect and its Workbooks person."""
        with timed_read(self.database.engine, "a person's linked records") as conn:
            crm_ids = two_way_store.crm_ids_linked_to(conn, "person", [prospect_id])
            link = two_way_store.link_of(conn, "person", crm_ids[0]) if crm_ids else None
            saved = mapping_store.load_mappings(conn) if mapping_store.saved_at(conn) else None
        return LinkedPerson(link, saved)
