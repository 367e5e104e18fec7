"""Watching the GatorMail queue: read Workbooks and Spotler, work out each mailshot's state, keep
the timeline in the cache, and say when to look again.

`QueueMonitor.poll_once()` is the whole cycle and has no Qt in it: the window drives it with a
timer, `syncmonitor queue --json` calls it once. Only documented reads are polled (see
docs/remote-contract.md, "GatorMail queue"): Workbooks mailshots changed since the last
`updated_at` seen (deleted ones included) and their mailing lists' sizes; the status values once
(metadata and picklist); Spotler's campaign list and mailings while something waits. Each read is
isolated (`reads.ReadBook`): one failing read leaves the figures it backs as they were and says
so, the others keep updating. The API key and 'Integration running' have no API: each is probed
once (an account might offer a read) and otherwise shown as not readable, with what an admin
recorded having seen. Every state change is written to the cache's timeline on the cache-writer
thread; a mailshot never leaves the cache, its state says why it left the queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from syncmonitor.app.config import MailshotSettings
from syncmonitor.app.errors import UserFacingError
from syncmonitor.connectors.errors import ConnectorError
from syncmonitor.connectors.http.retry import RetryPolicy
from syncmonitor.connectors.spotler import SpotlerClient
from syncmonitor.connectors.workbooks.mailshots import MailshotRecord, MailshotsClient
from syncmonitor.domain.mailshots.queue import (
    IN_QUEUE_ROLES,
    QueueSnapshot,
    QueueState,
    Throughput,
)
from syncmonitor.domain.mailshots.rules import ApiKeyFacts
from syncmonitor.domain.mailshots.statuses import StatusMeanings, StatusRole
from syncmonitor.domain.timestamps import format_iso, parse_iso, utc_now
from syncmonitor.engine.mailshots import reads as R
from syncmonitor.engine.mailshots.arrivals import CampaignBook
from syncmonitor.engine.mailshots.checks import load_meanings, save_meanings
from syncmonitor.engine.mailshots.notices import QueueNotices, StateChange
from syncmonitor.engine.mailshots.timeline import QueueTimeline, _Known
from syncmonitor.engine.mailshots.wording import (
    blank_row,
)
from syncmonitor.engine.runs.notices import NoticeSink
from syncmonitor.engine.runs.workers import in_writer
from syncmonitor.store.database import Database
from syncmonitor.store.mailshots import AdminCheck, latest_checks, load_mailshots, save_mailshots
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


def not_configured(remotes: Remotes) -> QueueNotConfiguredError | None:
    """Why the queue cannot be read with these remotes (Workbooks or Spotler missing), or None."""
    if not remotes.workbooks_base_url or not remotes.workbooks_api_key:
        return QueueNotConfiguredError(
            "Workbooks is not configured, so the GatorMail queue cannot be read.",
            "Set the Workbooks address ([workbooks] base_url) and API key in Settings > "
            "Connections, or run without a configuration to use the sandbox.",
        )
    if not remotes.spotler_base_url:
        return QueueNotConfiguredError(
            "Spotler is not configured, so arrivals in GatorMail cannot be seen.",
            "Set the Spotler address ([spotler] base_url), consumer key and secret in Settings "
            "> Connections (or SYNCMONITOR_SPOTLER_CONSUMER_KEY / _SECRET for headless use).",
        )
    return None


@dataclass(frozen=True)
class PollResult:
    """One look at the queue: the snapshot, what changed, when to look again, and what failed."""

    snapshot: QueueSnapshot
    changes: list[StateChange]
    next_delay: float
    error: ConnectorError | None = None  # the Workbooks mailshot read failed (nothing is new)
    requests: int = 0  # HTTP requests this poll made (both remotes)


class QueueMonitor(QueueTimeline):
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
        problem = not_configured(remotes)
        if problem is not None:
            raise problem
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
        self.book = CampaignBook()  # what Spotler listed, and since when
        self.reads = R.ReadBook()
        self.meanings = StatusMeanings({})
        self._statuses_read = False
        self._statuses_tried_at = 0.0
        self._checks: dict[str, AdminCheck] = {}
        self._remarks: dict[int, tuple[str, ...]] = {}  # per mailshot, from this poll's matching
        self._told: dict[int, set[str]] = {}  # remarks already in each timeline
        self._audiences: dict[int, tuple[int, float]] = {}  # list id -> (size, read at)
        # The API key and 'Integration running': no documented read. Probed once each; only an
        # account that answers is read again (at `status_every`).
        self._key: ApiKeyFacts | None = None
        self._running: bool | None = None
        self._probed: dict[str, bool] = {}  # probe name -> the account offers it
        self._slow_read_at = 0.0
        self._started_at: datetime | None = None
        self.status_every = self.settings.idle_poll_seconds
        self._workbooks: MailshotsClient | None = None
        self._spotler: SpotlerClient | None = None
        # Settings saved while the monitor runs: taken at the start of the next poll, refresh
        # or action, never in the middle of one (a read in flight finishes on the old ones).
        self._next: tuple[Remotes, MailshotSettings] | None = None
        self._acting = False
        self.settings_taken = 0  # how many times new settings were taken (the page tells it)

    # settings -----------------------------------------------------------------------------------

    def configure(self, remotes: Remotes, settings: MailshotSettings | None = None) -> None:
        """New addresses, credentials or [mailshots] intervals: the next poll, refresh or action
        uses them; one under way finishes on the old ones. Raises QueueNotConfiguredError (and
        keeps the old ones) when Workbooks or Spotler is missing from `remotes`.

        May be called from another thread (Settings applies them off the GUI thread): it only
        swaps one attribute, which the monitor's own loop picks up."""
        problem = not_configured(remotes)
        if problem is not None:
            raise problem
        self._next = (remotes, settings or MailshotSettings())

    async def take_new_settings(self) -> bool:
        """Start using settings given to `configure` (between operations only); True if any."""
        pending = self._next
        if pending is None or self._acting:
            return False
        self._next = None
        remotes, settings = pending
        old_wb = (self.remotes.workbooks_base_url, self.remotes.workbooks_api_key)
        old_sp = (
            self.remotes.spotler_base_url,
            self.remotes.spotler_consumer_key,
            self.remotes.spotler_consumer_secret,
        )
        self.remotes, self.settings = remotes, settings
        self.status_every = settings.idle_poll_seconds
        new_wb = (remotes.workbooks_base_url, remotes.workbooks_api_key)
        new_sp = (
            remotes.spotler_base_url,
            remotes.spotler_consumer_key,
            remotes.spotler_consumer_secret,
        )
        if new_wb != old_wb and self._workbooks is not None:
            await self._workbooks.aclose()
            self._workbooks = None
        if new_sp != old_sp and self._spotler is not None:
            await self._spotler.aclose()
            self._spotler = None
        if new_wb != old_wb or new_sp != old_sp:
            # Another key or account may answer what the old one could not: ask again.
            self._probed.clear()
            self._statuses_read = False
            self._statuses_tried_at = 0.0
            self._audiences.clear()
        self.settings_taken += 1
        log.info("The queue monitor uses the new settings from this read on")
        return True

    @contextlib.asynccontextmanager
    async def action(self) -> AsyncIterator[None]:
        """One action (Fix name, Queue again, Cancel) on one set of settings from start to end:
        new settings are taken before it starts, never between its steps."""
        await self.take_new_settings()
        self._acting = True
        try:
            yield
        finally:
            self._acting = False

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

        Each read is isolated. When the Workbooks mailshot read itself fails the last snapshot
        stays (with the failure said) and comes back as `error`; any other failing read only
        marks its own figures stale (the connectors already retried what could succeed)."""
        await self.take_new_settings()
        before = self.requests_made()
        await self._load()
        ok = await self._read_remotes()
        result = await self._settle()
        if not ok:
            error = self._last_error
            delay = min(
                self.settings.idle_poll_seconds,
                self.settings.busy_poll_seconds * STALLED_DELAY_FACTOR,
            )
            return replace(
                result, error=error, next_delay=delay, requests=self.requests_made() - before
            )
        return replace(result, requests=self.requests_made() - before)

    async def refresh_mailshot(self, mailshot_id: int) -> PollResult:
        """Read one mailshot again now (and Spotler's arrivals): "sync this one now"."""
        await self.take_new_settings()
        before = self.requests_made()
        await self._load()
        now = self.clock()
        ok, record = await self.reads.run(
            R.WB_MAILSHOTS, now, lambda: self.workbooks.read_mailshot(mailshot_id)
        )
        if ok and record is not None:
            await self.absorb([record])
        self._last_error = self.reads.error_of(R.WB_MAILSHOTS)
        await self._read_spotler(force=True)
        result = await self._settle()
        if not ok:
            return replace(
                result,
                error=self._last_error,
                next_delay=self.settings.idle_poll_seconds,
                requests=self.requests_made() - before,
            )
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

        def read() -> tuple[list[dict[str, Any]], str | None, StatusMeanings, dict[str, Any]]:
            with self.database.engine.connect() as conn:
                return (
                    load_mailshots(conn),
                    get_cursor(conn, "mailshots.workbooks_updated_at"),
                    load_meanings(conn),
                    latest_checks(conn),
                )

        self._started_at = self.clock()
        rows, wb_mark, meanings, checks = await in_writer(read)
        self.meanings, self._checks = meanings, checks
        self._known = {int(r["id"]): _Known(r, self._facts(r)) for r in rows}
        self._wb_mark = parse_iso(wb_mark)
        for row in rows:  # the throughput learnt before a restart
            start, end = parse_iso(row["syncing_since"]), parse_iso(row["arrived_at"])
            if row["state"] == QueueState.ARRIVED and start and end and row["audience"] is not None:
                self.throughput.add(int(row["audience"]), (end - start).total_seconds())

    _last_error: ConnectorError | None = None

    async def _read_remotes(self) -> bool:
        """Every read of one poll, each isolated; False when the mailshot read itself failed."""
        now = self.clock()
        due = time.monotonic() - self._statuses_tried_at >= self.settings.idle_poll_seconds
        if not self._statuses_read and (due or not self._statuses_tried_at):
            self._statuses_tried_at = time.monotonic()  # a failing read is retried at idle pace
            found, values = await self.reads.run(R.WB_STATUSES, now, self.workbooks.status_values)
            if found:
                self._statuses_read = True
                if values is not None:
                    self._learn_statuses(values.values, values.source)
        mark = self._wb_mark
        ok, records = await self.reads.run(
            R.WB_MAILSHOTS, now, lambda: self.workbooks.list_mailshots(mark)
        )
        self._last_error = self.reads.error_of(R.WB_MAILSHOTS)
        if ok and records is not None:
            await self.absorb(records)
        await self._read_spotler()
        await self._probe()
        return ok

    async def _read_spotler(self, force: bool = False) -> None:
        """Campaigns while a mailshot waits for its arrival (and on the first poll, to learn what
        was there before); mailings when the campaigns cannot tell."""
        assert self._known is not None
        looking = IN_QUEUE_ROLES | {StatusRole.SYNCED}
        waiting = [
            k.row
            for k in self._known.values()
            if not k.row["deleted"]
            and not k.row.get("campaign_id")
            and self.meanings.role(k.row["status"] or "") in looking
            and k.row["state"] in ("", "waiting", "syncing", "blocked")
        ]
        first = self.book.watching_since is None
        if not (waiting or force or first):
            return
        now = self.clock()
        found, campaigns = await self.reads.run(R.SP_CAMPAIGNS, now, self.spotler.campaigns)
        if found and campaigns is not None:
            self.book.take_campaigns(campaigns, now)
        # Mailings back the campaigns up: read when the campaign list failed, or when Workbooks
        # says a waiting mailshot is done but no campaign of its name was found (renamed?).
        done = [r for r in waiting if self.meanings.role(r["status"] or "") is StatusRole.SYNCED]
        if not (self.reads.failed(R.SP_CAMPAIGNS) or done):
            return
        queued = [t for row in waiting if (t := parse_iso(row["queued_at"])) is not None]
        if queued:
            start = min(queued) - timedelta(hours=1)
            found, mailings = await self.reads.run(
                R.SP_MAILINGS, now, lambda: self.spotler.mailings(start, now + timedelta(days=1))
            )
            if found and mailings is not None:
                self.book.take_mailings(mailings, now)

    async def _probe(self) -> None:
        """The API key and 'Integration running': no documented read. Probe each once; read again
        only where the account answered."""
        if self._probed and not any(self._probed.values()):
            return
        every = self.status_every
        if self.snapshot is not None and self.snapshot.in_queue:
            every = min(every, self.settings.busy_poll_seconds * STALLED_DELAY_FACTOR)
        if self._probed and time.monotonic() - self._slow_read_at < every:
            return
        now = self.clock()
        self._slow_read_at = time.monotonic()
        if self._probed.get(R.PROBE_KEY, True):
            ok, key = await self.reads.run(R.PROBE_KEY, now, self.workbooks.probe_api_key)
            self._probed[R.PROBE_KEY] = ok and key is not None
            self._key = key if ok else None
            if not self._probed[R.PROBE_KEY]:
                self._forget(R.PROBE_KEY)
        if self._probed.get(R.PROBE_INTEGRATION, True):
            ok, running = await self.reads.run(
                R.PROBE_INTEGRATION, now, self.spotler.integration_running
            )
            self._probed[R.PROBE_INTEGRATION] = ok and running is not None
            self._running = running if ok else None
            if not self._probed[R.PROBE_INTEGRATION]:
                self._forget(R.PROBE_INTEGRATION)

    async def arrived(self, mailshot_id: int) -> bool:
        """Has this mailshot's campaign appeared in Spotler (read now)? Raises the read's error
        when Spotler cannot be asked."""
        await self._read_spotler(force=True)
        error = self.reads.error_of(R.SP_CAMPAIGNS)
        if error is not None:
            raise error
        self._match_arrivals()
        row = self.known_row(mailshot_id)
        return row is not None and bool(row.get("campaign_id"))

    def _forget(self, probe: str) -> None:
        """A probe answered 404 or was refused (401, 403, 405...): the account has no such read;
        not a failure to show, and never tried again this session."""
        self.reads.drop(probe)

    def _learn_statuses(self, values: Sequence[str], source: str) -> None:
        before = set(self.meanings.values)
        self.meanings = self.meanings.with_values(values, source, format_iso(self.clock()))
        if set(self.meanings.values) != before:
            self._meanings_dirty = True

    _meanings_dirty = False

    async def absorb(self, records: Sequence[MailshotRecord]) -> None:
        """Take in mailshot records read from Workbooks (by a poll or an action)."""
        known = self._known
        assert known is not None
        now = self.clock()
        self._learn_statuses(
            [r.status for r in records if r.status],
            "seen on a mailshot",
        )
        for record in records:
            if record.updated_at and (self._wb_mark is None or record.updated_at > self._wb_mark):
                self._wb_mark = record.updated_at
            entry = known.get(record.id)
            if entry is None:
                row: dict[str, Any] = {
                    "id": record.id,
                    "state": "",
                    "first_seen_at": format_iso(now),
                    "deleted": False,
                    "lock_version": 0,
                }
                for name in ("audience", "syncing_since", "arrived_at", "reason", "copy_of"):
                    row[name] = None
                row.update(replaced_by=None, fix_reference=None, campaign_id=None)
                row = blank_row(row)
                entry = known[record.id] = _Known(row, self._facts(row))
            row = entry.row
            was_queued = self.meanings.role(str(row.get("status") or "")) in IN_QUEUE_ROLES
            queued_now = self.meanings.role(record.status) in IN_QUEUE_ROLES
            if queued_now and (not was_queued or not row.get("queued_at")):
                # Inferred: Synchronise was pressed in the save that set this status.
                stamp = record.updated_at or now
                row["queued_at"] = format_iso(stamp)
                if row.get("campaign_id") and row.get("state") != QueueState.ARRIVED:
                    row["campaign_id"] = row["matched_by"] = None
            row.update(
                name=record.name,
                status=record.status,
                lock_version=record.lock_version,
                mailing_list_id=record.mailing_list_id,
                deleted=record.is_deleted,
                updated_at=format_iso(record.updated_at) if record.updated_at else None,
                subject=record.subject,
            )
            entry.dirty = True
        await self._read_audiences()

    async def _read_audiences(self) -> None:
        assert self._known is not None
        now = time.monotonic()
        wanted = {
            k.row["mailing_list_id"]
            for k in self._known.values()
            if k.row["mailing_list_id"] is not None
            and not k.row["deleted"]
            and self.meanings.role(k.row["status"] or "") in IN_QUEUE_ROLES
        }
        for list_id in wanted:
            cached = self._audiences.get(list_id)
            if cached is None or now - cached[1] > AUDIENCE_TTL_S:
                ok, size = await self.reads.run(
                    R.WB_AUDIENCES,
                    self.clock(),
                    functools.partial(self.workbooks.audience, list_id),
                )
                if not ok or size is None:
                    break  # the rest keep their last size; the page says why
                self._audiences[list_id] = (size, now)
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

    async def record_key_check(self, until: datetime | None, enabled: bool = True) -> None:
        """An admin looked at the GatorMail key in Workbooks: its Until date (None: blank)."""
        await self.record_check(
            AdminCheck(
                "api_key", format_iso(self.clock()), format_iso(until) if until else None, enabled
            )
        )

    async def record_integration_check(self, running: bool) -> None:
        """An admin looked at 'Integration running' in GatorMail (Tools > Integration > General)."""
        await self.record_check(AdminCheck("integration", format_iso(self.clock()), None, running))

    def status_meanings(self) -> StatusMeanings:
        """Every status value known and what it means (for Settings > Queue statuses)."""
        return self.meanings

    async def record_check(self, check: AdminCheck) -> None:
        """What an admin saw where no API reads it (the key's Until date, the integration)."""
        from syncmonitor.store.mailshots import add_check

        def write() -> None:
            with self.database.engine.begin() as conn:
                add_check(conn, check)

        await in_writer(write)
        self._checks[check.kind] = check

    async def confirm_statuses(self, roles: dict[str, StatusRole]) -> None:
        """The admin's answer in Settings: what each status value means."""
        await self._load()
        self.meanings = self.meanings.confirmed(roles)
        self._meanings_dirty = True
        for entry in (self._known or {}).values():
            entry.dirty = True
        await self._flush()

    async def _flush(self) -> None:
        """Write changed rows, new events, status values and the read mark in one transaction."""
        assert self._known is not None
        rows = [dict(k.row) for k in self._known.values() if k.dirty]
        events, self._pending_events = self._pending_events, []
        wb_mark = format_iso(self._wb_mark) if self._wb_mark else None
        meanings = self.meanings if self._meanings_dirty else None
        self._meanings_dirty = False
        for k in self._known.values():
            k.dirty = False
        if not rows and not events and meanings is None:
            return

        def write() -> None:
            with self.database.engine.begin() as conn:
                save_mailshots(conn, rows, events)
                if meanings is not None:
                    save_meanings(conn, meanings)
                if wb_mark:
                    set_cursor(conn, "mailshots.workbooks_updated_at", wb_mark)

        await in_writer(write)

    async def save(self) -> None:
        """Write what is pending now (after a fix step)."""
        await self._flush()
