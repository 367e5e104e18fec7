"""Pull Outreach sequence states into the cache and record every transition.

Each page is written in one transaction together with the watermark that covers it, so a run
that fails at page 57 keeps pages 1 to 56 and the next run resumes from page 57's first record.
Outreach's `updatedAt` filter is inclusive, so the boundary record is read twice; the upserts and
the history's uniqueness make that harmless.

Page links are Outreach's, and a link that skips a page would lose its records for good (the
watermark moves past them). So the first page asks for `meta.count`, and a pull that read fewer
distinct records than that fails, saying so, and puts the watermark back where it started: the
next pull reads the whole stretch again.

Pages are written on a worker thread while the next page is fetched, so the event loop only ever
does the network and the JSON decoding of one page at a time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, delete, select

from syncmonitor.connectors.errors import OUTREACH, MalformedResponseError
from syncmonitor.connectors.outreach.client import (
    OutreachClient,
    ProspectRecord,
    SequenceStatePage,
)
from syncmonitor.domain.states import CanonicalState, Provider, resolve_outreach
from syncmonitor.domain.timestamps import format_iso, utc_now
from syncmonitor.engine.runs.events import (
    CancelToken,
    ProgressCallback,
    SyncCancelled,
    SyncProgress,
)
from syncmonitor.engine.runs.workers import in_writer
from syncmonitor.store import bulk
from syncmonitor.store import sequence_columns as cols
from syncmonitor.store.runs import get_cursor, set_cursor
from syncmonitor.store.schema import (
    prospects,
    push_outbox,
    sequence_states,
    sequence_steps,
    sequences,
    state_history,
    sync_cursors,
)

WATERMARK = "outreach.sequenceStates.updatedAt"
PROVIDER = Provider.OUTREACH.value

_SQL = {
    "prospects": bulk.upsert_sql(
        prospects, cols.PROSPECT_COLUMNS, cols.KEY, newer_column="updated_at"
    ),
    "sequences": bulk.upsert_sql(sequences, cols.SEQUENCE_COLUMNS, cols.KEY),
    "steps": bulk.upsert_sql(sequence_steps, cols.STEP_COLUMNS, cols.KEY),
    "states": bulk.upsert_sql(
        sequence_states, cols.OUTREACH_STATE_COLUMNS, cols.KEY, newer_column="updated_at"
    ),
    "history": bulk.insert_ignore_sql(state_history, cols.HISTORY_COLUMNS),
    "outbox": bulk.upsert_sql(push_outbox, cols.OUTBOX_COLUMNS, cols.OUTBOX_KEY),
}


@dataclass
class PullCounts:
    """What one pull read and wrote."""

    pages: int = 0
    states: int = 0
    transitions: int = 0
    prospect_ids: set[int] = field(default_factory=set)
    queued_ids: set[int] = field(default_factory=set)
    states_without_prospect: int = 0
    unknown_states: int = 0
    unknown_raw_values: set[str] = field(default_factory=set)
    state_ids: set[int] = field(default_factory=set)  # distinct states read (completeness check)
    expected: int | None = None  # Outreach's meta.count on the first page
    # prospect id -> "Name <email>" of the people who opted out in this run (for notices)
    opted_out: dict[int, str] = field(default_factory=dict)

    @property
    def prospects(self) -> int:
        """Distinct prospects read (one may come with several pages)."""
        return len(self.prospect_ids)

    @property
    def people_queued(self) -> int:
        """Distinct people queued for a Workbooks update."""
        return len(self.queued_ids)


def prospect_row(p: ProspectRecord) -> tuple[Any, ...]:
    """A prospect as a row of `prospects` (first email, lower case, is the matching key)."""
    email = (p.emails[0] if p.emails else "").strip().lower()
    name = " ".join(x for x in (p.first_name, p.last_name) if x) or email or f"Prospect {p.id}"
    return (
        PROVIDER,
        p.id,
        email,
        p.first_name,
        p.last_name,
        name,
        bool(p.opted_out),
        p.emails_opt_status,
        p.external_id,
        p.updated_at,
        f"{name} {email}".lower(),
    )


@dataclass(frozen=True)
class PageRows:
    """One page as rows of the cache's tables."""

    prospects: list[tuple[Any, ...]]
    sequences: list[tuple[Any, ...]]
    steps: list[tuple[Any, ...]]
    states: list[tuple[Any, ...]]
    unknown_raw_values: frozenset[str]
    states_without_prospect: int


def page_rows(page: SequenceStatePage) -> PageRows:
    """Resolve every state and turn the page into table rows (pure: no database)."""
    states: list[tuple[Any, ...]] = []
    unknown: set[str] = set()
    orphans = 0
    for s in page.states:
        resolved = resolve_outreach(
            s.state,
            pause_reason=s.pause_reason,
            reply_count=s.reply_count,
            bounce_count=s.bounce_count,
            opt_out_count=s.opt_out_count,
        )
        if resolved.state is CanonicalState.UNKNOWN:
            unknown.add(resolved.raw)
        if s.prospect_id is None:
            orphans += 1
        states.append(
            (
                PROVIDER,
                s.id,
                s.prospect_id,
                s.sequence_id,
                s.sequence_step_id,
                resolved.raw,
                resolved.state.value,
                resolved.reason.value if resolved.reason else "",
                s.state_changed_at,
                s.updated_at,
                s.pause_reason,
                s.error_reason,
            )
        )
    return PageRows(
        prospects=[prospect_row(p) for p in page.prospects.values()],
        sequences=[
            (PROVIDER, q.id, q.name or "", q.enabled, q.sequence_type, q.step_count, q.updated_at)
            for q in page.sequences.values()
        ],
        steps=[(PROVIDER, t.id, t.sequence_id, t.order, t.step_type) for t in page.steps.values()],
        states=states,
        unknown_raw_values=frozenset(unknown),
        states_without_prospect=orphans,
    )


def history_row(state_row: tuple[Any, ...], observed: str) -> tuple[Any, ...]:
    """The history row recording `state_row` as observed at `observed`."""
    r = state_row
    return (PROVIDER, r[1], r[2], r[3], r[4] or 0, r[5], r[6], r[7], r[8] or "", observed)


def write_page(engine: Engine, page: SequenceStatePage, counts: PullCounts) -> None:
    """Write one page and move the watermark, in one transaction (runs on a worker thread)."""
    write_rows(engine, page_rows(page), page.max_updated_at, counts)


def write_rows(
    engine: Engine, rows: PageRows, max_updated_at: str | None, counts: PullCounts
) -> None:
    """Upsert a page's rows, record new transitions, queue people, move the watermark."""
    observed = format_iso(utc_now())
    with engine.begin() as conn:
        changed = _changed_states(conn, rows.states)
        opted_out_now = _newly_opted_out(conn, rows.prospects)
        bulk.executemany(conn, _SQL["prospects"], rows.prospects)
        bulk.executemany(conn, _SQL["sequences"], rows.sequences)
        bulk.executemany(conn, _SQL["steps"], rows.steps)
        bulk.executemany(conn, _SQL["states"], rows.states)
        history_rows = [history_row(r, observed) for r in changed]
        counts.transitions += bulk.executemany(conn, _SQL["history"], history_rows)
        queue = {r[2] for r in changed if r[2] is not None} | opted_out_now
        bulk.executemany(
            conn, _SQL["outbox"], [(PROVIDER, pid, observed, 0, None) for pid in sorted(queue)]
        )
        if max_updated_at:
            current = get_cursor(conn, WATERMARK)
            if current is None or max_updated_at > current:
                set_cursor(conn, WATERMARK, max_updated_at)
    counts.pages += 1
    counts.states += len(rows.states)
    counts.prospect_ids.update(r[1] for r in rows.prospects)
    counts.queued_ids.update(queue)
    for r in rows.prospects:
        if r[1] in opted_out_now:
            counts.opted_out[r[1]] = f"{r[5]} <{r[2]}>" if r[2] and r[2] != r[5] else r[5]
    counts.unknown_states += sum(1 for r in rows.states if r[6] == CanonicalState.UNKNOWN.value)
    counts.unknown_raw_values |= rows.unknown_raw_values
    counts.states_without_prospect += rows.states_without_prospect


def _chunks(items: list[Any], size: int = 500) -> Iterable[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _changed_states(conn: Connection, rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """The rows whose state, reason, step or stateChangedAt differ from what the cache has."""
    known: dict[int, tuple[Any, ...]] = {}
    query = select(
        sequence_states.c.id,
        sequence_states.c.raw_state,
        sequence_states.c.reason,
        sequence_states.c.step_id,
        sequence_states.c.state_changed_at,
        sequence_states.c.updated_at,
    ).where(
        sequence_states.c.provider == PROVIDER,
        sequence_states.c.id.in_(bindparam("ids", expanding=True)),
    )
    for chunk in _chunks([r[1] for r in rows]):
        for sid, raw, reason, step, changed_at, updated in conn.execute(query, {"ids": chunk}):
            known[sid] = (raw, reason, step, changed_at, updated)
    result = []
    for r in rows:
        old = known.get(r[1])
        if old is not None and r[9] is not None and old[4] is not None and r[9] < old[4]:
            continue  # an older copy of a record the cache already has newer
        if old is None or (old[0], old[1], old[2], old[3]) != (r[5], r[7], r[4], r[8]):
            result.append(r)
    return result


def _newly_opted_out(conn: Connection, rows: list[tuple[Any, ...]]) -> set[int]:
    """Prospects that are opted out in this page but were not in the cache."""
    candidates = [r[1] for r in rows if r[6]]
    if not candidates:
        return set()
    query = select(prospects.c.id).where(
        prospects.c.provider == PROVIDER,
        prospects.c.opted_out.is_(True),
        prospects.c.id.in_(bindparam("ids", expanding=True)),
    )
    already: set[int] = set()
    for chunk in _chunks(candidates):
        already.update(conn.execute(query, {"ids": chunk}).scalars())
    return set(candidates) - already


async def pull_sequence_states(
    client: OutreachClient,
    engine: Engine,
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    counts: PullCounts | None = None,
) -> PullCounts:
    """Read every sequence state changed since the watermark; returns what was read and written.

    Pass `counts` to keep what was committed visible when the pull fails part-way.
    """
    counts = PullCounts() if counts is None else counts
    since = await asyncio.to_thread(_read_watermark, engine)
    pending: asyncio.Task[None] | None = None
    try:
        async for page in client.sequence_state_pages(since):
            if counts.expected is None:
                counts.expected = page.count
            counts.state_ids.update(s.id for s in page.states)
            await _fill_missing_prospects(client, page)
            if pending is not None:
                await pending  # keep pages in order: the watermark only moves forward
            if cancel is not None and cancel.cancelled:
                raise SyncCancelled()
            pending = asyncio.ensure_future(in_writer(write_page, engine, page, counts))
            if progress is not None:
                progress(
                    SyncProgress(
                        "outreach",
                        f"Reading Outreach sequence states: {counts.states + len(page.states):,}",
                        counts.states + len(page.states),
                        counts.expected,
                    )
                )
        if pending is not None:
            await pending
            pending = None
        if counts.expected is not None and len(counts.state_ids) < counts.expected:
            # Fewer than the first page's count: a skipped page, or states deleted while this
            # (long) read went on. Outreach's count now tells which: if it agrees with what was
            # read, nothing was skipped (an inference: the spec does not say how deletions
            # change meta.count; docs/remote-contract.md).
            now = await client.count_sequence_states(since)
            if now is not None and len(counts.state_ids) >= now:
                counts.expected = now
                return counts
            await in_writer(_rewind_watermark, engine, since)
            raise PagesSkippedError.of(counts.expected, len(counts.state_ids), since)
    finally:
        if pending is not None:
            # A fetch failed while the previous page was being written: let that write finish,
            # so everything read before the failure is kept.
            await asyncio.shield(pending)
    return counts


class PagesSkippedError(MalformedResponseError):
    """Outreach's pages held fewer records than its own count: paging skipped some."""

    @classmethod
    def of(cls, expected: int, read: int, since: str | None) -> PagesSkippedError:
        window = f"changed since {since}" if since else "in the account"
        return cls(
            OUTREACH,
            "Outreach skipped part of the list",
            f"Outreach said {expected:,} sequence states were {window}, but its pages held only "
            f"{read:,}: a page link skipped some. What was read is kept, and the next sync "
            "reads that whole stretch again. If this keeps happening, report it with the log "
            "file.",
            retryable=False,
        )


def _rewind_watermark(engine: Engine, since: str | None) -> None:
    """Put the watermark back where this pull started, so the next pull re-reads the window."""
    with engine.begin() as conn:
        if since is None:
            conn.execute(delete(sync_cursors).where(sync_cursors.c.name == WATERMARK))
        else:
            set_cursor(conn, WATERMARK, since)


def _read_watermark(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return get_cursor(conn, WATERMARK)


async def _fill_missing_prospects(client: OutreachClient, page: SequenceStatePage) -> None:
    """Fetch prospects a state points at that the page did not include."""
    missing = {
        s.prospect_id
        for s in page.states
        if s.prospect_id is not None and s.prospect_id not in page.prospects
    }
    if missing:
        page.prospects.update(await client.prospects_by_id(sorted(missing)))


async def pull_person_states(
    client: OutreachClient,
    engine: Engine,
    prospect_id: int,
    *,
    counts: PullCounts | None = None,
) -> PullCounts:
    """Re-read one prospect's sequence states (a forced sync of one person).

    The watermark does not move: this read covers one person, not everything up to a time.
    """
    counts = PullCounts() if counts is None else counts
    async for page in client.sequence_state_pages_for_prospect(prospect_id):
        await _fill_missing_prospects(client, page)
        await in_writer(write_rows, engine, page_rows(page), None, counts)
    return counts
