"""Slow remotes: a latency spike inside the request timeout costs only time; a remote slower than
the timeout fails the run with an explained, recorded error (after its retries), keeps what was
committed, and the next run, once the remote is quick again, reaches exactly the fault-free cache
and Workbooks data, with no person written twice."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from engine_helpers import (
    CacheSnapshot,
    Harness,
    fault_after,
    harness,
    last_recorded_run,
    read_people,
    snapshot,
)

from reliability_log import record
from syncmonitor.connectors.http.retry import RetryPolicy
from syncmonitor.engine.runs.events import RunOutcome
from syncmonitor.sandbox.process import SandboxEndpoints, SandboxProcess

SEED, PEOPLE, PAGE = 17, 200, 50
TIMEOUT = 0.4
POLICY = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.05, request_timeout=TIMEOUT)
MakeSandbox = Callable[..., SandboxEndpoints]


def _workbooks(h: Harness) -> dict[int, Any]:
    people = read_people(h.admin, PEOPLE)
    return {i: {k: v for k, v in p.items() if k != "updated_at"} for i, p in people.items()}


@pytest.fixture(scope="module")
def reference(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[CacheSnapshot, dict[int, Any]]]:
    with SandboxProcess(seed=SEED, people=PEOPLE, tick=0) as process:
        assert process.endpoints is not None
        folder = tmp_path_factory.mktemp("ref")
        with harness(process.endpoints, folder, page_size=PAGE, retry_policy=POLICY) as h:
            assert h.sync().ok
            yield snapshot(h.engine), _workbooks(h)


@pytest.fixture
def h(make_sandbox: MakeSandbox, tmp_path: Path) -> Iterator[Harness]:
    endpoints = make_sandbox(seed=SEED, people=PEOPLE, tick=0)
    with harness(endpoints, tmp_path / "cache", page_size=PAGE, retry_policy=POLICY) as made:
        yield made


def test_a_latency_spike_inside_the_timeout_costs_only_time(
    h: Harness, reference: tuple[CacheSnapshot, dict[int, Any]]
) -> None:
    spike = fault_after(h.admin, "outreach", 2, latency_ms=int(TIMEOUT * 1000 / 4))
    result = h.sync(progress=spike)
    assert spike.fired and result.ok, result.summary
    assert snapshot(h.engine) == reference[0]
    assert _workbooks(h) == reference[1]
    record("fault matrix", "latency spike inside the timeout", runs=1, converged=True)


@pytest.mark.parametrize("phase", ["outreach", "workbooks-push"])
def test_a_remote_slower_than_the_timeout_fails_explained_then_converges(
    h: Harness, reference: tuple[CacheSnapshot, dict[int, Any]], phase: str
) -> None:
    slow = fault_after(h.admin, phase, 1, latency_ms=int(TIMEOUT * 1000 * 2.5))
    result = h.sync(progress=slow)
    assert slow.fired
    # A slow Outreach fails the pull (and what needs it or Outreach); a slow Workbooks fails
    # the push after a complete pull: that run partly failed.
    expected = RunOutcome.FAILED if phase == "outreach" else RunOutcome.PARTLY_FAILED
    assert result.outcome is expected
    service = "Outreach" if phase == "outreach" else "Workbooks"
    failed = [j for j in result.jobs if j.outcome.value == "failed"]
    assert [j.error_title for j in failed] == [f"{service} did not answer in time"]
    assert "tries again by itself" in (result.error_message or "")
    row = last_recorded_run(h.engine)
    assert row["outcome"] == expected.value and row["error_title"] == result.error_title
    kept = snapshot(h.engine)
    assert kept.sequence_states, "what was committed before the slowness is kept"

    h.admin.clear_faults()
    h.admin.set_faults(latency_ms=0)
    assert h.sync().ok
    assert snapshot(h.engine).sequence_states == reference[0].sequence_states
    assert snapshot(h.engine).history == reference[0].history
    assert snapshot(h.engine).pending == []
    # Every person as in the fault-free run, lock_version included: none was written twice,
    # although the timed-out writes did reach the sandbox after the client gave up on them.
    assert _workbooks(h) == reference[1]
    record("fault matrix", f"{service} slower than the request timeout", runs=2, converged=True)
