"""What each kind of sync does, as a composition of jobs.

"inbound" brings remote changes into the cache; "full" is inbound plus everything the app writes
back. Adding a job to a kind is one line in `KINDS`. A job can also run for one record (a forced
sync of one person): it then reads and writes only what that record needs.

Every job fills the same `JobReport` (engine.runs.report) and declares the jobs it depends on
(`needs`) and the remotes it writes to (`writes`): a job's failure skips only the jobs that need
it, and held writes turn off only the jobs that write.
"""

from __future__ import annotations

import zlib
from collections.abc import Awaitable, Callable
from dataclasses import KW_ONLY, dataclass

from sqlalchemy import Engine

from syncmonitor.app.config import Config
from syncmonitor.app.errors import UserFacingError
from syncmonitor.connectors.errors import OUTREACH
from syncmonitor.connectors.errors import WORKBOOKS as WORKBOOKS_NAME
from syncmonitor.connectors.http.retry import RetryPolicy
from syncmonitor.connectors.outreach.auth import RefreshingBearer
from syncmonitor.connectors.outreach.client import OutreachClient
from syncmonitor.connectors.workbooks.client import WorkbooksClient
from syncmonitor.domain.timestamps import format_iso, utc_now
from syncmonitor.engine.mappings.job import run_mappings
from syncmonitor.engine.runs.events import CancelToken, ProgressCallback
from syncmonitor.engine.runs.kinds import SyncKind
from syncmonitor.engine.runs.notices import Notice, NoticeLevel
from syncmonitor.engine.runs.report import JobReport
from syncmonitor.engine.runs.workers import in_writer
from syncmonitor.engine.sequence_states.pull import (
    PullCounts,
    pull_person_states,
    pull_sequence_states,
)
from syncmonitor.engine.sequence_states.push import PushCounts, push_people
from syncmonitor.store.dialect import upsert_insert
from syncmonitor.store.schema import push_outbox


class NotConfiguredError(UserFacingError):
    """There is nothing to sync from."""

    title = "Outreach is not set up"


@dataclass(frozen=True)
class Remotes:
    """Where the remotes are and the secrets to reach them (kept in memory only)."""

    outreach_base_url: str | None
    outreach_token: str | None
    workbooks_base_url: str | None
    workbooks_api_key: str | None
    _: KW_ONLY  # the optional remotes below are named, never positional
    # OAuth instead of a static token: renews access tokens as they expire (kept across runs,
    # so a token is reused until it expires rather than renewed for every run).
    outreach_auth: RefreshingBearer | None = None
    salesforce_base_url: str | None = None  # status values for the mapping editors only
    salesforce_token: str | None = None
    spotler_base_url: str | None = None  # the GatorMail queue (Spotler Mail+ REST)
    spotler_consumer_key: str | None = None
    spotler_consumer_secret: str | None = None

    def __repr__(self) -> str:  # never print a secret by accident
        return (
            f"Remotes(outreach={self.outreach_base_url!r}, workbooks={self.workbooks_base_url!r}, "
            f"spotler={self.spotler_base_url!r})"
        )


class WorkbooksWritesFailedError(UserFacingError):
    """Workbooks refused some of the run's updates."""

    title = "Some Workbooks people were not updated"


@dataclass
class JobContext:
    """Everything a job needs for one run (what it did goes in its own `JobReport`)."""

    config: Config
    engine: Engine
    remotes: Remotes
    retry_policy: RetryPolicy | None
    progress: ProgressCallback | None
    cancel: CancelToken | None
    person: int | None = None  # an Outreach prospect id: this run is for one person
    run_id: int | None = None  # the run being recorded (conflicts name it)


@dataclass(frozen=True)
class Job:
    """One step of a sync kind."""

    name: str
    label: str  # in the users' words, for the Runs page and the command line
    run: Callable[[JobContext, JobReport], Awaitable[None]]
    needs: tuple[str, ...] = ()  # jobs whose failure means this one must not run
    # The remotes it talks to, as the connectors name them ("Outreach", "Workbooks"): once one
    # stops answering in a run (offline, failing, refusing the credentials), the later jobs
    # that use it are skipped rather than each retrying it and telling the same news again.
    uses: frozenset[str] = frozenset()
    writes: frozenset[str] = frozenset()  # the remotes it writes to ("outreach", "workbooks")

    def report(self) -> JobReport:
        return JobReport(self.name, self.label)


async def _outreach_pull(ctx: JobContext, report: JobReport) -> None:
    r = ctx.remotes
    if not (r.outreach_base_url and (r.outreach_token or r.outreach_auth)):
        raise NotConfiguredError(
            "Outreach is not configured, so there are no sequence states to read.",
            "Set the Outreach address and token in Settings > Connections.",
        )
    pulled = PullCounts()
    try:
        async with OutreachClient(
            r.outreach_base_url,
            None if r.outreach_auth else r.outreach_token,
            auth=r.outreach_auth,
            page_size=ctx.config.outreach.page_size,
            policy=ctx.retry_policy,
        ) as outreach:
            if ctx.person is None:
                await pull_sequence_states(
                    outreach, ctx.engine, progress=ctx.progress, cancel=ctx.cancel, counts=pulled
                )
            else:
                await pull_person_states(outreach, ctx.engine, ctx.person, counts=pulled)
    finally:  # what was committed before a failure is reported (and told) too
        _note_pull(pulled, report)


def _note_pull(pulled: PullCounts, report: JobReport) -> None:
    read, written = report.read, report.written
    read["sequence_states"] = pulled.states
    read["prospects"] = pulled.prospects
    read["pages"] = pulled.pages
    written["transitions"] = pulled.transitions
    written["people_queued"] = pulled.people_queued
    if pulled.unknown_states:
        read["unknown_states"] = pulled.unknown_states
    if pulled.states_without_prospect:
        read["states_without_prospect"] = pulled.states_without_prospect
    for pid, label in sorted(pulled.opted_out.items()):
        report.notices.append(
            Notice(
                "people.opted_out",
                NoticeLevel.ISSUE,
                "A person opted out",
                f"{label} opted out of email in Outreach.",
                key=str(pid),
            )
        )


async def _workbooks_push(ctx: JobContext, report: JobReport) -> None:
    r, settings = ctx.remotes, ctx.config.workbooks
    if not (r.workbooks_base_url and r.workbooks_api_key):
        report.off("Workbooks is not set up")
        return
    if not settings.push_enabled:
        report.off("updating Workbooks is turned off")
        return
    if ctx.person is not None:  # forced: write this person even if parked or current
        await in_writer(_queue_person, ctx.engine, ctx.person)
    pushed = PushCounts()
    try:
        async with WorkbooksClient(
            r.workbooks_base_url, r.workbooks_api_key, policy=ctx.retry_policy
        ) as workbooks:
            await push_people(
                workbooks,
                ctx.engine,
                settings,
                progress=ctx.progress,
                cancel=ctx.cancel,
                counts=pushed,
                only=None if ctx.person is None else [ctx.person],
            )
    finally:
        _note_push(pushed, report)
    if pushed.failed:
        raise WorkbooksWritesFailedError(
            f"{pushed.failed} Workbooks people could not be updated.",
            "They stay queued and are retried on the next sync that updates Workbooks; "
            "the Issues page has each reason.",
        )


def _note_push(pushed: PushCounts, report: JobReport) -> None:
    read, written = report.read, report.written
    written["workbooks_people"] = pushed.people_updated
    read["workbooks_people_checked"] = pushed.queued
    if pushed.unmatched:
        read["unmatched_people"] = pushed.unmatched
    if pushed.failed:
        written["workbooks_failed"] = pushed.failed
    if pushed.unparked:  # kept for want of a record, and a person has the address now
        read["people_unparked"] = pushed.unparked
    ids = pushed.issue_ids
    report.issues |= ids
    if ids:
        # The same people failing again on the next run is the same news: key by the set.
        key = f"{zlib.crc32(','.join(map(str, sorted(ids))).encode()):08x}"
        n = len(ids)
        report.notices.append(
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


def _queue_person(engine: Engine, prospect_id: int) -> None:
    """Put one person in the outbox with a clean slate (a parked person is tried again)."""
    values = {
        "provider": "outreach",
        "prospect_id": prospect_id,
        "queued_at": format_iso(utc_now()),
        "attempts": 0,
        "last_error": None,
    }
    with engine.begin() as conn:
        stmt = upsert_insert(conn, push_outbox).values(values)
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["provider", "prospect_id"],
                set_={"attempts": 0, "last_error": None, "queued_at": values["queued_at"]},
            )
        )


async def _mapped_values(ctx: JobContext, report: JobReport) -> None:
    """Stages and mapped fields of linked people and prospects, per the saved mappings."""
    if ctx.person is not None:  # a one-person sync is about sequence states only
        report.off("a one-person sync writes sequence states only")
        return
    ran = await run_mappings(ctx, report.read, report.written, ctx.progress, ctx.cancel)
    if ran is None:
        report.off("field mappings are not set up or turned off")


async def _outbound(ctx: JobContext, report: JobReport) -> None:
    from syncmonitor.engine.two_way.job import run_outbound  # the two-way sync

    await run_outbound(ctx, report)


def _activities(part: str) -> Callable[[JobContext, JobReport], Awaitable[None]]:
    async def run(ctx: JobContext, report: JobReport) -> None:
        from syncmonitor.engine.two_way.job import run_activities

        await run_activities(ctx, report, part)

    return run


BOTH = frozenset({"outreach", "workbooks"})
WORKBOOKS = frozenset({"workbooks"})
USES_O = frozenset({OUTREACH})
USES_W = frozenset({WORKBOOKS_NAME})
USES_OW = USES_O | USES_W

OUTREACH_PULL = Job("outreach.pull", "Sequence states from Outreach", _outreach_pull, uses=USES_O)
# The push and the step numbers write what the pull read. After a pull that failed part-way a
# person's newest state may be on a page not read yet: writing the older one would show (and
# trigger Workbooks automations on) a state that is already over.
WORKBOOKS_PUSH = Job(
    "workbooks.push",
    "Sequence states into Workbooks",
    _workbooks_push,
    needs=("outreach.pull",),
    uses=USES_W,
    writes=WORKBOOKS,
)
STEP_NUMBERS = Job(
    "workbooks.step_numbers",
    "Step numbers into Workbooks",
    _activities("steps"),
    needs=("outreach.pull",),
    uses=USES_W,
    writes=WORKBOOKS,
)
# Outreach's tasks and calls are separate resources with separate scopes (tasks.read,
# calls.read): one refused must not stop the other, nor anything after them.
TASKS = Job(
    "workbooks.tasks",
    "Skipped tasks and meetings into Workbooks",
    _activities("tasks"),
    uses=USES_OW,
    writes=WORKBOOKS,
)
CALLS = Job(
    "workbooks.calls", "Calls into Workbooks", _activities("calls"), uses=USES_OW, writes=WORKBOOKS
)
OUTBOUND = Job("outreach.outbound", "Records out to Outreach", _outbound, uses=USES_OW, writes=BOTH)
MAPPED_VALUES = Job("mappings.apply", "Mapped values", _mapped_values, uses=USES_OW, writes=BOTH)

KINDS: dict[SyncKind, tuple[Job, ...]] = {
    SyncKind.INBOUND: (OUTREACH_PULL,),
    SyncKind.FULL: (
        OUTREACH_PULL,
        WORKBOOKS_PUSH,
        STEP_NUMBERS,
        TASKS,
        CALLS,
        OUTBOUND,
        MAPPED_VALUES,
    ),
}
