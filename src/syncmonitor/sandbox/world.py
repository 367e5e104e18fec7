"""The sandbox world: Workbooks people and organisations, Outreach prospects, sequences and states.

`World.generate(seed, ...)` builds the same world for the same arguments, every time, on every
machine: all randomness comes from one `random.Random(seed)` drawn in a fixed order, and all
history ends at a fixed `anchor_ms` rather than at "now" (see `generator`). Live changes
(`World.apply_changes`) happen at the real current time and draw from a second generator, so the
built world stays the same however many changes a run applies.

Every read and write of the world holds `World.lock`: the HTTP server is threaded and the ticker
thread changes the world while pages are being served.
"""

from __future__ import annotations

import gc
import random
import threading
from collections.abc import Iterable
from typing import Any

from syncmonitor.sandbox import activity, picklists
from syncmonitor.sandbox.changes import apply_changes
from syncmonitor.sandbox.generator import DEFAULT_ANCHOR_MS, Builder
from syncmonitor.sandbox.mailshot_records import MailshotData
from syncmonitor.sandbox.records import (
    Account,
    Collection,
    Organisation,
    Person,
    Prospect,
    Sequence,
    SequenceState,
    SequenceStep,
    Stage,
)
from syncmonitor.sandbox.timefmt import now_ms
from syncmonitor.sandbox.workbooks_index import LookupIndex


class World:
    """Both services' data, its indexes and its lock. Build one with `World.generate()`."""

    def __init__(self, seed: int, anchor_ms: int = DEFAULT_ANCHOR_MS) -> None:
        self.lock = threading.RLock()
        self.seed = seed
        self.anchor_ms = anchor_ms
        # Workbooks
        self.people: dict[int, Person] = {}
        self.organisations: dict[int, Organisation] = {}
        self.workbooks_version = 0  # bumped by every Workbooks change: cached reads go stale
        self.workbooks_index = LookupIndex()  # value indexes for lookups, built on first use
        # Outreach
        self.stages: Collection[Stage] = Collection()
        self.accounts: Collection[Account] = Collection()
        self.sequences: Collection[Sequence] = Collection()
        self.sequence_steps: Collection[SequenceStep] = Collection()
        self.prospects: Collection[Prospect] = Collection()
        self.sequence_states: Collection[SequenceState] = Collection()
        self.states_by_prospect: dict[int, list[int]] = {}
        self.states_by_sequence: dict[int, list[int]] = {}
        self._prospects_by_email: dict[str, list[int]] | None = None
        # CRM status values (see `picklists`): Workbooks picklists, Salesforce statuses
        self.picklists: dict[int, Any] = {}
        self.picklist_entries: dict[int, Any] = {}
        self.salesforce_lead_statuses: list[Any] = []
        self.salesforce_contact_statuses: list[Any] = []
        # Workbooks mailshots and Spotler campaigns (sandbox.mailshot_records)
        self.mailshots = MailshotData()
        # The two-way sync's inbound side: Outreach tasks and calls; the Workbooks tasks and
        # activities the sync writes
        self.tasks: Collection[Any] = Collection()
        self.calls: Collection[Any] = Collection()
        self.crm_tasks: dict[int, Any] = {}
        self.crm_activities: dict[int, Any] = {}
        self.opportunities: Collection[Any] = Collection()
        self.crm_opportunities: dict[int, Any] = {}
        # Outreach OAuth scopes the sandbox's tokens lack (`/_admin/outreach/scopes`): a request
        # that needs one answers 403 unauthorizedOauthScope, as Outreach does.
        self.outreach_missing_scopes: set[str] = set()
        self.party_locations: dict[int, Any] = {}  # Contact Details (crm/party_locations)
        self.sales_leads: dict[int, Any] = {}
        # Live changes
        self.change_rng = random.Random(f"{seed}:changes")
        self.changes_applied = 0
        self._last_change_ms = anchor_ms
        # How far the world's clock runs ahead of the wall clock (POST /_admin/clock): a test
        # that needs two changes in different seconds moves it on instead of sleeping.
        self.clock_offset_ms = 0

    @classmethod
    def generate(
        cls,
        seed: int = 1,
        people: int = 200,
        states_per_person: float = 3.0,
        anchor_ms: int = DEFAULT_ANCHOR_MS,
    ) -> World:
        """Build a world deterministically from `seed`.

        `people` Workbooks people, each also an Outreach prospect; `max(3, people // 2000)`
        sequences; about `people * states_per_person` sequence states (fewer only where that
        would put a prospect twice in one sequence).
        """
        if people < 0 or states_per_person < 0:
            raise ValueError("people and states_per_person must not be negative")
        world = cls(seed, anchor_ms)
        # Hundreds of thousands of small objects and no cycles: the cyclic collector would scan
        # the growing heap again and again for nothing, making a large build about twice as slow.
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            Builder(world, random.Random(seed)).build(people, states_per_person)
            picklists.install(world)  # after the build: it draws nothing from the seed
            world.mailshots = MailshotData.generate(seed, anchor_ms // 1000)
            activity.install(world)  # tasks and calls, derived from the states (no draws)
        finally:
            if was_enabled:
                gc.enable()
        return world

    def clock(self) -> int:
        """Now in epoch ms for a change: never inside the history, never going backwards."""
        moment = max(now_ms() + self.clock_offset_ms, self.anchor_ms + 1, self._last_change_ms)
        self._last_change_ms = moment
        return moment

    def advance_clock(self, seconds: float) -> int:
        """Move the world's clock `seconds` on (never back); the new time in epoch ms."""
        if seconds < 0:
            raise ValueError("the sandbox's clock only moves forwards")
        with self.lock:
            self.clock_offset_ms += round(seconds * 1000)
            return self.clock()

    def apply_changes(self, count: int) -> list[dict[str, Any]]:
        """Apply `count` random live changes now and describe each one."""
        with self.lock:
            done = apply_changes(self, count)
            self.changes_applied += len(done)
            return done

    def workbooks_changed(self, path: str, records: Iterable[Any]) -> None:
        """Call after creating or changing records of the Workbooks endpoint `path` (e.g.
        "crm/people"), holding the lock: re-indexes them and bumps `workbooks_version`.
        Live changes never touch Workbooks; only its API writes (and their faults) do."""
        self.workbooks_index.changed(self, path, records)

    def add_state(self, state: SequenceState) -> None:
        """Register a new sequence state and its relationship indexes."""
        self.sequence_states.add(state)
        self.states_by_prospect.setdefault(state.prospect_id, []).append(state.id)
        self.states_by_sequence.setdefault(state.sequence_id, []).append(state.id)

    def prospects_with_email(self, email: str) -> list[int]:
        """Ids of the prospects with this email address, ignoring case."""
        if self._prospects_by_email is None:
            # Built on first use: most runs never look prospects up by email, and the index
            # costs about 15 MB for 100,000 prospects. Emails never change after generation.
            index: dict[str, list[int]] = {}
            for prospect in self.prospects:
                index.setdefault(prospect.email.lower(), []).append(prospect.id)
            self._prospects_by_email = index
        return self._prospects_by_email.get(email.strip().lower(), [])

    def prospect_emails_changed(self) -> None:
        """Call after creating or deleting a prospect or changing its emails (holding the lock):
        the email index is rebuilt on next use."""
        self._prospects_by_email = None

    def stats(self) -> dict[str, Any]:
        """Counts of everything, for the admin API and the tests."""
        with self.lock:
            by_value: dict[str, int] = {}
            for state in self.sequence_states:
                by_value[state.state] = by_value.get(state.state, 0) + 1
            return {
                "seed": self.seed,
                "people": len(self.people),
                "organisations": len(self.organisations),
                "prospects": len(self.prospects),
                "accounts": len(self.accounts),
                "sequences": len(self.sequences),
                "sequenceSteps": len(self.sequence_steps),
                "sequenceStates": len(self.sequence_states),
                "stages": len(self.stages),
                "states_by_value": dict(sorted(by_value.items())),
                "opted_out_prospects": sum(1 for p in self.prospects if p.opted_out),
                "changes_applied": self.changes_applied,
                # what the two-way sync creates (so tests can tell a record made twice)
                "opportunities": len(self.opportunities),
                "workbooks_opportunities": len(self.crm_opportunities),
                "workbooks_tasks": len(self.crm_tasks),
                "workbooks_activities": len(self.crm_activities),
            }
