"""Outreach paging faults: a next link that repeats a page or skips one.

A repeated page is read again harmlessly (or refused as a loop); a skipped page is caught by
comparing the records read with Outreach's own `meta.count`, the run fails saying so, the
watermark goes back to where the run started, and the next run reaches exactly the cache of a
fault-free run. Faults go on after the third page of 50 (see test_engine_faults).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from engine_helpers import CacheSnapshot, Harness, fault_after, harness, snapshot

from reliability_log import record
from syncmonitor.engine.runs.events import RunOutcome
from syncmonitor.sandbox.process import SandboxEndpoints, SandboxProcess

SEED, PEOPLE, PAGE = 13, 200, 50
MakeSandbox = Callable[..., SandboxEndpoints]


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CacheSnapshot]:
    with SandboxProcess(seed=SEED, people=PEOPLE, tick=0) as process:
        assert process.endpoints is not None
        with harness(process.endpoints, tmp_path_factory.mktemp("ref"), page_size=PAGE) as h:
            assert h.sync().ok
            yield snapshot(h.engine)


@pytest.fixture
def h(make_sandbox: MakeSandbox, tmp_path: Path) -> Iterator[Harness]:
    endpoints = make_sandbox(seed=SEED, people=PEOPLE, tick=0)
    with harness(endpoints, tmp_path / "cache", page_size=PAGE) as made:
        yield made


@pytest.mark.parametrize("where", [1, 3])
def test_a_skipped_page_fails_the_run_rewinds_and_the_next_run_converges(
    h: Harness, reference: CacheSnapshot, where: int
) -> None:
    fault = fault_after(h.admin, "outreach", where, cursor_skip_next=1)
    result = h.sync(progress=fault)
    assert fault.fired
    assert result.outcome is RunOutcome.FAILED
    assert result.error_title == "Outreach skipped part of the list"
    assert f"said {len(reference.sequence_states):,} sequence states" in result.error_message
    partial = snapshot(h.engine)
    assert len(partial.sequence_states) == len(reference.sequence_states) - PAGE  # one page lost
    assert partial.watermark is None  # rewound to where the run began (the very start)

    h.admin.clear_faults()
    assert h.sync().ok
    assert snapshot(h.engine) == reference
    record("fault matrix", "Outreach page link skips a page", runs=2, converged=True)


def test_a_skipped_page_in_an_incremental_run_rewinds_to_that_runs_start(
    h: Harness, reference: CacheSnapshot
) -> None:
    assert h.sync().ok
    start = snapshot(h.engine).watermark
    h.admin.tick(400)  # many changes: an incremental run of several pages
    fault = fault_after(h.admin, "outreach", 1, cursor_skip_next=1)
    result = h.sync(progress=fault)
    assert result.outcome is RunOutcome.FAILED and fault.fired
    assert snapshot(h.engine).watermark == start
    h.admin.clear_faults()
    assert h.sync().ok
    assert h.sync().records_written.get("transitions", 0) == 0  # nothing left behind


@pytest.mark.parametrize("where", [1, 3])
def test_a_repeated_page_is_harmless_and_the_cache_matches(
    h: Harness, reference: CacheSnapshot, where: int
) -> None:
    fault = fault_after(h.admin, "outreach", where, cursor_repeat_next=1)
    result = h.sync(progress=fault)
    assert fault.fired
    if result.outcome is RunOutcome.FAILED:  # refused as a loop: explained, then converges
        assert result.error_title == "Outreach paging went round in a circle"
        h.admin.clear_faults()
        assert h.sync().ok
    else:
        assert result.ok
    assert snapshot(h.engine) == reference  # nothing doubled
    record("fault matrix", "Outreach page link repeats a page", runs=2, converged=True)
