"""The one facade the GUI and the CLI use to sync and to read status (Maestral's lesson:
everything the window can do, a script can do)."""

from __future__ import annotations

import asyncio
import logging
import time
import zlib
from datetime import datetime

from syncmonitor.app.config import Config
from syncmonitor.app.errors import UserFacingError
from syncmonitor.connectors.errors import (
    AuthenticationError,
    ConnectorError,
    NetworkError,
    PermissionDeniedError,
    RateLimitedError,
    ServiceUnavailableError,
)
from syncmonitor.connectors.http.retry import RetryPolicy
from syncmonitor.domain.timestamps import format_iso, utc_now
from syncmonitor.engine.runs.events import (
    CancelToken,
    ProgressCallback,
    RunOutcome,
    RunResult,
    SyncCancelled,
    SyncProgress,
)
from syncmonitor.engine.runs.jobs import KINDS, JobContext, NotConfiguredError, Remotes
from syncmonitor.engine.runs.kinds import SyncKind
from syncmonitor.engine.runs.lock import AlreadySyncingError, Lock
from syncmonitor.engine.runs.notices import Notice, NoticeLevel, NoticeSink
from syncmonitor.engine.sequence_states.pull import PullCounts
from syncmonitor.engine.sequence_states.push import PushCounts
from syncmonitor.store.cache_faults import explain as explain_cache_fault
from syncmonitor.store.database import Database
from syncmonitor.store.runs import finish_run, last_finished_by_kind, recent_runs, start_run

log = logging.getLogger(__name__)

__all__ = ["NotConfiguredError", "Remotes", "SyncKind", "SyncService"]


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
    if pushed.unparked:  # seed 001: kept for want of a record, and a person has the address now
        read["people_unparked"] = pushed.unparked


class SyncService:
    """Runs syncs (one at a time) and records each run."""

    def __init__(
        self,
        config: Config,
        database: Database,
        remotes: Remotes,
        *,
        lock: Lock,
        sandbox_mode: bool,
        retry_policy: RetryPolicy | None = None,
        notices: NoticeSink | None = None,
    ) -> None:
        self.config = config
        # Where per-run news goes (opt-outs, records that did not sync); the app's policy
        # batches it into one notification per run.
        self.notices = notices
        # None: the connectors' default policy. Tests pass short delays.
        self.retry_policy = retry_policy
        self.database = database
        self.remotes = remotes
        self.sandbox_mode = sandbox_mode
        self._lock = lock
        self._running = asyncio.Lock()
        self._last: RunResult | None = None

    @property
    def lock(self) -> Lock:
        """The store's sync lock (the team server daemon holds it for its whole life)."""
        return self._lock

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

    def last_finished_by_kind(self) -> dict[SyncKind, datetime | None]:
        """When each kind of sync of everything last ended (a full run counts as inbound too)."""
        with self.database.engine.connect() as conn:
            ended = last_finished_by_kind(conn)
        return {kind: ended.get(kind.value) for kind in SyncKind}

    async def sync_once(
        self,
        *,
        trigger: str = "forced",
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
        kind: SyncKind | str = SyncKind.FULL,
        person: int | None = None,
    ) -> RunResult:
        """Run the jobs of `kind` (full: pull Outreach, then update Workbooks).

        `person`: an Outreach prospect id; re-read only that person's sequence states and write
        only their Workbooks record. Never raises for a remote or user-facing failure: the run
        is recorded as failed with a message a person can act on, and everything committed
        before the failure stays.
        """
        async with self._running:
            return await self._run(SyncKind(kind), person, trigger, progress, cancel)

    async def _run(
        self,
        kind: SyncKind,
        person: int | None,
        trigger: str,
        progress: ProgressCallback | None,
        cancel: CancelToken | None,
    ) -> RunResult:
        started = utc_now()
        clock = time.monotonic()
        read: dict[str, int] = {}
        written: dict[str, int] = {}
        outcome, title, message = RunOutcome.SUCCEEDED, None, None
        error_kind: str | None = None
        try:
            await asyncio.to_thread(self._lock.acquire)  # a team store's lock is a round trip
        except AlreadySyncingError as exc:
            return _refused(exc)
        except UserFacingError as exc:  # e.g. the team store cannot be reached
            return _refused(exc)
        try:
            target = "" if person is None else f"person:{person}"
            run_id = await asyncio.to_thread(self._start, kind, trigger, target, started)
            log.info("Run %d started (%s %s %s)", run_id, kind.value, trigger, target or "all")
            try:
                await self._sync(kind, person, read, written, progress, cancel, run_id=run_id)
            except SyncCancelled:
                outcome = RunOutcome.CANCELLED
                title, message = "Cancelled", "The run was cancelled; what it had read is kept."
            except (ConnectorError, UserFacingError) as exc:
                outcome, title, message = RunOutcome.FAILED, exc.title, exc.message
                error_kind = _error_kind(exc)
            except Exception as exc:  # a bug: record it, keep the app alive, log the traceback
                outcome = RunOutcome.FAILED
                path = self.database.path
                cache = explain_cache_fault(exc, path) if path is not None else None
                if cache is not None:  # a full disk, a damaged or read-only cache: no bug
                    log.error("sync run stopped: %s", cache)
                    title, message = cache.title, cache.message
                else:
                    log.exception("sync run failed unexpectedly")
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
                error_kind=error_kind,
            )
            await asyncio.to_thread(self._finish, result, finished)
        finally:
            await asyncio.to_thread(self._lock.release)
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
        kind: SyncKind,
        person: int | None,
        read: dict[str, int],
        written: dict[str, int],
        progress: ProgressCallback | None,
        cancel: CancelToken | None,
        *,
        run_id: int | None = None,
    ) -> None:
        ctx = JobContext(
            self.config,
            self.database.engine,
            self.remotes,
            self.retry_policy,
            progress,
            cancel,
            person=person,
            run_id=run_id,
        )
        try:
            for job in KINDS[kind]:
                await job.run(ctx)
        finally:  # what was committed before a failure is reported (and told) too
            _note_pull(ctx.pulled, read, written)
            if ctx.pushed_any:
                _note_push(ctx.pushed, read, written)
            read.update(ctx.read)
            written.update(ctx.written)
            self._post_notices(ctx)
        if ctx.pushed.failed:
            raise WorkbooksWritesFailedError(
                f"{ctx.pushed.failed} Workbooks people could not be updated.",
                "They stay queued and are retried on the next sync that updates Workbooks; "
                "the Issues page has each reason.",
            )

    def _post_notices(self, ctx: JobContext) -> None:
        """One notice per opted-out person and one for the records that did not sync; the
        notification policy batches and de-duplicates them."""
        if self.notices is None:
            return
        for notice in ctx.notices:  # jobs' own news (delete hazards, ...)
            self.notices.post(notice)
        for pid, label in sorted(ctx.pulled.opted_out.items()):
            self.notices.post(
                Notice(
                    "people.opted_out",
                    NoticeLevel.ISSUE,
                    "A person opted out",
                    f"{label} opted out of email in Outreach.",
                    key=str(pid),
                )
            )
        ids = ctx.pushed.issue_ids
        if ids:
            # The same people failing again on the next run is the same news: key by the set.
            key = f"{zlib.crc32(','.join(map(str, sorted(ids))).encode()):08x}"
            n = len(ids)
            self.notices.post(
                Notice(
                    "sync.record_issues",
                    NoticeLevel.ISSUE,
                    "Some people did not sync",
                    f"{n} {'person' if n == 1 else 'people'} could not be updated in Workbooks. "
                    "The Issues page says why and what to do.",
                    key=key,
                    count=n,
                )
            )

    def _start(self, kind: SyncKind, trigger: str, target: str, started: datetime) -> int:
        with self.database.engine.begin() as conn:
            return start_run(conn, kind.value, trigger, started, target)

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


def _error_kind(exc: Exception) -> str | None:
    if isinstance(exc, NetworkError):
        return "offline"
    if isinstance(exc, AuthenticationError):
        return "auth"
    if isinstance(exc, PermissionDeniedError):
        return "permission"
    if isinstance(exc, ServiceUnavailableError):
        return "unavailable"
    if isinstance(exc, RateLimitedError):
        return "rate-limited"
    return None


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
