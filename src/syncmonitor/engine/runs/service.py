"""The one facade the GUI and the CLI use to sync and to read status (Maestral's lesson:
everything the window can do, a script can do)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from syncmonitor.app.config import Config
from syncmonitor.app.errors import UserFacingError
from syncmonitor.connectors.errors import (
    AuthenticationError,
    ConnectorError,
    MalformedResponseError,
    NetworkError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
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
from syncmonitor.engine.runs.first_sync import WRITES_HELD, WriteGate
from syncmonitor.engine.runs.jobs import (
    KINDS,
    Job,
    JobContext,
    NotConfiguredError,
    Remotes,
    WorkbooksWritesFailedError,
)
from syncmonitor.engine.runs.kinds import SyncKind
from syncmonitor.engine.runs.lock import AlreadySyncingError, Lock
from syncmonitor.engine.runs.notices import Notice, NoticeSink
from syncmonitor.engine.runs.report import JobOutcome, JobReport, result_of
from syncmonitor.engine.runs.workers import in_writer
from syncmonitor.store.cache_faults import explain as explain_cache_fault
from syncmonitor.store.database import Database
from syncmonitor.store.issues import consequence_keys
from syncmonitor.store.runs import finish_run, last_finished_by_kind, recent_runs, start_run

log = logging.getLogger(__name__)
RECORD_ISSUES = "sync.record_issues"

__all__ = [
    "NotConfiguredError",
    "Remotes",
    "SyncKind",
    "SyncService",
    "WorkbooksWritesFailedError",
]


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
        resolve: Callable[[Config], Remotes] | None = None,
        write_gate: WriteGate | None = None,
        gate_for: Callable[[Config], WriteGate | None] | None = None,
    ) -> None:
        self.config = config
        # None: write freely (sandbox mode, tests); else the first two-way sync to each real
        # remote waits for a person's confirmation (engine.runs.first_sync).
        self.write_gate = write_gate
        # The gate of a changed configuration (`reconfigure`): leaving the sandbox for real
        # remotes in Settings must not skip the first two-way sync's preview.
        self._gate_for = gate_for
        # How to find the remotes and their secrets for a configuration (the keyring, the
        # environment, the sandbox): after `reconfigure` the next run resolves them again.
        self._resolve = resolve
        self._stale = False
        # Why the last reconfigure could not resolve the remotes (a secret not saved yet); the
        # remotes are still the previous ones. None: they match the configuration.
        self.unresolved: UserFacingError | None = None
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

    def reconfigure(self, config: Config) -> None:
        """New settings (addresses, credentials, options): the next run uses them; a run under
        way finishes on the ones it started with. Reads the keyring: call it off the GUI thread.
        A secret the new settings need but that is not saved yet is looked for again at the
        next run (which says what is missing if it still is)."""
        self.config = config
        if self._resolve is None:
            return
        if self._gate_for is not None:
            self.write_gate = self._gate_for(config)
            self.sandbox_mode = config.sandbox_mode  # the window's banner follows
        try:
            self.remotes = self._resolve(config)
            self._stale = False
            self.unresolved = None
        except UserFacingError as exc:
            self._stale = True
            self.unresolved = exc  # what the new settings lack, for those who hold the remotes

    def writes_held(self) -> frozenset[str]:
        """The remotes ("outreach", "workbooks") the next run will not write to until a person
        confirms the first two-way sync (reads the cache: call it off the GUI thread)."""
        if self.write_gate is None:
            return frozenset()
        return self.write_gate.held(self.remotes, self.config)

    def confirm_writes(self, how: str) -> None:
        """A person saw the plan and confirmed: the next runs write to the current remotes."""
        if self.write_gate is not None:
            self.write_gate.confirm(self.remotes, how)

    async def _remotes_for_run(self) -> Remotes:
        if self._stale and self._resolve is not None:
            # The keyring may answer slowly (D-Bus): never on the event loop's thread.
            self.remotes = await asyncio.to_thread(self._resolve, self.config)
            self._stale = False
        return self.remotes

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
            jobs=tuple(JobReport.from_json(j) for j in row.get("jobs") or []),
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
        try:  # this run's remotes and settings: new ones apply from the next run
            remotes, config = await self._remotes_for_run(), self.config
        except UserFacingError as exc:  # a secret the new settings need is missing
            return _refused(exc)
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
            ctx = JobContext(
                config,
                self.database.engine,
                remotes,
                self.retry_policy,
                progress,
                cancel,
                person=person,
                run_id=run_id,
            )
            held = (
                await asyncio.to_thread(self.write_gate.held, remotes, config)
                if self.write_gate is not None
                else frozenset()
            )
            reports = await self._jobs(KINDS[kind], ctx, held)
            finished = utc_now()
            result = result_of(
                run_id, reports, started, finished, round(time.monotonic() - clock, 3)
            )
            await asyncio.to_thread(self._finish, result, finished)
        finally:
            await asyncio.to_thread(self._lock.release)
        self._last = result
        # What happened, in words, at the default level; the figures per object for developers.
        log.log(
            logging.INFO if result.ok else logging.WARNING,
            "Run %d (%s, %s): %s",
            result.run_id,
            kind.value,
            trigger,
            result.summary,
        )
        log.debug(
            "Run %d figures: read %s, wrote %s",
            result.run_id,
            result.records_read,
            result.records_written,
        )
        if progress is not None:
            progress(SyncProgress("done", result.summary, 1, 1))
        return result

    async def _jobs(
        self, jobs: tuple[Job, ...], ctx: JobContext, held: frozenset[str] = frozenset()
    ) -> list[JobReport]:
        """Run each job in turn, each with its own outcome: a failure skips only the jobs that
        need the one that failed, and what every job committed stays. Jobs that write to a
        remote in `held` are off until the first two-way sync is confirmed."""
        reports: list[JobReport] = []
        done: dict[str, JobReport] = {}
        down: dict[str, JobReport] = {}  # remote -> the job it stopped answering in
        cancelled = False
        for job in jobs:
            report = job.report()
            reports.append(report)
            done[job.name] = report
            if cancelled:
                report.outcome = JobOutcome.CANCELLED
                continue
            if job.writes & held:
                report.off(WRITES_HELD)
                continue
            failed = [done[n] for n in job.needs if n in done and not _went_well(done[n])]
            unwell = [down[s] for s in sorted(job.uses) if s in down]
            if failed:
                report.outcome = JobOutcome.SKIPPED
                report.reason = f"it needs {failed[0].label}, which did not succeed"
                continue
            if unwell:
                report.outcome = JobOutcome.SKIPPED
                report.reason = f"{unwell[0].service} failed earlier in this run: {unwell[0].label}"
                continue
            cancelled = await self._one(job, ctx, report)
            if report.failed and report.service and report.error_kind in REMOTE_WIDE:
                down.setdefault(report.service, report)
        # Told once every job has run, so a person whose Workbooks record was deleted (found
        # by the outbound job, after the push) is one piece of news: the deletion.
        keys = {k for r in reports for n in r.notices if n.event == RECORD_ISSUES for k in r.issues}
        folded = await in_writer(_deleted_people, self.database.engine, keys) if keys else set()
        for report in reports:
            self._post_notices(report, folded)
        return reports

    async def _one(self, job: Job, ctx: JobContext, report: JobReport) -> bool:
        """Run one job into its report; True when the run was cancelled during it."""
        try:
            await job.run(ctx, report)
        except SyncCancelled:
            report.outcome = JobOutcome.CANCELLED
            return True
        except (ConnectorError, UserFacingError) as exc:
            report.outcome = JobOutcome.FAILED
            report.error_title, report.error_message = exc.title, exc.message
            report.error_kind = _error_kind(exc)
            report.service = getattr(exc, "service", None)
            if report.error_kind == "permission":  # one resource refused, not the credentials
                report.error_message += (
                    " The other parts that do not need it went on. Settings > Test connections "
                    "(or `syncmonitor doctor`) names the permission or scope that is missing."
                )
            log.warning("Job %s failed: %s: %s", job.name, exc.title, exc.message)
        except Exception as exc:  # a bug: record it, keep the app and the other jobs going
            report.outcome = JobOutcome.FAILED
            path = self.database.path
            cache = explain_cache_fault(exc, path) if path is not None else None
            if cache is not None:  # a full disk, a damaged or read-only cache: no bug
                log.error("Job %s stopped: %s", job.name, cache)
                report.error_title, report.error_message = cache.title, cache.message
                report.error_kind = "cache"  # the window shows it whole, not only a line
                return False
            log.exception("Job %s failed unexpectedly", job.name)
            report.error_title = "Unexpected error"
            report.error_message = (
                f"{type(exc).__name__}: {exc}. Everything committed before it is kept. "
                "Please report this with the log file."
            )
        return False

    def _post_notices(self, report: JobReport, folded: set[str]) -> None:
        """The job's own news (opt-outs, records that did not sync, delete hazards); the
        notification policy batches and de-duplicates it."""
        if self.notices is None:
            return
        for notice in report.notices:
            told: Notice | None = notice
            if notice.event == RECORD_ISSUES and folded & report.issues:
                told = _without(notice, len(folded & report.issues))
            if told is not None:
                self.notices.post(told)

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
                jobs=[r.to_json() for r in result.jobs],
            )


# Failures that say the remote as a whole is not usable right now (not one resource of it).
REMOTE_WIDE = frozenset({"offline", "auth", "unavailable", "rate-limited", "server", "malformed"})


def _went_well(report: JobReport) -> bool:
    return report.outcome in (JobOutcome.SUCCEEDED, JobOutcome.OFF)


def _error_kind(exc: Exception) -> str | None:
    """What kind of failure: "offline", "auth" (credentials refused), "permission" (a 403 for
    one resource: a missing scope or profile), "rate-limited", "server", "malformed", or None."""
    if isinstance(exc, NetworkError):
        return "offline"
    if isinstance(exc, AuthenticationError):
        return "permission" if exc.status_code == 403 else "auth"
    if isinstance(exc, PermissionDeniedError):
        return "permission"
    if isinstance(exc, ServiceUnavailableError):
        return "unavailable"
    if isinstance(exc, RateLimitedError):
        return "rate-limited"
    if isinstance(exc, ServerError):
        return "server"
    if isinstance(exc, MalformedResponseError):
        return "malformed"
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


def _deleted_people(engine: Any, keys: set[str]) -> set[str]:
    """Of these issue keys, the people whose Workbooks record was deleted (a delete hazard)."""
    with engine.connect() as conn:
        return consequence_keys(conn, keys)


def _without(notice: Notice, folded: int) -> Notice | None:
    """The "records did not sync" notice without the people whose Workbooks record was deleted
    (the delete hazard's own notice tells of them); None when that was everyone."""
    left = notice.count - folded
    if left <= 0:
        return None
    noun = "person" if left == 1 else "people"
    return replace(
        notice,
        count=left,
        message=f"{left} {noun} could not be updated in Workbooks. "
        "The Issues page says why and what to do.",
    )
