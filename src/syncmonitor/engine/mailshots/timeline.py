"""The queue's states and timeline, as the monitor keeps them between polls: facts rebuilt from the
cache rows, Spotler matches by name, the notes of one poll, the snapshot, and one timeline event
per state change (kept in the cache by the monitor's flush). A mixin of `QueueMonitor`, which
owns the attributes declared here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from syncmonitor.domain.mailshots.queue import (
    MailshotFacts,
    Problem,
    QueueSnapshot,
    QueueState,
    Throughput,
    build_snapshot,
    unknown_status_message,
)
from syncmonitor.domain.mailshots.rules import ApiKeyFacts
from syncmonitor.domain.mailshots.statuses import StatusMeanings, StatusRole
from syncmonitor.domain.timestamps import format_iso, parse_iso
from syncmonitor.engine.mailshots import reads as R
from syncmonitor.engine.mailshots.arrivals import CampaignBook, match_rows
from syncmonitor.engine.mailshots.checks import checks_facts
from syncmonitor.engine.mailshots.notices import StateChange
from syncmonitor.engine.mailshots.wording import (
    BOTH_UNREADABLE,
    INTEGRATION_UNREADABLE,
    KEY_UNREADABLE,
    describe_change,
    facts_from_row,
)
from syncmonitor.store.mailshots import AdminCheck


@dataclass
class _Known:
    """What the monitor holds about one mailshot between polls (mirrors its cache row)."""

    row: dict[str, Any]
    facts: MailshotFacts
    dirty: bool = False


class QueueTimeline:
    """States and timeline (see the module); the attributes are the monitor's."""

    _known: dict[int, _Known] | None
    _pending_events: list[dict[str, Any]]
    _told: dict[int, set[str]]
    _remarks: dict[int, tuple[str, ...]]
    _checks: dict[str, AdminCheck]
    _key: ApiKeyFacts | None
    _running: bool | None
    _probed: dict[str, bool]
    _started_at: datetime | None
    throughput: Throughput
    meanings: StatusMeanings
    book: CampaignBook
    reads: R.ReadBook
    clock: Callable[[], datetime]

    def _facts(self, row: dict[str, Any]) -> MailshotFacts:
        facts = facts_from_row(row, self.meanings)
        remarks = self._remarks.get(facts.id)
        return replace(facts, remarks=remarks) if remarks else facts

    # states and the timeline --------------------------------------------------------------------

    def _match_arrivals(self) -> list[Problem]:
        """Match waiting mailshots to Spotler campaigns by name (see arrivals.match_rows)."""
        assert self._known is not None
        rows = {k.facts.id: k.row for k in self._known.values()}
        changed, self._remarks = match_rows(
            rows, self.meanings, self.book, self.clock(), self.reads.failed(R.SP_CAMPAIGNS)
        )
        for mailshot_id in changed | set(self._remarks):
            self._known[mailshot_id].dirty = True
        return []

    def _notes(self) -> list[Problem]:
        notes = self.reads.problems()
        guess = self.meanings.guess_note()
        if guess:
            notes.append(Problem("status_guess", guess))
        for value in self.meanings.unknown_values():
            notes.append(Problem("unknown_status", unknown_status_message(value, "The")))
        key = not self._probed.get(R.PROBE_KEY) and "api_key" not in self._checks
        integration = (
            not self._probed.get(R.PROBE_INTEGRATION) and "integration" not in self._checks
        )
        if key and integration:
            notes.append(Problem("unreadable", BOTH_UNREADABLE))
        elif key:
            notes.append(Problem("key_unreadable", KEY_UNREADABLE))
        elif integration:
            notes.append(Problem("integration_unreadable", INTEGRATION_UNREADABLE))
        return notes

    def _build(self) -> QueueSnapshot:
        known = self._known or {}
        notes = self._match_arrivals() + self._notes()
        facts = []
        for entry in known.values():
            # Facts are rebuilt only for what changed: 5,000 mailshots are read every few seconds.
            if entry.dirty:
                entry.facts = self._facts(entry.row)
            facts.append(entry.facts)
        since = {
            k.facts.id: t
            for k in known.values()
            if (t := parse_iso(k.row["syncing_since"])) is not None
        }
        previous = {
            k.facts.id: QueueState(k.row["state"]) for k in known.values() if k.row["state"]
        }
        key, integration = checks_facts(self._checks, self._key, self._running, self._probed)
        return build_snapshot(
            facts,
            now=self.clock(),
            key=key,
            integration=integration,
            throughput=self.throughput,
            syncing_since=since,
            previous=previous,
            syncing_known=self.meanings.has(StatusRole.SYNCING),
            notes=notes,
            reads=self.reads.states(),
            watching_since=self._started_at,
        )

    def _record_changes(self, snapshot: QueueSnapshot) -> list[StateChange]:
        assert self._known is not None
        now = self.clock()
        changes: list[StateChange] = []
        for item in snapshot.items:
            entry = self._known[item.id]
            row = entry.row
            for remark in item.facts.remarks:
                if remark not in self._told.get(item.id, ()):
                    self._told.setdefault(item.id, set()).add(remark)
                    self._event(item.id, row["state"] or item.state.value, remark, "Sync Monitor")
            before = QueueState(row["state"]) if row["state"] else None
            if before is item.state:
                continue
            detail, source = describe_change(item.state, before, item.facts, snapshot)
            if item.state is QueueState.SYNCING and not row["syncing_since"]:
                row["syncing_since"] = format_iso(now)
            if item.state is QueueState.ARRIVED and before is not None and before.in_queue:
                self._learn(row, item.facts)
            if item.state is QueueState.REMOVED and not row["reason"]:
                row["reason"] = "Deleted in Workbooks"
            if item.state is QueueState.CANCELLED and not row["reason"]:
                row["reason"] = "Taken out of the queue in Workbooks (status set back)"
            leaving = item.state in (QueueState.REMOVED, QueueState.CANCELLED)
            if item.state.in_queue:
                row["reason"] = None
            row["state"] = item.state.value
            entry.dirty = True
            said = row["reason"] if leaving else detail
            self._event(item.id, item.state.value, said, source)
            changes.append(StateChange(item.id, item.facts.name, before, item.state, said))
        return changes

    def _event(self, mailshot_id: int, state: str, detail: str, source: str) -> None:
        self._pending_events.append(
            {
                "mailshot_id": mailshot_id,
                "at": format_iso(self.clock()),
                "state": state,
                "detail": detail,
                "source": source,
            }
        )

    def _learn(self, row: dict[str, Any], facts: MailshotFacts) -> None:
        """An arrival seen through the queue: how long it took, for the ETAs (inferred)."""
        assert self._known is not None
        end = facts.arrived_at
        if end is None or facts.audience is None:
            return
        earlier = [
            k.facts.arrived_at
            for k in self._known.values()
            if k.facts.arrived_at is not None and k.facts.arrived_at < end
        ]
        start_candidates = [t for t in (facts.queued_at, max(earlier, default=None)) if t]
        if not start_candidates:
            return
        start = max(start_candidates)  # one at a time: it started when the one before arrived
        row["syncing_since"] = format_iso(start)
        self.throughput.add(facts.audience, (end - start).total_seconds())

    def record_event(self, mailshot_id: int, state: str, detail: str) -> None:
        """Add an event of Sync Monitor's own (a fix step) to the next cache write."""
        self._event(mailshot_id, state, detail, "Sync Monitor")

    def known_row(self, mailshot_id: int) -> dict[str, Any] | None:
        if self._known is None or mailshot_id not in self._known:
            return None
        return self._known[mailshot_id].row

    def mark_dirty(self, mailshot_id: int) -> None:
        if self._known is not None and mailshot_id in self._known:
            self._known[mailshot_id].dirty = True
