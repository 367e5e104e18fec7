"""The first two-way sync to a real remote is previewed: until confirmed, syncs read and write
nothing back; the plan is worked out without writing to either remote or the cache, and its
counts are what the confirmed sync then writes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from engine_helpers import Harness, harness, read_people
from sqlalchemy import func, insert, select
from two_way_helpers import everyone

from syncmonitor.engine.runs.events import RunOutcome
from syncmonitor.engine.runs.first_sync import WRITES_HELD, WriteGate, plan_sync
from syncmonitor.sandbox.process import SandboxEndpoints
from syncmonitor.store.schema import push_outbox, sync_runs, write_confirmations

PEOPLE = 40


@pytest.fixture
def h(make_sandbox: Callable[..., SandboxEndpoints], tmp_path: Path) -> Iterator[Harness]:
    endpoints = make_sandbox(seed=31, people=PEOPLE, tick=0)
    with harness(endpoints, tmp_path / "cache", two_way=True) as made:
        everyone(made)
        made.service.write_gate = WriteGate(made.engine)  # as for a real account
        yield made


def count(h: Harness, table: object) -> int:
    with h.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_until_confirmed_the_sync_reads_and_writes_nothing_back(h: Harness) -> None:
    before = read_people(h.admin, PEOPLE)
    result = h.sync()
    assert result.outcome is RunOutcome.SUCCEEDED
    outcomes = {j.job: (j.outcome.value, j.reason) for j in result.jobs}
    assert outcomes["outreach.pull"] == ("succeeded", None)
    for job in ("workbooks.push", "workbooks.tasks", "outreach.outbound", "mappings.apply"):
        assert outcomes[job] == ("off", WRITES_HELD)
    assert read_people(h.admin, PEOPLE) == before
    assert result.records_read["sequence_states"] > 0 and count(h, push_outbox) > 0
    assert h.service.writes_held() == {"outreach", "workbooks"}


def test_the_plan_writes_nothing_and_its_counts_are_what_the_confirmed_sync_writes(
    h: Harness,
) -> None:
    before = read_people(h.admin, PEOPLE)
    plan = asyncio.run(plan_sync(h.service))
    assert read_people(h.admin, PEOPLE) == before  # nothing reached Workbooks
    assert count(h, sync_runs) == 0 and count(h, push_outbox) == 0  # nor the cache
    by = {(w.remote, w.objects, w.action): w for w in plan.writes}
    people = by[("Workbooks", "people", "update")]
    assert people.examples and all(e.startswith("#") for e in people.examples)
    tasks = by[("Workbooks", "tasks", "create")]

    h.service.confirm_writes("test")
    assert h.service.writes_held() == frozenset()
    result = h.sync()
    assert result.ok, result.summary
    after = read_people(h.admin, PEOPLE)
    # Every update of a person moves its lock_version by one: counted by Workbooks itself.
    updates = sum(after[i]["lock_version"] - before[i]["lock_version"] for i in before)
    assert people.count == updates > 0
    assert tasks.count == result.records_written["workbooks_cancelled_tasks"]


def test_the_configuration_can_confirm_for_a_scripted_setup(h: Harness) -> None:
    import dataclasses

    config = h.service.config
    h.service.config = dataclasses.replace(
        config, sync=dataclasses.replace(config.sync, confirm_writes=True)
    )
    assert h.service.writes_held() == frozenset()
    assert h.sync().records_written["workbooks_people"] > 0


def test_a_cache_that_synced_before_previews_existed_needs_no_confirmation(h: Harness) -> None:
    with h.engine.begin() as conn:  # what migration 0012 leaves in a cache with full runs
        conn.execute(insert(write_confirmations).values(remote="legacy", confirmed_at="", how="x"))
    assert h.service.writes_held() == frozenset()
    with h.engine.connect() as conn:
        remotes = sorted(conn.execute(select(write_confirmations.c.remote)).scalars())
    assert [r.split(":", 1)[0] for r in remotes] == ["outreach", "workbooks"]
    # Confirmed for these addresses only: another Workbooks account asks again.
    other = h.service.remotes.__class__(
        h.service.remotes.outreach_base_url,
        h.service.remotes.outreach_token,
        "https://secure.workbooks.com/",
        "key",
    )
    assert h.service.write_gate is not None
    assert h.service.write_gate.held(other, h.service.config) == {"workbooks"}
