"""The engine under the sandbox's faults: every run ends recorded (or succeeds after retries), what
was committed before a failure stays, and once the fault is gone the next run reaches exactly the
cache and the Workbooks people a fault-free run reaches, with nothing duplicated.

The reference is one fault-free run on a sandbox with the same seed. Faults are switched on in the
middle of a run, from the engine's own progress callback: after the third Outreach page (pages of
50, so pages 1 to 3 are committed first) or after the first Workbooks batch of 100 people.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from engine_helpers import (
    NO_EMAIL,
    PARKED_ATTEMPTS,
    SEQUENCE_STATE,
    STATE_UPDATED_AT,
    CacheSnapshot,
    Harness,
    fault_after,
    harness,
    last_recorded_run,
    read_people,
    requests_made,
    snapshot,
)
from sqlalchemy import select

from syncmonitor.connectors.workbooks.client import WorkbooksClient
from syncmonitor.engine.runs.events import RunOutcome, RunResult
from syncmonitor.sandbox.process import SandboxEndpoints, SandboxProcess
from syncmonitor.store.schema import push_outbox

PARTLY = RunOutcome.PARTLY_FAILED

SEED = 7
PEOPLE = 200
PAGE = 50
PAGES_BEFORE_FAULT = 3
ATTEMPTS = 3  # engine_helpers.FAST_RETRY.max_attempts

MakeSandbox = Callable[..., SandboxEndpoints]


def workbooks_fields(people: dict[int, dict[str, Any]]) -> dict[int, tuple[Any, ...]]:
    return {
        i: (p[SEQUENCE_STATE], p[STATE_UPDATED_AT], p[NO_EMAIL], p["is_deleted"])
        for i, p in people.items()
    }


@dataclass(frozen=True)
class Reference:
    """What a fault-free run on an identical world leaves behind."""

    cache: CacheSnapshot
    people: dict[int, tuple[Any, ...]]
    lock_versions: dict[int, int]
    outreach_requests: int
    workbooks_requests: int
    people_updated: int


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Reference]:
    with SandboxProcess(seed=SEED, people=PEOPLE, tick=0) as process:
        assert process.endpoints is not None
        with harness(process.endpoints, tmp_path_factory.mktemp("reference")) as h:
            result = h.sync()
            assert result.ok, result.summary
            people = read_people(h.admin, PEOPLE)
            counts = requests_made(h.admin)
            cache = snapshot(h.engine)
            assert cache.pending == [] and len(cache.sequence_states) == PEOPLE * 3
            yield Reference(
                cache,
                workbooks_fields(people),
                {i: p["lock_version"] for i, p in people.items()},
                counts["outreach"],
                counts["workbooks"],
                result.records_written["workbooks_people"],
            )


@pytest.fixture
def h(make_sandbox: MakeSandbox, tmp_path: Path) -> Iterator[Harness]:
    """A fresh world identical to the reference's, and a fresh cache."""
    endpoints = make_sandbox(seed=SEED, people=PEOPLE, tick=0)
    with harness(endpoints, tmp_path / "cache", page_size=PAGE) as made:
        yield made


def assert_converged(
    h: Harness,
    ref: Reference,
    *,
    same_lock_versions: bool = True,
    cached_people: bool = True,
) -> None:
    """The cache and Workbooks are exactly what the fault-free run left.

    `cached_people=False` leaves out the cache's copy of the Workbooks people, which a lock
    conflict leaves stale (test_the_cached_workbooks_person_matches_workbooks_after_a_conflict).
    """
    snap = snapshot(h.engine)
    assert snap.sequence_states == ref.cache.sequence_states
    assert snap.history == ref.cache.history  # sorted lists: a duplicate would show
    assert snap.prospects == ref.cache.prospects
    assert snap.pending == []
    assert snap.parked == ref.cache.parked
    assert snap.watermark == ref.cache.watermark
    if cached_people:
        assert snap.workbooks_people == ref.cache.workbooks_people
    people = read_people(h.admin, PEOPLE)
    assert workbooks_fields(people) == ref.people
    if same_lock_versions:  # each person written as often as in the fault-free run: no twice
        assert {i: p["lock_version"] for i, p in people.items()} == ref.lock_versions


def assert_recorded_failure(
    h: Harness,
    result: RunResult,
    service: str,
    *hints: str,
    outcome: RunOutcome = RunOutcome.FAILED,
) -> None:
    """The run failed (or partly failed), says so in sync_runs, and tells a person what happened
    and what to do."""
    assert result.outcome is outcome, result
    row = last_recorded_run(h.engine)
    assert row["id"] == result.run_id
    assert row["outcome"] == outcome.value and row["finished_at"]
    assert row["error_title"] == result.error_title and row["error_message"] == result.error_message
    text = f"{result.error_title}: {result.error_message}"
    assert service in text
    for hint in hints:
        assert hint in text, f"{hint!r} not in {text!r}"


def assert_kept_first_pages(h: Harness, ref: Reference, pages: int) -> None:
    """Exactly the first `pages` pages are committed, each record as the reference has it."""
    snap = snapshot(h.engine)
    assert len(snap.sequence_states) == pages * PAGE
    assert set(snap.sequence_states) <= set(ref.cache.sequence_states)
    assert len(snap.history) == pages * PAGE and set(snap.history) <= set(ref.cache.history)
    assert snap.watermark == max(row[9] for row in snap.sequence_states)
    assert snap.pending, "the people of the committed pages wait for their push"


# -- Outreach faults in the middle of paging ------------------------------------------------------

BODY_FAULTS = {
    "dropped connection": ({"drop_next": 1}, ("check the internet connection",)),
    "truncated JSON": ({"truncate_next": 1}, ("not valid JSON",)),
    "malformed JSON": ({"malformed_next": 1}, ("not valid JSON",)),
}
SERVER_FAULTS = {
    "500": ({"fail_next": 1, "fail_status": 500}, ("HTTP 500", "status page")),
    "502": ({"fail_next": 1, "fail_status": 502}, ("HTTP 502", "status page")),
    "503": ({"fail_next": 1, "fail_status": 503, "retry_after": 0}, ("HTTP 503", "status page")),
}
FAULTS = {**SERVER_FAULTS, **BODY_FAULTS}


def times(faults: dict[str, Any], n: int) -> dict[str, Any]:
    """The same fault for the next `n` requests."""
    return {k: (n if k.endswith("_next") else v) for k, v in faults.items()}


@pytest.mark.parametrize("kind", list(FAULTS))
def test_outreach_fault_mid_paging_is_retried_and_the_run_succeeds(
    h: Harness, reference: Reference, kind: str
) -> None:
    faults, _ = FAULTS[kind]
    progress = fault_after(
        h.admin, "outreach", PAGES_BEFORE_FAULT, target="outreach", **times(faults, ATTEMPTS - 1)
    )
    result = h.sync(progress)

    assert progress.fired
    assert result.ok, result.summary
    # Two failed tries, then the page: exactly two requests more than a fault-free run.
    assert requests_made(h.admin)["outreach"] == reference.outreach_requests + ATTEMPTS - 1
    assert_converged(h, reference)


@pytest.mark.parametrize("kind", list(FAULTS))
def test_outreach_fault_that_persists_fails_the_run_keeps_the_pages_and_then_converges(
    h: Harness, reference: Reference, kind: str
) -> None:
    faults, hints = FAULTS[kind]
    progress = fault_after(
        h.admin, "outreach", PAGES_BEFORE_FAULT, target="outreach", **times(faults, 100)
    )
    result = h.sync(progress)

    assert_recorded_failure(h, result, "Outreach", *hints)
    # The push needs the pull, and the other parts need Outreach, which stopped answering:
    # skipped, each saying why, so the run is one failure told once.
    outcomes = {j.job: j.outcome.value for j in result.jobs}
    assert outcomes.pop("outreach.pull") == "failed"
    assert set(outcomes.values()) <= {"skipped", "off"}, outcomes
    # Tried as often as the policy says, no more, and Workbooks was not touched.
    assert requests_made(h.admin) == {
        "outreach": PAGES_BEFORE_FAULT + ATTEMPTS,
        "workbooks": 0,
    }
    assert_kept_first_pages(h, reference, PAGES_BEFORE_FAULT)

    h.admin.clear_faults()
    assert h.sync().ok
    assert_converged(h, reference)


# -- Workbooks faults in the middle of the push ---------------------------------------------------

WORKBOOKS_FAULTS = {
    **FAULTS,
    "302 slow-down": ({"redirect_next": 1}, ("keeps redirecting", "sync less often")),
}


@pytest.mark.parametrize("kind", list(WORKBOOKS_FAULTS))
def test_workbooks_fault_mid_push_is_retried_and_the_run_succeeds(
    h: Harness, reference: Reference, kind: str
) -> None:
    faults, _ = WORKBOOKS_FAULTS[kind]
    progress = fault_after(h.admin, "workbooks-push", 1, target="workbooks", **times(faults, 2))
    result = h.sync(progress)

    assert progress.fired
    assert result.ok, result.summary
    assert requests_made(h.admin)["workbooks"] == reference.workbooks_requests + 2
    assert_converged(h, reference)


@pytest.mark.parametrize("kind", list(WORKBOOKS_FAULTS))
def test_workbooks_fault_that_persists_fails_the_run_keeps_the_pushed_and_then_converges(
    h: Harness, reference: Reference, kind: str
) -> None:
    faults, hints = WORKBOOKS_FAULTS[kind]
    progress = fault_after(h.admin, "workbooks-push", 1, target="workbooks", **times(faults, 500))
    result = h.sync(progress)

    # The pull went through, the push did not: the run partly failed, saying which part.
    assert_recorded_failure(
        h, result, "Workbooks", *hints, "Sequence states into Workbooks", outcome=PARTLY
    )
    outcomes = {j.job: j.outcome.value for j in result.jobs}
    assert outcomes["outreach.pull"] == "succeeded" and outcomes["workbooks.push"] == "failed"
    snap = snapshot(h.engine)
    # The pull was complete; the first batch of 100 people is pushed, the rest wait.
    assert snap.sequence_states == reference.cache.sequence_states
    assert snap.history == reference.cache.history
    assert len(snap.pending) == PEOPLE - 100
    pushed = {row[0] for row in snap.workbooks_people}
    people = read_people(h.admin, PEOPLE)
    assert pushed and all(workbooks_fields(people)[i] == reference.people[i] for i in pushed)
    # No retry storm: the failing request was tried as often as the policy says.
    assert progress.requests_before is not None
    per_attempt = 6 if kind == "302 slow-down" else 1  # a request and its 5 redirects
    assert requests_made(h.admin) == {
        "outreach": reference.outreach_requests,
        "workbooks": progress.requests_before["workbooks"] + ATTEMPTS * per_attempt,
    }

    h.admin.clear_faults()
    assert h.sync().ok
    assert_converged(h, reference)


PUT_FAULTS = {
    "500 on the write": {"fail_next": 1, "fail_status": 500},
    "write saved but the answer lost": {"drop_next": 1},
    "write saved but the answer cut short": {"truncate_next": 1},
}


@pytest.mark.parametrize("kind", list(PUT_FAULTS))
def test_a_fault_on_the_workbooks_write_itself_never_writes_a_person_twice(
    h: Harness, reference: Reference, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = WorkbooksClient.update_records
    calls: list[int] = []

    async def update_records(self: WorkbooksClient, endpoint: str, updates: Any) -> Any:
        if not calls:  # the fault meets the first write request, whatever comes before it
            h.admin.set_faults(target="workbooks", **PUT_FAULTS[kind])
        calls.append(len(updates))
        return await original(self, endpoint, updates)

    monkeypatch.setattr(WorkbooksClient, "update_records", update_records)
    result = h.sync()

    assert calls, "the run wrote nothing, so the fault was never met"
    assert result.ok, result.summary
    left = h.admin.faults()
    assert left["fail_next"] == left["drop_next"] == left["truncate_next"] == 0
    assert_converged(h, reference)  # same lock_version as the reference: nobody saved twice


# -- Rate limits (Outreach) -----------------------------------------------------------------------


def test_a_429_with_retry_after_is_waited_out_and_the_run_succeeds(
    h: Harness, reference: Reference
) -> None:
    progress = fault_after(
        h.admin, "outreach", PAGES_BEFORE_FAULT, rate_limit_remaining=0, retry_after=1
    )
    started = time.monotonic()
    result = h.sync(progress)

    assert result.ok, result.summary
    assert time.monotonic() - started >= 1.0, "it did not wait as Retry-After asked"
    assert requests_made(h.admin)["outreach"] == reference.outreach_requests + 1  # one 429
    assert_converged(h, reference)


@pytest.mark.parametrize(
    "retry_after", [None, 60], ids=["no Retry-After", "Retry-After longer than it waits"]
)
def test_a_429_with_nothing_to_wait_for_fails_at_once_with_when_to_try_again(
    h: Harness, reference: Reference, retry_after: int | None
) -> None:
    # The budget is gone until the hourly window ends, or for longer than a run waits.
    progress = fault_after(
        h.admin, "outreach", PAGES_BEFORE_FAULT, rate_limit_remaining=0, retry_after=retry_after
    )
    result = h.sync(progress)

    assert_recorded_failure(h, result, "Outreach", "rate limit", "can run again in about")
    assert requests_made(h.admin) == {"outreach": PAGES_BEFORE_FAULT + 1, "workbooks": 0}
    assert_kept_first_pages(h, reference, PAGES_BEFORE_FAULT)

    h.admin.clear_faults()
    assert h.sync().ok
    assert_converged(h, reference)


@pytest.mark.parametrize("two_values", [False, True], ids=["one value", "two values"])
def test_a_spent_budget_is_honoured_before_any_429(
    h: Harness, reference: Reference, two_values: bool
) -> None:
    """X-RateLimit-Remaining reaching 0 stops the run before the next request (as "N" or the
    "N, M" some accounts send), with a clear message; nothing is sent to meet a 429."""
    progress = fault_after(
        h.admin,
        "outreach",
        PAGES_BEFORE_FAULT,
        rate_limit_remaining=2,
        retry_after=60,
        two_value_remaining=two_values,
    )
    result = h.sync(progress)

    assert_recorded_failure(h, result, "Outreach", "rate limit", "can run again in about")
    assert requests_made(h.admin) == {"outreach": PAGES_BEFORE_FAULT + 2, "workbooks": 0}
    assert h.admin.stats()["rate_limit"]["remaining"] == 0  # spent, never overdrawn
    assert_kept_first_pages(h, reference, PAGES_BEFORE_FAULT + 2)

    h.admin.clear_faults()
    assert h.sync().ok
    assert_converged(h, reference)


def test_a_budget_that_comes_back_soon_is_waited_for_without_a_429(
    h: Harness, reference: Reference
) -> None:
    progress = fault_after(
        h.admin,
        "outreach",
        PAGES_BEFORE_FAULT,
        rate_limit_remaining=2,
        retry_after=1,
        two_value_remaining=True,
    )
    started = time.monotonic()
    result = h.sync(progress)

    assert result.ok, result.summary
    assert time.monotonic() - started >= 0.5
    assert requests_made(h.admin)["outreach"] == reference.outreach_requests  # not one 429
    assert_converged(h, reference)


# -- Lock conflicts on the push -------------------------------------------------------------------


def test_a_lock_conflict_is_read_again_and_retried(h: Harness, reference: Reference) -> None:
    h.admin.set_faults(target="workbooks", lock_conflict_next=3)
    result = h.sync()

    assert result.ok, result.summary
    assert h.admin.faults()["lock_conflict_next"] == 0, "no write met the conflicts"
    # The three conflicting people were saved elsewhere once more: fields as the reference,
    # lock_version one higher.
    assert_converged(h, reference, same_lock_versions=False, cached_people=False)
    people = read_people(h.admin, PEOPLE)
    bumped = {i for i, p in people.items() if p["lock_version"] != reference.lock_versions[i]}
    assert len(bumped) == 3
    assert all(people[i]["lock_version"] == reference.lock_versions[i] + 1 for i in bumped)


def test_lock_conflicts_that_persist_fail_the_run_and_the_people_stay_queued(
    h: Harness, reference: Reference
) -> None:
    h.admin.set_faults(target="workbooks", lock_conflict_next=10_000)
    result = h.sync()

    assert_recorded_failure(h, result, "Workbooks", "retried on the next sync", outcome=PARTLY)
    with h.engine.connect() as conn:
        queued = conn.execute(
            select(push_outbox.c.prospect_id, push_outbox.c.attempts, push_outbox.c.last_error)
        ).all()
    failed = [row for row in queued if row[1] < PARKED_ATTEMPTS]
    assert len(failed) == result.records_written["workbooks_failed"] > 0
    assert all("lock_version conflict" in row[2] for row in failed)

    h.admin.clear_faults()
    assert h.sync().ok
    assert_converged(h, reference, same_lock_versions=False)


def test_a_run_whose_workbooks_writes_failed_has_a_title_that_says_so(h: Harness) -> None:
    h.admin.set_faults(target="workbooks", lock_conflict_next=10_000)
    result = h.sync()
    assert result.outcome is PARTLY  # the pull went through
    assert "Workbooks" in (result.error_title or ""), result.error_title


def test_the_cached_workbooks_person_matches_workbooks_after_a_conflict_retry(
    h: Harness, reference: Reference
) -> None:
    """`people show` and the person pane show the Workbooks Sequence State from the cache."""
    h.admin.set_faults(target="workbooks", lock_conflict_next=1)
    assert h.sync().ok
    assert snapshot(h.engine).workbooks_people == reference.cache.workbooks_people


def test_people_whose_writes_failed_three_runs_running_are_still_written_later(
    h: Harness, reference: Reference
) -> None:
    """The failed run says "They stay queued and are retried on the next sync"."""
    h.admin.set_faults(target="workbooks", lock_conflict_next=100_000)
    for _ in range(3):
        assert h.sync().outcome is PARTLY
    h.admin.clear_faults()

    result = h.sync()

    assert result.ok, result.summary
    assert_converged(h, reference, same_lock_versions=False)


# -- Credentials -------------------------------------------------------------------------------


def test_a_wrong_outreach_token_is_one_clear_failed_run_with_no_retries(
    make_sandbox: MakeSandbox, tmp_path: Path, reference: Reference
) -> None:
    endpoints = make_sandbox(seed=SEED, people=PEOPLE, tick=0)
    with harness(endpoints, tmp_path / "cache", outreach_token="expired-token-123") as h:
        result = h.sync()

        assert_recorded_failure(h, result, "Outreach", "SYNCMONITOR_OUTREACH_TOKEN")
        assert "access token" in (result.error_title or "")
        assert "expired-token-123" not in f"{result.error_title} {result.error_message}"
        assert requests_made(h.admin) == {"outreach": 1, "workbooks": 0}
        assert snapshot(h.engine).sequence_states == []

    with harness(endpoints, tmp_path / "cache") as fixed:  # the right token, the same cache
        assert fixed.sync().ok
        assert_converged(fixed, reference)


def test_a_wrong_workbooks_key_is_one_clear_failed_run_with_no_retries(
    make_sandbox: MakeSandbox, tmp_path: Path, reference: Reference
) -> None:
    endpoints = make_sandbox(seed=SEED, people=PEOPLE, tick=0)
    with harness(endpoints, tmp_path / "cache", workbooks_api_key="revoked-key-456") as h:
        result = h.sync()

        assert_recorded_failure(
            h, result, "Workbooks", "SYNCMONITOR_WORKBOOKS_API_KEY", outcome=PARTLY
        )
        assert "API key" in (result.error_message or "")
        assert "revoked-key-456" not in f"{result.error_title} {result.error_message}"
        assert requests_made(h.admin)["workbooks"] == 1
        snap = snapshot(h.engine)
        assert snap.sequence_states == reference.cache.sequence_states  # the pull is kept
        assert len(snap.pending) == PEOPLE  # and everyone waits for the push

    with harness(endpoints, tmp_path / "cache") as fixed:
        assert fixed.sync().ok
        assert_converged(fixed, reference)


def test_a_failed_run_still_reports_what_it_kept(h: Harness, reference: Reference) -> None:
    progress = fault_after(h.admin, "outreach", PAGES_BEFORE_FAULT, target="outreach", drop_next=99)
    result = h.sync(progress)
    assert result.outcome is RunOutcome.FAILED
    assert result.records_written.get("transitions") == PAGES_BEFORE_FAULT * PAGE
    assert last_recorded_run(h.engine)["records_written"] == result.records_written


def test_people_saved_by_a_write_whose_answer_was_lost_are_counted_as_updated(
    h: Harness, reference: Reference, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = WorkbooksClient.update_records

    async def update_records(self: WorkbooksClient, endpoint: str, updates: Any) -> Any:
        h.admin.set_faults(target="workbooks", drop_next=1)
        return await original(self, endpoint, updates)

    monkeypatch.setattr(WorkbooksClient, "update_records", update_records)
    result = h.sync()
    assert result.ok
    assert_converged(h, reference)  # the same people saved once each, as in the reference
    assert result.records_written["workbooks_people"] == reference.people_updated
