"""The one facade the GUI and the CLI use to sync and to read status (Maestral's lesson:
everything the window can do, a script can do)."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import datetime

from syncmonitor.config import Config
from syncmonitor.connectors.errors import ConnectorError
from syncmonitor.connectors.outreach import OutreachClient
from syncmonitor.connectors.retry import RetryPolicy
from syncmonitor.connectors.workbooks import WorkbooksClient
from syncmonitor.domain.timestamps import format_iso, utc_now
from syncmonitor.engine.events import (
    CancelToken,
    ProgressCallback,
    RunOutcome,
    RunResult,
    SyncCancelled,
    SyncProgress,
)
from syncmonitor.engine.instance_lock import AlreadySyncingError, SyncLock
from syncmonitor.engine.outreach_pull import PullCounts, pull_sequence_states
from syncmonitor.engine.workbooks_push import PushCounts, push_people
from syncmonitor.errors import UserFacingError
from syncmonitor.store.database import Database
from syncmonitor.store.runs import finish_run, recent_runs, start_run

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Remotes:
    """Where the remotes are and the secrets to reach them (kept in memory only)."""

    outreach_base_url: str | None
    outreach_token: str | None
    workbooks_base_url: str | None
    workbooks_api_key: str | None
    spotler_base_url: str | None = None
    spotler_consumer_key: str | None = None
    spotler_consumer_secret: str | None = None

    def __repr__(self) -> str:  # never print a secret by accident
        return (
            f"Remotes(outreach={self.outreach_base_url!r}, workbooks={self.workbooks_base_url!r}, "
            f"spotler={self.spotler_base_url!r})"
        )


class NotConfiguredError(UserFacingError):
    """There is nothing to sync from."""

    title = "Outreach is not set up"


class WorkbooksWritesFailedError(UserFacingError):
    """Workbooks refused some of the run's updates."""

    title = "Some Workbooks people were not updated"


def _note_pull(pulled: PullCounts, read: dict[str, int], written: dict[str, int]) -> None:
    read["sequence_states"] = pulled.states
    read["prospects"] = pulled.prospects
    read["pages"] = pulled.pages
    written["transitions"] = pulled.transitions
    written["people_queued"] = pulled.people_queued
    if pulled.unknown_states:
        read["unknown_states"] = pulled.unknown_states
    if pulled.states_without_prospect:
        read["states_without_prospect"] = pulled.states_without_prospect


def _note_push(pushed: PushCounts, read: dict[str, int], written: dict[str, int]) -> None:
    written["workbooks_people"] = pushed.people_updated
    read["workbooks_people_checked"] = pushed.queued
    if pushed.unmatched:
        read["unmatched_people"] = pushed.unmatched
    if pushed.failed:
        written["workbooks_failed"] = pushed.failed


class SyncService:
    """Runs syncs (one at a time) and records each run."""

    def __init__(
        self,
        config: Config,
        database: Database,
        remotes: Remotes,
        *,
        lock: SyncLock,
        sandbox_mode: bool,
        retry_policy: RetryPolicy | None = None,
    ) -> None:
        self.config = config
        # None: the connectors' default policy. Tests pass short delays.
        self.retry_policy = retry_policy
        self.database = database
        self.remotes = remotes
        self.sandbox_mode = sandbox_mode
        self._lock = lock
        self._running = asyncio.Lock()
        self._last: RunResult | None = None

    @property
    def running(self) -> bool:
        return self._running.locked()

    def last_run(self) -> RunResult | None:
        """The last run this process made, else the last recorded one."""
        if self._last is not None:
            return self._last
        with self.database.engine.connect() as conn:
            rows = recent_runs(conn, 1)
        if not rows:
            return None
        row = rows[0]
        return RunResult(
            run_id=int(row["id"]),
            outcome=RunOutcome(str(row["outcome"])),
            started_at=str(row["started_at"]),
            finished_at=str(row["finished_at"] or row["started_at"]),
            duration_s=float(row["duration_s"] or 0.0),
            records_read=dict(row["records_read"]),
            records_written=dict(row["records_written"]),
            error_title=row["error_title"],
            error_message=row["error_message"],
        )

    async def sync_once(
        self,
        *,
        trigger: str = "forced",
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> RunResult:
        """Pull sequence states from Outreach, then push people's fields to Workbooks.

        Never raises for a remote or user-facing failure: the run is recorded as failed with a
        message a person can act on, and everything committed before the failure stays.
        """
        async with self._running:
            return await self._run(trigger, progress, cancel)

    async def _run(
        self, trigger: str, progress: ProgressCallback | None, cancel: CancelToken | None
    ) -> RunResult:
        started = utc_now()
        clock = time.monotonic()
        read: dict[str, int] = {}
        written: dict[str, int] = {}
        outcome, title, message = RunOutcome.SUCCEEDED, None, None
        try:
            self._lock.acquire()
        except AlreadySyncingError as exc:
            return _refused(exc)
        try:
            run_id = await asyncio.to_thread(self._start, trigger, started)
            log.info("Run %d started (%s)", run_id, trigger)
            try:
                await self._sync(read, written, progress, cancel)
            except SyncCancelled:
                outcome = RunOutcome.CANCELLED
                title, message = "Cancelled", "The run was cancelled; what it had read is kept."
            except (ConnectorError, UserFacingError) as exc:
                outcome, title, message = RunOutcome.FAILED, exc.title, exc.message
            except Exception as exc:  # a bug: record it, keep the app alive, log the traceback
                log.exception("sync run failed unexpectedly")
                outcome = RunOutcome.FAILED
                title = "Unexpected error"
                message = (
                    f"{type(exc).__name__}: {exc}. Everything committed before it is kept. "
                    "Please report this with the log file."
                )
            finished = utc_now()
            result = RunResult(
                run_id=run_id,
                outcome=outcome,
                started_at=format_iso(started),
                finished_at=format_iso(finished),
                duration_s=round(time.monotonic() - clock, 3),
                records_read=read,
                records_written=written,
                error_title=title,
                error_message=message,
            )
            await asyncio.to_thread(self._finish, result, finished)
        finally:
            self._lock.release()
        self._last = result
        log.log(
            logging.INFO if result.ok else logging.WARNING,
            "Run %d %s in %.1f s: read %s, wrote %s%s",
            result.run_id,
            result.outcome.value,
            result.duration_s,
            result.records_read,
            result.records_written,
            f"; {result.error_title}: {result.error_message}" if result.error_title else "",
        )
        if progress is not None:
            progress(SyncProgress("done", result.summary, 1, 1))
        return result

    async def _sync(
        self,
        read: dict[str, int],
        written: dict[str, int],
        progress: ProgressCallback | None,
        cancel: CancelToken | None,
    ) -> None:
        r = self.remotes
        if not (r.outreach_base_url and r.outreach_token):
            raise NotConfiguredError(
                "Outreach is not configured, so there are no sequence states to read.",
                "Set [outreach] base_url in config.toml and the Outreach token in Settings.",
            )
        engine = self.database.engine
        pulled = PullCounts()
        try:
            async with OutreachClient(
                r.outreach_base_url,
                r.outreach_token,
                page_size=self.config.outreach.page_size,
                policy=self.retry_policy,
            ) as outreach:
                await pull_sequence_states(
                    outreach, engine, progress=progress, cancel=cancel, counts=pulled
                )
        finally:  # what was committed before a failure is reported too
            _note_pull(pulled, read, written)
        settings = self.config.workbooks
        if not (r.workbooks_base_url and r.workbooks_api_key and settings.push_enabled):
            return
        pushed = PushCounts()
        try:
            async with WorkbooksClient(
                r.workbooks_base_url, r.workbooks_api_key, policy=self.retry_policy
            ) as workbooks:
                await push_people(
                    workbooks, engine, settings, progress=progress, cancel=cancel, counts=pushed
                )
        finally:
            _note_push(pushed, read, written)
        if pushed.failed:
            raise WorkbooksWritesFailedError(
                f"{pushed.failed} Workbooks people could not be updated.",
                "They stay queued and are retried on the next sync; the log has each reason.",
            )

    def _start(self, trigger: str, started: datetime) -> int:
        with self.database.engine.begin() as conn:
            return start_run(conn, "sequence_states", trigger, started)

    def _finish(self, result: RunResult, finished: datetime) -> None:
        with self.database.engine.begin() as conn:
            finish_run(
                conn,
                result.run_id,
                outcome=result.outcome.value,
                finished=finished,
                duration_s=result.duration_s,
                records_read=result.records_read,
                records_written=result.records_written,
                error_title=result.error_title,
                error_message=result.error_message,
            )


def _refused(exc: UserFacingError) -> RunResult:
    """The result of a run that could not start (another process holds the sync lock)."""
    now = format_iso(utc_now())
    return RunResult(
        run_id=0,
        outcome=RunOutcome.FAILED,
        started_at=now,
        finished_at=now,
        duration_s=0.0,
        error_title=exc.title,
        error_message=exc.message,
    )
