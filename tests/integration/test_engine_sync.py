"""The sync engine end to end against the real sandbox: what a first sync stores and writes, that a
second one writes nothing, that live changes become exactly their transitions, and how people are
matched in Workbooks.

Every test takes a sandbox of its own (the engine writes to Workbooks) and a fresh cache. What the
sandbox holds is read over its own APIs (engine_helpers.read_outreach / read_people), and the
Workbooks fields expected come from the rule in domain/person_state.py applied to that.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from engine_helpers import (
    EMAIL,
    NO_EMAIL,
    OUTREACH_ID,
    SEQUENCE_STATE,
    STATE_UPDATED_AT,
    OutreachWorld,
    harness,
    history_count,
    mismatches,
    read_outreach,
    read_people,
    requests_made,
    snapshot,
    workbooks_datetime,
    workbooks_write,
)
from sqlalchemy import select

from syncmonitor.domain.states import CanonicalState
from syncmonitor.engine.runs.events import RunOutcome
from syncmonitor.sandbox.process import SandboxEndpoints
from syncmonitor.store.people import current_states, find_person, history
from syncmonitor.store.schema import push_outbox, state_history

SEED = 7
PEOPLE = 200

# Every test once on a SQLite cache and once on a PostgreSQL team store (tests/store_backends.py).
pytestmark = pytest.mark.usefixtures("store_backend")

MakeSandbox = Callable[..., SandboxEndpoints]


@pytest.fixture
def world_sandbox(make_sandbox: MakeSandbox) -> SandboxEndpoints:
    """A frozen world of this module's own (syncs write to its Workbooks)."""
    return make_sandbox(seed=SEED, people=PEOPLE, tick=0)


def live_people(world: OutreachWorld, people: dict[int, dict[str, Any]]) -> dict[int, int]:
    """prospect id -> Workbooks person id, for prospects whose person is not deleted."""
    return {
        pid: p.person_id
        for pid, p in world.prospects.items()
        if not people[p.person_id]["is_deleted"]
    }


def versions(people: dict[int, dict[str, Any]]) -> dict[int, int]:
    return {pid: p["lock_version"] for pid, p in people.items()}


def test_first_sync_stores_every_state_one_transition_each_and_writes_the_rule(
    world_sandbox: SandboxEndpoints, tmp_path: Path
) -> None:
    world = read_outreach(world_sandbox)
    with harness(world_sandbox, tmp_path / "cache") as h:
        stats = h.admin.stats()
        assert len(world.states) == stats["sequenceStates"]
        people = read_people(h.admin, PEOPLE)
        live = live_people(world, people)
        # Opted-out people whose No Email is still off, and someone who chose No Email by hand:
        # the sync must set the first and never clear the second.
        opted_out = [pid for pid in live if world.prospects[pid].opted_out]
        assert opted_out, "the world needs opted-out prospects"
        chose_no_email = next(pid for pid in live if not world.prospects[pid].opted_out)
        workbooks_write(
            world_sandbox,
            [
                {
                    "id": live[pid],
                    "lock_version": people[live[pid]]["lock_version"],
                    NO_EMAIL: False,
                }
                for pid in opted_out
            ]
            + [
                {
                    "id": live[chose_no_email],
                    "lock_version": people[live[chose_no_email]]["lock_version"],
                    NO_EMAIL: True,
                }
            ],
        )
        people = read_people(h.admin, PEOPLE)
        stale = mismatches(world, people)
        assert len(stale) >= len(opted_out), "the world must have people to update"

        result = h.sync()

        assert result.outcome is RunOutcome.SUCCEEDED, result.summary
        snap = snapshot(h.engine)
        # Every state, as Outreach has it.
        assert len(snap.sequence_states) == stats["sequenceStates"]
        assert result.records_read["sequence_states"] == stats["sequenceStates"]
        raw_counts = Counter(row[5] for row in snap.sequence_states)
        assert raw_counts == Counter(stats["states_by_value"])
        for row in snap.sequence_states:
            s = world.states[row[1]]
            assert (row[2], row[3], row[4], row[5], row[6], row[8]) == (
                s.prospect_id,
                s.sequence_id,
                s.step_id,
                s.raw,
                s.resolved.state.value,
                s.state_changed_at,
            )
        # One history row per state, no more.
        assert result.records_written["transitions"] == len(world.states)
        assert Counter(row[1] for row in snap.history) == Counter(world.states.keys())
        assert len({(r[1], r[8]) for r in snap.history}) == len(snap.history)
        # Everyone was queued and pushed; only people without a live Workbooks person stay,
        # parked with a reason.
        assert snap.pending == []
        assert snap.parked == sorted(set(world.prospects) - set(live))
        assert result.records_read["workbooks_people_checked"] == len(world.prospects)

        after = read_people(h.admin, PEOPLE)
        assert mismatches(world, after) == {}
        for pid in opted_out:
            assert after[live[pid]][NO_EMAIL] is True
        assert after[live[chose_no_email]][NO_EMAIL] is True, "No Email was cleared by a sync"
        # Only the people who needed new values were written, each once.
        changed = {i for i in after if after[i]["lock_version"] != people[i]["lock_version"]}
        assert changed == set(stale)
        assert all(after[i]["lock_version"] == people[i]["lock_version"] + 1 for i in changed)
        assert result.records_written["workbooks_people"] == len(stale)


def test_people_are_queued_by_the_pull_and_written_by_the_push(
    world_sandbox: SandboxEndpoints, tmp_path: Path
) -> None:
    world = read_outreach(world_sandbox)
    with harness(world_sandbox, tmp_path / "cache", push_enabled=False) as read_only:
        people = read_people(read_only.admin, PEOPLE)
        assert read_only.sync().ok
        queued = snapshot(read_only.engine).pending
        assert queued == sorted(world.prospects), "every person with a state is queued"
        assert requests_made(read_only.admin)["workbooks"] == 0, "push disabled still wrote"
        assert versions(read_people(read_only.admin, PEOPLE)) == versions(people)

    with harness(world_sandbox, tmp_path / "cache") as h:  # the same cache, push enabled
        result = h.sync()
        assert result.ok, result.summary
        assert result.records_written["transitions"] == 0  # already pulled
        assert result.records_read["workbooks_people_checked"] == len(world.prospects)
        snap = snapshot(h.engine)
        assert snap.pending == []
        assert mismatches(world, read_people(h.admin, PEOPLE)) == {}


def test_a_second_sync_without_changes_writes_nothing(
    world_sandbox: SandboxEndpoints, tmp_path: Path
) -> None:
    with harness(world_sandbox, tmp_path / "cache") as h:
        assert h.sync().ok
        first = snapshot(h.engine)
        people = read_people(h.admin, PEOPLE)

        result = h.sync()

        assert result.ok, result.summary
        assert result.records_written["transitions"] == 0
        assert result.records_written.get("workbooks_people", 0) == 0
        second = snapshot(h.engine)
        assert second.history == first.history
        assert second.sequence_states == first.sequence_states
        assert second.pending == [] and second.parked == first.parked
        assert versions(read_people(h.admin, PEOPLE)) == versions(people)
        assert result.records_read["pages"] == 1  # resumed at the watermark, not a full read


def final_states(changes: list[dict[str, Any]]) -> dict[int, tuple[int, str]]:
    """sequence state id -> (prospect id, raw state after the tick) for every state touched."""
    final: dict[int, tuple[int, str]] = {}
    for change in changes:
        if change["kind"] == "opt_out":
            for sid in change["sequenceStates"]:
                final[sid] = (change["prospect"], "finished")
        else:
            final[change["sequenceState"]] = (change["prospect"], change["state"])
    return final


def test_after_live_changes_a_sync_records_exactly_the_new_transitions(
    world_sandbox: SandboxEndpoints, tmp_path: Path
) -> None:
    with harness(world_sandbox, tmp_path / "cache") as h:
        assert h.sync().ok
        before = snapshot(h.engine)
        people = read_people(h.admin, PEOPLE)
        changes = h.admin.tick(25)
        assert len(changes) == 25
        touched = final_states(changes)
        world = read_outreach(world_sandbox)
        stale = mismatches(world, people, {p for p, _ in touched.values()})
        assert stale, "the changes must alter some people's Sequence State"

        result = h.sync()

        assert result.ok, result.summary
        after = snapshot(h.engine)
        new = Counter(after.history) - Counter(before.history)
        assert sum(new.values()) == len(touched) == result.records_written["transitions"]
        assert set(Counter(before.history) - Counter(after.history)) == set()  # nothing lost
        by_state = {row[1]: row for row in new}
        assert set(by_state) == set(touched)
        for sid, (prospect, raw) in touched.items():
            row = by_state[sid]
            assert (row[2], row[5]) == (prospect, raw)
            assert row[8] == world.states[sid].state_changed_at
        # Those people were pushed: the rule holds for everyone, and only they were written.
        assert after.pending == []
        now = read_people(h.admin, PEOPLE)
        assert mismatches(world, now) == {}
        written = {i for i in now if now[i]["lock_version"] != people[i]["lock_version"]}
        assert written == set(stale)
        assert result.records_written["workbooks_people"] == len(stale)


def test_people_without_an_outreach_id_are_matched_by_email_in_any_case(
    world_sandbox: SandboxEndpoints, tmp_path: Path
) -> None:
    world = read_outreach(world_sandbox)
    with harness(world_sandbox, tmp_path / "cache") as h:
        people = read_people(h.admin, PEOPLE)
        live = live_people(world, people)
        by_email = [pid for pid, person in live.items() if not people[person][OUTREACH_ID]]
        assert len(by_email) >= 5, "the world should have people without an Outreach id"
        # One more: its Outreach id removed and its email typed in mixed case by someone.
        mixed = next(pid for pid in live if pid not in by_email)
        local, domain = people[live[mixed]][EMAIL].split("@")
        mixed_email = f"{local.title()}@{domain.upper()}"
        assert mixed_email.lower() == world.prospects[mixed].email
        writes = [
            {
                "id": live[pid],
                "lock_version": people[live[pid]]["lock_version"],
                SEQUENCE_STATE: None,
                STATE_UPDATED_AT: None,
            }
            for pid in [*by_email, mixed]
        ]
        writes[-1].update({OUTREACH_ID: None, EMAIL: mixed_email})
        workbooks_write(world_sandbox, writes)

        assert h.sync().ok

        after = read_people(h.admin, PEOPLE)
        assert mismatches(world, after, [*by_email, mixed]) == {}
        assert after[live[mixed]][EMAIL] == mixed_email  # matched, not rewritten
        assert snapshot(h.engine).pending == []
        with h.engine.connect() as conn:
            found = find_person(conn, mixed_email)
        assert found is not None and found.workbooks_person_id == live[mixed]


def test_deleted_workbooks_people_are_never_written(
    world_sandbox: SandboxEndpoints, tmp_path: Path
) -> None:
    world = read_outreach(world_sandbox)
    with harness(world_sandbox, tmp_path / "cache") as h:
        people = read_people(h.admin, PEOPLE)
        deleted = {pid: p.person_id for pid, p in world.prospects.items()}
        deleted = {pid: i for pid, i in deleted.items() if people[i]["is_deleted"]}
        assert len(deleted) >= 2, "the world should have deleted people"
        # The first deleted person was re-created (same email, no Outreach id, no state yet):
        # the live copy is the one to write.
        recreated_for = min(deleted)
        gone = people[deleted[recreated_for]]
        answer = workbooks_write(
            world_sandbox,
            [
                {
                    "person_first_name": gone["person_first_name"],
                    "person_last_name": gone["person_last_name"],
                    EMAIL: gone[EMAIL],
                }
            ],
            method="POST",
        )
        recreated = int(answer["affected_objects"][0]["id"])

        result = h.sync()

        assert result.ok, result.summary
        for person_id in deleted.values():
            assert h.admin.person(person_id) == people[person_id], "a deleted person was written"
        state, when, _ = world.expected_fields(recreated_for)
        copy = h.admin.person(recreated)
        assert when is not None
        assert copy[SEQUENCE_STATE] == state
        assert workbooks_datetime(copy[STATE_UPDATED_AT]) == when.replace(microsecond=0)
        with h.engine.connect() as conn:
            parked = dict(
                conn.execute(select(push_outbox.c.prospect_id, push_outbox.c.last_error)).all()
            )
        assert set(parked) == set(deleted) - {recreated_for}
        assert all("No Workbooks person" in message for message in parked.values())


def test_unknown_raw_states_are_kept_as_unknown_and_written_raw(
    world_sandbox: SandboxEndpoints, tmp_path: Path
) -> None:
    world = read_outreach(world_sandbox)
    unknown = {sid for sid, s in world.states.items() if s.raw == "scheduled_to_finish"}
    assert unknown, "the world should have the undocumented raw state"
    with harness(world_sandbox, tmp_path / "cache") as h:
        people = read_people(h.admin, PEOPLE)
        latest_unknown = [
            pid
            for pid, p in world.prospects.items()
            if world.expected_fields(pid)[0] == "scheduled_to_finish"
            and not people[p.person_id]["is_deleted"]
        ]
        assert latest_unknown, "someone's latest state should be the unknown one"
        workbooks_write(
            world_sandbox,
            [
                {
                    "id": world.prospects[pid].person_id,
                    "lock_version": people[world.prospects[pid].person_id]["lock_version"],
                    SEQUENCE_STATE: "Active – Running",
                }
                for pid in latest_unknown
            ],
        )

        result = h.sync()

        assert result.ok, result.summary
        assert result.records_read["unknown_states"] == len(unknown)
        snap = snapshot(h.engine)
        kept = {row[1]: row for row in snap.sequence_states if row[1] in unknown}
        assert set(kept) == unknown
        assert {(row[5], row[6]) for row in kept.values()} == {
            ("scheduled_to_finish", CanonicalState.UNKNOWN.value)
        }
        assert {(r[5], r[6]) for r in snap.history if r[1] in unknown} == {
            ("scheduled_to_finish", CanonicalState.UNKNOWN.value)
        }
        for pid in latest_unknown:
            person = h.admin.person(world.prospects[pid].person_id)
            assert person[SEQUENCE_STATE] == "scheduled_to_finish"
            with h.engine.connect() as conn:
                labels = {r.state.label for r in current_states(conn, "outreach", pid)}
            assert "Unknown (scheduled_to_finish)" in labels


def test_people_show_data_is_what_outreach_said_over_time(
    world_sandbox: SandboxEndpoints, tmp_path: Path
) -> None:
    """The queries behind `people show` and the People page: current states and full history."""
    with harness(world_sandbox, tmp_path / "cache") as h:
        assert h.sync().ok
        first = read_outreach(world_sandbox)
        changes = h.admin.tick(20)
        assert h.sync().ok
        world = read_outreach(world_sandbox)
        people = read_people(h.admin, PEOPLE)
        touched = final_states(changes)

        with h.engine.connect() as conn:
            for pid, prospect in world.prospects.items():
                rows = current_states(conn, "outreach", pid)
                expected = world.states_of(pid)
                assert sorted(
                    (r.sequence_state_id, r.state.raw, r.state, r.state_changed_at) for r in rows
                ) == [(s.id, s.raw, s.resolved, s.state_changed_at) for s in expected], (
                    f"current states of prospect {pid}"
                )
                timeline = history(conn, None, pid)
                # First seen once per state, then once per state the changes touched.
                seen = Counter(t.sequence_state_id for t in timeline)
                assert seen == Counter(
                    [s.id for s in first.states_of(pid)]
                    + [sid for sid, (p, _) in touched.items() if p == pid]
                )
                keys = [(t.state_changed_at or "", t.id) for t in timeline]
                assert keys == sorted(keys, reverse=True), "history is newest first"
                detail = find_person(conn, prospect.email.upper())
                assert detail is not None and detail.prospect_id == pid
                person = people[prospect.person_id]
                if not person["is_deleted"]:
                    assert detail.workbooks_person_id == prospect.person_id
                    assert detail.workbooks_sequence_state == person[SEQUENCE_STATE]
            total = len(conn.execute(select(state_history.c.id)).all())
        assert total == history_count(h.engine) == len(first.states) + len(touched)


def test_changes_made_while_a_sync_pages_are_all_caught_by_the_next_sync(
    world_sandbox: SandboxEndpoints, tmp_path: Path
) -> None:
    """Records that change mid-paging move behind the cursor; nothing is missed or doubled."""
    with harness(world_sandbox, tmp_path / "cache", page_size=20) as h:
        h.admin.set_faults(target="outreach", latency_ms=15)  # let the world move under the run
        h.admin.set_live(tick=0.02, changes_per_tick=3)
        first = h.sync()
        h.admin.set_live(tick=0, changes_per_tick=0)
        h.admin.clear_faults()
        assert first.ok, first.summary
        assert h.admin.stats()["changes_applied"] > 0, "the world did not change during the run"

        assert h.sync().ok

        world = read_outreach(world_sandbox)
        snap = snapshot(h.engine)
        assert {row[1]: (row[4], row[5], row[8]) for row in snap.sequence_states} == {
            s.id: (s.step_id, s.raw, s.state_changed_at) for s in world.states.values()
        }
        # Every state's current value is in its history, and no transition is there twice.
        assert {(r[1], r[4] or None, r[5], r[8]) for r in snap.history} >= {
            (s.id, s.step_id, s.raw, s.state_changed_at) for s in world.states.values()
        }
        assert len(set(snap.history)) == len(snap.history)
        assert snap.pending == []
        assert mismatches(world, read_people(h.admin, PEOPLE)) == {}


def test_a_run_reports_each_person_once(world_sandbox: SandboxEndpoints, tmp_path: Path) -> None:
    with harness(world_sandbox, tmp_path / "cache") as h:
        result = h.sync()
        assert result.ok
        assert result.records_read["prospects"] == PEOPLE
        assert result.records_written["people_queued"] == PEOPLE
