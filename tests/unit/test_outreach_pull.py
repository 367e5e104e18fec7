"""The Outreach pull: history is append-only and never duplicated; a failure mid-paging keeps what
was committed and the next run resumes from the watermark."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from syncmonitor.connectors.errors import ServerError
from syncmonitor.connectors.outreach.client import (
    ProspectRecord,
    SequenceRecord,
    SequenceStatePage,
    SequenceStateRecord,
    SequenceStepRecord,
)
from syncmonitor.engine.sequence_states.pull import WATERMARK, pull_sequence_states
from syncmonitor.store.people import current_states, history
from syncmonitor.store.runs import get_cursor
from syncmonitor.store.schema import push_outbox, state_history


def ts(minute: int) -> str:
    return f"2026-11-22T10:{minute:02d}:00.000Z"


def state(
    sid: int,
    raw: str | None,
    minute: int,
    *,
    prospect: int | None = 1,
    step: int = 11,
    changed: int | None = None,
    **counters: int,
) -> SequenceStateRecord:
    return SequenceStateRecord(
        id=sid,
        state=raw,
        state_changed_at=ts(changed if changed is not None else minute),
        updated_at=ts(minute),
        created_at=ts(0),
        pause_reason=counters.pop("pause", None),
        error_reason=None,
        reply_count=counters.get("reply_count", 0),
        bounce_count=counters.get("bounce_count", 0),
        opt_out_count=counters.get("opt_out_count", 0),
        prospect_id=prospect,
        sequence_id=100,
        sequence_step_id=step,
    )


PROSPECT = ProspectRecord(
    1, ("Ada@Example.com",), "Ada", "Lovelace", False, "opted_in", "501", ts(0)
)
SEQUENCE = SequenceRecord(100, "Welcome", True, "interval", 3, ts(0))
STEP = SequenceStepRecord(11, 100, 1, "auto_email")


def page(states: list[SequenceStateRecord], prospects=(PROSPECT,)) -> SequenceStatePage:
    return SequenceStatePage(
        states=states,
        prospects={p.id: p for p in prospects},
        sequences={100: SEQUENCE},
        steps={11: STEP, 12: SequenceStepRecord(12, 100, 2, "call")},
        max_updated_at=max(s.updated_at for s in states),
    )


class FakeOutreach:
    """Serves prepared pages; can fail after N pages; records the `since` it was asked for."""

    def __init__(self, pages: list[SequenceStatePage], fail_after: int | None = None) -> None:
        self.pages = pages
        self.fail_after = fail_after
        self.asked_since: list[str | None] = []

    async def sequence_state_pages(self, since: str | None) -> AsyncIterator[SequenceStatePage]:
        self.asked_since.append(since)
        for i, p in enumerate(self.pages):
            if self.fail_after is not None and i >= self.fail_after:
                raise ServerError("Outreach", "Outreach had a problem", "HTTP 500", retryable=True)
            if since is None or (p.max_updated_at or "") >= since:
                yield p

    async def prospects_by_id(self, ids):
        return {}


@pytest.fixture
def db(tmp_path: Path, store_backend):
    """A fresh store, on SQLite and on PostgreSQL (closed by the fixture)."""
    return store_backend.open(tmp_path)


def pull(db, client) -> object:
    return asyncio.run(pull_sequence_states(client, db.engine))


def count_history(db) -> int:
    with db.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(state_history)).scalar_one()


def test_first_pull_records_one_transition_per_state_and_queues_the_person(db) -> None:
    counts = pull(db, FakeOutreach([page([state(1, "active", 1), state(2, "pending", 2)])]))
    assert counts.transitions == 2 and counts.states == 2
    with db.engine.connect() as conn:
        assert get_cursor(conn, WATERMARK) == ts(2)
        assert conn.execute(select(push_outbox.c.prospect_id)).scalars().all() == [1]
        states = current_states(conn, "outreach", 1)
    assert {s.state.label for s in states} == {"Active – Running", "Pending"}
    assert states[0].sequence_name == "Welcome"


def test_rerunning_the_same_pages_adds_no_history(db) -> None:
    pages = [page([state(1, "active", 1)]), page([state(2, "paused", 3, pause="ooo")])]
    pull(db, FakeOutreach(pages))
    assert count_history(db) == 2
    counts = pull(db, FakeOutreach(pages))
    assert counts.transitions == 0
    assert count_history(db) == 2


def test_every_transition_is_kept_in_order(db) -> None:
    pull(db, FakeOutreach([page([state(1, "active", 1)])]))
    pull(db, FakeOutreach([page([state(1, "active", 2, step=12, changed=1)])]))  # step advanced
    pull(db, FakeOutreach([page([state(1, "paused", 3, step=12, pause="ooo")])]))
    pull(db, FakeOutreach([page([state(1, "finished", 4, step=12, reply_count=1)])]))
    with db.engine.connect() as conn:
        rows = history(conn, "outreach", 1)
    assert [r.state.label for r in rows] == [
        "Finished (replied)",
        "Active – Paused (out of office)",
        "Active – Running",
        "Active – Running",
    ]
    assert [r.step_order for r in rows] == [2, 2, 2, 1]
    assert rows[0].state.raw == "finished"


def test_counter_only_change_is_not_a_transition(db) -> None:
    pull(db, FakeOutreach([page([state(1, "active", 1)])]))
    counts = pull(db, FakeOutreach([page([state(1, "active", 5, changed=1)])]))
    assert counts.transitions == 0 and counts.states == 1


def test_an_older_copy_never_rolls_a_record_back(db) -> None:
    pull(db, FakeOutreach([page([state(1, "finished", 9, reply_count=1)])]))
    pull(db, FakeOutreach([page([state(1, "active", 1)])]))
    with db.engine.connect() as conn:
        assert current_states(conn, "outreach", 1)[0].state.label == "Finished (replied)"
    assert count_history(db) == 1


def test_unknown_state_and_missing_relationship_are_kept(db) -> None:
    counts = pull(
        db,
        FakeOutreach(
            [page([state(1, "scheduled_to_finish", 1), state(2, None, 2, prospect=None)])]
        ),
    )
    assert counts.unknown_states == 2
    assert counts.states_without_prospect == 1
    with db.engine.connect() as conn:
        rows = history(conn, "outreach", 1)
    assert rows[0].state.label == "Unknown (scheduled_to_finish)"
    assert count_history(db) == 2


def test_failure_mid_paging_keeps_committed_pages_and_resumes(db) -> None:
    pages = [
        page([state(1, "active", 1)]),
        page([state(2, "pending", 2)]),
        page([state(3, "failed", 3)]),
    ]
    client = FakeOutreach(pages, fail_after=2)
    with pytest.raises(ServerError):
        pull(db, client)
    assert count_history(db) == 2
    with db.engine.connect() as conn:
        assert get_cursor(conn, WATERMARK) == ts(2)
    resumed = FakeOutreach(pages)
    counts = pull(db, resumed)
    assert resumed.asked_since == [ts(2)]  # from the last committed watermark
    assert counts.transitions == 1  # page 2 re-read (inclusive bound) adds nothing
    assert count_history(db) == 3


def test_opt_out_queues_the_person_even_without_a_state_change(db) -> None:
    pull(db, FakeOutreach([page([state(1, "active", 1)])]))
    with db.engine.begin() as conn:
        conn.execute(push_outbox.delete())
    opted = ProspectRecord(
        1, ("ada@example.com",), "Ada", "Lovelace", True, "opted_out", "501", ts(5)
    )
    counts = pull(db, FakeOutreach([page([state(1, "active", 5, changed=1)], prospects=(opted,))]))
    assert counts.people_queued == 1


class Recounting(FakeOutreach):
    """A first page that counted more states than the pages hold, and a count asked again."""

    def __init__(self, pages: list[SequenceStatePage], now: int | None) -> None:
        super().__init__(pages)
        self.now = now
        self.recounted = 0

    async def count_sequence_states(self, since: str | None) -> int | None:
        self.recounted += 1
        return self.now


def test_states_deleted_during_the_read_do_not_fail_the_pull(db) -> None:
    """meta.count said 3, two came; Outreach's count now says 2: nothing was skipped."""
    first = page([state(1, "active", 1), state(2, "active", 2)])
    first.count = 3
    client = Recounting([first], now=2)
    counts = pull(db, client)
    assert client.recounted == 1
    assert counts.expected == 2  # type: ignore[attr-defined]


def test_a_shortfall_the_new_count_does_not_explain_still_fails_and_rewinds(db) -> None:
    from syncmonitor.engine.sequence_states.pull import PagesSkippedError

    first = page([state(1, "active", 1), state(2, "active", 2)])
    first.count = 3
    for now in (3, None):  # still 3, or Outreach will not count (count_truncated)
        with pytest.raises(PagesSkippedError):
            pull(db, Recounting([first], now=now))
        with db.engine.connect() as conn:
            assert get_cursor(conn, WATERMARK) is None


def test_a_truncated_count_is_no_count() -> None:
    from syncmonitor.connectors.outreach.records import state_page

    doc = {"data": [], "meta": {"count": 0, "count_truncated": True}}
    assert state_page(doc).count is None  # type: ignore[arg-type]
    assert state_page({"data": [], "meta": {"count": 4}}).count == 4  # type: ignore[arg-type]
