"""Watching the GatorMail queue: read Workbooks and Spotler, work out each mailshot's state, keep
the timeline in the cache, and say when to look again.

`QueueMonitor.poll_once()` is the whole cycle and has no Qt in it: the window drives it with a
timer, `syncmonitor queue --json` calls it once. Reads are incremental after the first: Workbooks
mailshots changed since the last `updated_at` seen (deleted ones included), Spotler campaigns
created since the last one seen. The API key and the integration switch change rarely and are
read at the idle rate. Every state change is written to the cache's timeline on the cache-writer
thread; a mailshot never leaves the cache, its state says why it left the queue.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from syncmonitor.app.config import MailshotSettings
from syncmonitor.app.errors import UserFacingError
from syncmonitor.connectors.errors import ConnectorError
from syncmonitor.connectors.http.retry import RetryPolicy
from syncmonitor.connectors.spotler import CampaignRecord, SpotlerClient
from syncmonitor.connectors.workbooks.mailshots import MailshotRecord, MailshotsClient
from syncmonitor.domain.mailshots.queue import (
    MailshotFacts,
    QueueSnapshot,
    QueueState,
    Throughput,
    build_snapshot,
)
from syncmonitor.domain.mailshots.rules import ApiKeyFacts
from syncmonitor.domain.timestamps import format_iso, parse_iso, utc_now
from syncmonitor.engine.mailshots.notices import QueueNotices, StateChange
from syncmonitor.engine.mailshots.wording import (
    blank_row,
    describe_change,
    facts_from_row,
    with_campaign,
)
from syncmonitor.engine.runs.notices import NoticeSink
from syncmonitor.engine.runs.workers import in_writer
from syncmonitor.store.database import Database
from syncmonitor.store.mailshots import load_mailshots, save_mailshots
from syncmonitor.store.runs import get_cursor, set_cursor

if TYPE_CHECKING:  # a type only: the run service and its jobs load with the engine, later
    from syncmonitor.engine.runs.service import Remotes

log = logging.getLogger(__name__)

AUDIENCE_TTL_S = 600
STALLED_DELAY_FACTOR = 3  # a stalled queue is read at 3x the busy interval (but never slower
# than idle): nothing moves until someone acts, and then the change should show soon


class QueueNotConfiguredError(UserFacingError):
    """Workbooks or Spotler is not set up, so the queue cannot be read."""

    title = "The mailshot queue is not set up"


@dataclass(frozen=True)
class PollResult:
    """One look at the queue: the snapshot, what changed, when to look again, and what failed."""

    snapshot: QueueSnapshot
    changes: list[StateChange]
    next_delay: float
    error: ConnectorError | None = None
    requests: int = 0  # HTTP requests this poll made (both remotes)


@dataclass
class _Known:
    """What the monitor holds about one mailshot between polls (mirrors its cache row)."""

    row: dict[str, Any]
    facts: MailshotFacts
    dirty: bool = False


class QueueMonitor:
    """The mailshot queue's engine: poll, remember, notify. One per app; not thread-safe (use it
    from one event loop)."""

    def __init__(
        self,
        database: Database,
        remotes: Remotes,
        *,
        settings: MailshotSettings | None = None,
        sink: NoticeSink | None = None,
        clock: Callable[[], datetime] = utc_now,
        policy: RetryPolicy | None = None,
    ) -> None:
        if not remotes.workbooks_base_url or not remotes.workbooks_api_key:
            raise QueueNotConfiguredError(
                "Workbooks is not configured, so the GatorMail queue cannot be read.",
                "Set [workbooks] base_url and the Workbooks API key, or run without a "
                "configuration to use the sandbox.",
            )
        if not remotes.spotler_base_url:
            raise QueueNotConfiguredError(
                "Spotler is not configured, so arrivals in GatorMail cannot be seen.",
                "Set [spotler] base_url and the Spotler consumer key and secret "
                "(SYNCMONITOR_SPOTLER_CONSUMER_KEY / _SECRET or Settings).",
            )
        self.database = database
        self.remotes = remotes
        self.settings = settings or MailshotSettings()
        self.notices = QueueNotices(sink)
        self.clock = clock
        self.policy = policy
        self.throughput = Throughput()
        self.snapshot: QueueSnapshot | None = None
        self.busy = False  # a fix is under way: poll at the busy rate
        self._known: dict[int, _Known] | None = None
        self._pending_events: list[dict[str, Any]] = []
        self._wb_mark: datetime | None = None
        self._spotler_mark: datetime | None = None
        self._campaigns: dict[str, CampaignRecord] = {}  # by Workbooks mailshot id
        self._audiences: dict[int, tuple[int, float]] = {}  # list id -> (size, read at)
        self._key: ApiKeyFacts | None = None
        self._running: bool | None = None
        self._slow_read_at = 0.0
        self.status_every = self.settings.idle_poll_seconds  # API key and integration switch
        self._workbooks: MailshotsClient | None = None
        self._spotler: SpotlerClient | None = None

    # clients ------------------------------------------------------------------------------------

    @property
    def workbooks(self) -> MailshotsClient:
        if self._workbooks is None:
            assert self.remotes.workbooks_base_url and self.remotes.workbooks_api_key
            self._workbooks = MailshotsClient(
                self.remotes.workbooks_base_url, self.remotes.workbooks_api_key, policy=self.policy
            )
        return self._workbooks

    @property
    def spotler(self) -> SpotlerClient:
        if self._spotler is None:
            assert self.remotes.spotler_base_url
            self._spotler = SpotlerClient(
                self.remotes.spotler_base_url,
                self.remotes.spotler_consumer_key or "",
                self.remotes.spotler_consumer_secret or "",
                policy=self.policy,
            )
        return self._spotler

    def requests_made(self) -> int:
        """HTTP requests sent so far, both remotes (retries and redirects included)."""
        return sum(c.stats.requests for c in (self._workbooks, self._spotler) if c is not None)

    async def aclose(self) -> None:
        for client in (self._workbooks, self._spotler):
            if client is not None:
                await client.aclose()
        self._workbooks = self._spotler = None

    # the cycle ----------------------------------------------------------------------------------

    async def poll_once(self) -> PollResult:
        """Read what changed, update states and the timeline, notify; say when to poll next.

        A remote that fails leaves the last snapshot in place and comes back as `error`, with the
        idle delay (the connectors already retried what could succeed on a second try)."""
        before = self.requests_made()
        await self._load()
        try:
            await self._read_remotes()
        except ConnectorError as error:
            log.warning("Reading the GatorMail queue failed: %s", error)
            snapshot = self.snapshot or self._build()
            # The connectors already retried; look again at the stalled rate, not at once.
            delay = min(
                self.settings.idle_poll_seconds,
                self.settings.busy_poll_seconds * STALLED_DELAY_FACTOR,
            )
            return PollResult(snapshot, [], delay, error, self.requests_made() - before)
        result = await self._settle()
        return replace(result, requests=self.requests_made() - before)

    async def refresh_mailshot(self, mailshot_id: int) -> PollResult:
        """Read one mailshot again now (and Spotler's new arrivals): "sync this one now"."""
        before = self.requests_made()
        await self._load()
        try:
            record = await self.workbooks.read_mailshot(mailshot_id)
            if record is not None:
                await self.absorb([record])
            await self._read_campaigns()
        except ConnectorError as error:
            snapshot = self.snapshot or self._build()
            return PollResult(snapshot, [], self.settings.idle_poll_seconds, error)
        result = await self._settle()
        return replace(result, requests=self.requests_made() - before)

    async def _settle(self) -> PollResult:
        def compute() -> tuple[QueueSnapshot, list[StateChange]]:
            snapshot = self._build()
            return snapshot, self._record_changes(snapshot)

        # Tens of milliseconds with thousands of mailshots: off the event loop (the window's),
        # which must never stall for more than a frame. Nothing else touches the monitor's state
        # meanwhile: one poll or action at a time.
        snapshot, changes = await asyncio.to_thread(compute)
        self.snapshot = snapshot
        await self._flush()
        self.notices.after_poll(snapshot, changes)
        return PollResult(snapshot, changes, self.next_delay(snapshot))

    def next_delay(self, snapshot: QueueSnapshot) -> float:
        """Fast while mailshots move, slower while stalled, slowest when nothing is queued."""
        busy, idle = self.settings.busy_poll_seconds, self.settings.idle_poll_seconds
        if self.busy:
            return busy
        if not snapshot.in_queue:
            return idle
        if snapshot.queue_problem is not None:
            return min(idle, busy * STALLED_DELAY_FACTOR)
        return busy

    # reading ------------------------------------------------------------------------------------

    async def _load(self) -> None:
        if self._known is not None:
            return

        def read() -> tuple[list[dict[str, Any]], str | None, str | None]:
            with self.database.engine.connect() as conn:
                return (
                    load_mailshots(conn),
                    get_cursor(conn, "mailshots.workbooks_updated_at"),
                    get_cursor(conn, "mailshots.spotler_created"),
                )

        rows, wb_mark, spotler_mark = await in_writer(read)
        self._known = {int(r["id"]): _Known(r, facts_from_row(r)) for r in rows}
        self._wb_mark, self._spotler_mark = parse_iso(wb_mark), parse_iso(spotler_mark)
        for row in rows:  # the throughput learnt before a restart
            start, end = parse_iso(row["syncing_since"]), parse_iso(row["arrived_at"])
            if row["state"] == QueueState.ARRIVED and start and end and row["audience"] is not None:
                self.throughput.add(int(row["audience"]), (end - start).total_seconds())

    async def _read_remotes(self) -> None:
        records = await self.workbooks.list_mailshots(self._wb_mark)
        await self.absorb(records)
        await self._read_campaigns()
        # The key and the switch change rarely: read at the idle rate, or at the stalled rate
        # while mailshots wait (a queue standing still is when they matter).
        every = self.status_every
        if self.snapshot is not None and self.snapshot.in_queue:
            every = min(every, self.settings.busy_poll_seconds * STALLED_DELAY_FACTOR)
        if time.monotonic() - self._slow_read_at >= every or (
            self._key is None and self._running is None
        ):
            self._key = await self.workbooks.gatormail_api_key()
            self._running = await self.spotler.integration_running()
            self._slow_read_at = time.monotonic()

    async def _read_campaigns(self) -> None:
        async for page in self.spotler.iter_campaigns(self._spotler_mark):
            for campaign in page:
                if campaign.external_id is not None:
                    self._campaigns[campaign.external_id] = campaign
                if campaign.created and (
                    self._spotler_mark is None or campaign.created > self._spotler_mark
                ):
                    self._spotler_mark = campaign.created

    async def absorb(self, records: Sequence[MailshotRecord]) -> None:
        """Take in mailshot records read from Workbooks (by a poll or an action)."""
        known = self._known
        assert known is not None
        now = self.clock()
        for record in records:
            if record.updated_at and (self._wb_mark is None or record.updated_at > self._wb_mark):
                self._wb_mark = record.updated_at
            entry = known.get(record.id)
            if entry is None:
                row = {
                    "id": record.id,
                    "state": "",
                    "first_seen_at": format_iso(now),
                    "deleted": False,
                    "lock_version": 0,
                }
                for name in ("audience", "syncing_since", "arrived_at", "reason", "copy_of"):
                    row[name] = None
                row.update(replaced_by=None, fix_reference=None, campaign_id=None)
                entry = known[record.id] = _Known(row, facts_from_row(blank_row(row)))
            row = entry.row
            row.update(
                name=record.name,
                status=record.status,
                lock_version=record.lock_version,
                mailing_list_id=record.mailing_list_id,
                queued_at=format_iso(record.queued_at) if record.queued_at else None,
                sync_error=record.sync_error,
                deleted=record.is_deleted,
                updated_at=format_iso(record.updated_at) if record.updated_at else None,
            )
            if record.campaign_id and not row.get("campaign_id"):
                row["campaign_id"] = record.campaign_id
            entry.dirty = True
        await self._read_audiences()

    async def _read_audiences(self) -> None:
        assert self._known is not None
        now = time.monotonic()
        wanted = {
            k.row["mailing_list_id"]
            for k in self._known.values()
            if k.row["mailing_list_id"] is not None
            and (k.row["status"] in ("Queued", "Synchronising") and not k.row["deleted"])
        }
        for list_id in wanted:
            cached = self._audiences.get(list_id)
            if cached is None or now - cached[1] > AUDIENCE_TTL_S:
                self._audiences[list_id] = (await self.workbooks.audience(list_id), now)
        for entry in self._known.values():
            list_id = entry.row["mailing_list_id"]
            if list_id in self._audiences and QueueState(entry.row["state"] or "waiting") not in (
                QueueState.ARRIVED,
                QueueState.REMOVED,
            ):
                size = self._audiences[list_id][0]
                if entry.row["audience"] != size:
                    entry.row["audience"] = size
                    entry.dirty = True

    # states and the timeline --------------------------------------------------------------------

    def _build(self) -> QueueSnapshot:
        known = self._known or {}
        facts = []
        for entry in known.values():
            # Facts are rebuilt only for what changed: 5,000 mailshots are read every few seconds.
            if entry.dirty or (
                entry.facts.campaign_id is None and str(entry.facts.id) in self._campaigns
            ):
                entry.facts = facts_from_row(with_campaign(entry.row, self._campaigns))
            facts.append(entry.facts)
        since = {
            k.facts.id: t
            for k in known.values()
            if (t := parse_iso(k.row["syncing_since"])) is not None
        }
        previous = {
            k.facts.id: QueueState(k.row["state"]) for k in known.values() if k.row["state"]
        }
        return build_snapshot(
            facts,
            now=self.clock(),
            key=self._key,
            integration_running=self._running,
            throughput=self.throughput,
            syncing_since=since,
            previous=previous,
        )

    def _record_changes(self, snapshot: QueueSnapshot) -> list[StateChange]:
        assert self._known is not None
        now = self.clock()
        changes: list[StateChange] = []
        for item in snapshot.items:
            entry = self._known[item.id]
            row = entry.row
            arrived = format_iso(item.facts.arrived_at) if item.facts.arrived_at else None
            if (row["campaign_id"], row["arrived_at"]) != (item.facts.campaign_id, arrived):
                row["campaign_id"], row["arrived_at"] = item.facts.campaign_id, arrived
                row["audience"] = item.facts.audience
                entry.dirty = True
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
            self._pending_events.append(
                {
                    "mailshot_id": item.id,
                    "at": format_iso(now),
                    "state": item.state.value,
                    "detail": row["reason"] if leaving else detail,
                    "source": source,
                }
            )
            changes.append(
                StateChange(
                    item.id,
                    item.facts.name,
                    before,
                    item.state,
                    row["reason"] if leaving else detail,
                )
            )
        return changes

    def _learn(self, row: dict[str, Any], facts: MailshotFacts) -> None:
        """An arrival seen through the queue: how long it took, for the ETAs."""
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
        self._pending_events.append(
            {
                "mailshot_id": mailshot_id,
                "at": format_iso(self.clock()),
                "state": state,
                "detail": detail,
                "source": "Sync Monitor",
            }
        )

    def known_row(self, mailshot_id: int) -> dict[str, Any] | None:
        if self._known is None or mailshot_id not in self._known:
            return None
        return self._known[mailshot_id].row

    def mark_dirty(self, mailshot_id: int) -> None:
        if self._known is not None and mailshot_id in self._known:
            self._known[mailshot_id].dirty = True

    async def _flush(self) -> None:
        """Write changed rows, new events and the read marks in one transaction."""
        assert self._known is not None
        rows = [dict(k.row) for k in self._known.values() if k.dirty]
        events, self._pending_events = self._pending_events, []
        wb_mark = format_iso(self._wb_mark) if self._wb_mark else None
        spotler_mark = format_iso(self._spotler_mark) if self._spotler_mark else None
        for k in self._known.values():
            k.dirty = False
        if not rows and not events:
            return

        def write() -> None:
            with self.database.engine.begin() as conn:
                save_mailshots(conn, rows, events)
                if wb_mark:
                    set_cursor(conn, "mailshots.workbooks_updated_at", wb_mark)
                if spotler_mark:
                    set_cursor(conn, "mailshots.spotler_created", spotler_mark)

        await in_writer(write)

    async def save(self) -> None:
        """Write what is pending now (after a fix step)."""
        await self._flush()
