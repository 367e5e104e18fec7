"""What each kind of sync does, as a composition of jobs.

"inbound" brings remote changes into the cache; "full" is inbound plus everything the app writes
back. Adding a job to a kind is one line in `KINDS` (the two-way sync's jobs are in "full").
A job can also run for one record (a forced sync of one person): it then reads and writes only
what that record needs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import KW_ONLY, dataclass, field

from sqlalchemy import Engine

from syncmonitor.app.config import Config
from syncmonitor.app.errors import UserFacingError
from syncmonitor.connectors.http.retry import RetryPolicy
from syncmonitor.connectors.outreach.auth import RefreshingBearer
from syncmonitor.connectors.outreach.client import OutreachClient
from syncmonitor.connectors.workbooks.client import WorkbooksClient
from syncmonitor.domain.timestamps import format_iso, utc_now
from syncmonitor.engine.mappings.job import run_mappings
from syncmonitor.engine.runs.events import CancelToken, ProgressCallback
from syncmonitor.engine.runs.kinds import SyncKind
from syncmonitor.engine.runs.notices import Notice
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


@dataclass
class JobContext:
    """Everything a job needs for one run, and where it notes what it did."""

    config: Config
    engine: Engine
    remotes: Remotes
    retry_policy: RetryPolicy | None
    progress: ProgressCallback | None
    cancel: CancelToken | None
    person: int | None = None  # an Outreach prospect id: this run is for one person
    pulled: PullCounts = field(default_factory=PullCounts)
    pushed: PushCounts = field(default_factory=PushCounts)
    pushed_any: bool = False
    # figures of jobs beyond the pull and the push, merged into the run's record
    read: dict[str, int] = field(default_factory=dict)
    written: dict[str, int] = field(default_factory=dict)
    run_id: int | None = None  # the run being recorded (conflicts name it)
    notices: list[Notice] = field(default_factory=list)  # posted when the run ends


@dataclass(frozen=True)
class Job:
    """One step of a sync kind."""

    name: str
    run: Callable[[JobContext], Awaitable[None]]


async def _outreach_pull(ctx: JobContext) -> None:
    r = ctx.remotes
    if not (r.outreach_base_url and (r.outreach_token or r.outreach_auth)):
        raise NotConfiguredError(
            "Outreach is not configured, so there are no sequence states to read.",
            "Set the Outreach address and token in Settings > Connections.",
        )
    async with OutreachClient(
        r.outreach_base_url,
        None if r.outreach_auth else r.outreach_token,
        auth=r.outreach_auth,
        page_size=ctx.config.outreach.page_size,
        policy=ctx.retry_policy,
    ) as outreach:
        if ctx.person is None:
            await pull_sequence_states(
                outreach, ctx.engine, progress=ctx.progress, cancel=ctx.cancel, counts=ctx.pulled
            )
        else:
            await pull_person_states(outreach, ctx.engine, ctx.person, counts=ctx.pulled)


async def _workbooks_push(ctx: JobContext) -> None:
    r, settings = ctx.remotes, ctx.config.workbooks
    if not (r.workbooks_base_url and r.workbooks_api_key and settings.push_enabled):
        return
    if ctx.person is not None:  # forced: write this person even if parked or current
        await in_writer(_queue_person, ctx.engine, ctx.person)
    ctx.pushed_any = True
    async with WorkbooksClient(
        r.workbooks_base_url, r.workbooks_api_key, policy=ctx.retry_policy
    ) as workbooks:
        await push_people(
            workbooks,
            ctx.engine,
            settings,
            progress=ctx.progress,
            cancel=ctx.cancel,
            counts=ctx.pushed,
            only=None if ctx.person is None else [ctx.person],
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


async def _mapped_values(ctx: JobContext) -> None:
    """Stages and mapped fields of linked people and prospects, per the saved mappings."""
    if ctx.person is None:  # a one-person sync is about sequence states only
        await run_mappings(ctx, ctx.read, ctx.written, ctx.progress, ctx.cancel)


async def _outbound(ctx: JobContext) -> None:
    from syncmonitor.engine.two_way.job import run_outbound  # the two-way sync

    await run_outbound(ctx)


async def _activities(ctx: JobContext) -> None:
    from syncmonitor.engine.two_way.job import run_activities

    await run_activities(ctx)


OUTREACH_PULL = Job("outreach.pull", _outreach_pull)
OUTBOUND = Job("outreach.outbound", _outbound)
ACTIVITIES = Job("workbooks.activities", _activities)
WORKBOOKS_PUSH = Job("workbooks.push", _workbooks_push)
MAPPED_VALUES = Job("mappings.apply", _mapped_values)

KINDS: dict[SyncKind, tuple[Job, ...]] = {
    SyncKind.INBOUND: (OUTREACH_PULL,),
    SyncKind.FULL: (OUTREACH_PULL, WORKBOOKS_PUSH, ACTIVITIES, OUTBOUND, MAPPED_VALUES),
}
