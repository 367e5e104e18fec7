"""Live changes: what happens in Outreach while Sync Monitor watches.

Each change stamps `updatedAt` with the world clock and, when the state itself changed,
`stateChangedAt` too, exactly what an incremental sync keyed on `updatedAt` has to pick up.
Changes touch only Outreach: Workbooks changes when a client (the app) writes to it.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

from syncmonitor.sandbox.records import Prospect, SequenceState

if TYPE_CHECKING:
    from syncmonitor.sandbox.world import World

# Outreach's default stages in a new account (Outreach's article on mapping CRM statuses to stages);
# ids in this world are 1..6 in this order.
DEFAULT_STAGES = (
    ("New", "#8e8e8e"),
    ("Approaching", "#5951ff"),
    ("Replied", "#2fb344"),
    ("Unresponsive", "#f5a623"),
    ("Do Not Contact", "#d0021b"),
    ("Bad Data", "#4a4a4a"),
)
STAGE_NEW, STAGE_APPROACHING, STAGE_REPLIED, STAGE_UNRESPONSIVE, STAGE_DNC, STAGE_BAD = range(1, 7)

CHANGE_KINDS = ("advance", "pause_resume", "reply", "bounce", "opt_out", "new_state")
_CHANGE_WEIGHTS = (34, 20, 16, 8, 4, 18)
# Random probing for a record that fits a change; a miss falls back to enrolling someone new.
_TRIES = 40
_RUNNING = ("active", "paused", "pending")


def choose_stage(states: list[SequenceState], opted_out: bool) -> int:
    """The stage a prospect sits in given its sequence states (the way a rep would set it)."""
    if opted_out:
        return STAGE_DNC
    if any(s.reply_count for s in states):
        return STAGE_REPLIED
    if any(s.bounce_count for s in states):
        return STAGE_BAD
    if any(s.state in _RUNNING for s in states):
        return STAGE_APPROACHING
    return STAGE_UNRESPONSIVE if states else STAGE_NEW


def apply_changes(world: World, count: int) -> list[dict[str, Any]]:
    """Apply `count` random changes now; the caller holds `world.lock`."""
    rng = world.change_rng
    done: list[dict[str, Any]] = []
    for _ in range(count):
        chosen = rng.choices(CHANGE_KINDS, _CHANGE_WEIGHTS)[0]
        # A kind can find nothing to change (nobody active, every prospect in every sequence):
        # then the next kind that can is used, so that a tick of N is N changes.
        for kind in (chosen, *(k for k in CHANGE_KINDS if k != chosen)):
            change = _apply_one(world, rng, kind)
            if change is not None:
                done.append(change)
                break
    return done


def apply_change(world: World, kind: str) -> dict[str, Any] | None:
    """One change of `kind` (one of CHANGE_KINDS) on a random record, None when no record fits;
    the caller holds `world.lock`. The admin API's "opt a person out" and "bounce one"."""
    if kind not in CHANGE_KINDS:
        raise ValueError(f"kind must be one of {', '.join(CHANGE_KINDS)}")
    return _apply_one(world, world.change_rng, kind)


def _apply_one(world: World, rng: random.Random, kind: str) -> dict[str, Any] | None:
    now = world.clock()
    if kind == "opt_out":
        return _opt_out(world, rng, now)
    if kind == "new_state":
        return _new_state(world, rng, now)
    wanted = ("active", "paused") if kind in ("pause_resume", "reply") else ("active",)
    state = _pick_state(world, rng, wanted)
    if state is None:
        return None
    before = state.state
    if kind == "advance":
        steps = world.sequences.by_id[state.sequence_id].step_ids
        position = steps.index(state.step_id)
        if position + 1 < len(steps):
            state.step_id = steps[position + 1]
            state.open_count += rng.random() < 0.4
        else:
            state.state = "finished"  # the last step is done: finished without a reply
    elif kind == "pause_resume":
        if state.state == "active":
            state.state = "paused"
            state.pause_reason = "ooo" if rng.random() < 0.3 else "manual"
        else:
            state.state = "active"
            state.pause_reason = None
    elif kind == "reply":
        state.state = "finished"
        state.reply_count += 1
        state.replied_at = now
    else:  # bounce
        state.state = "bounced"
        state.bounce_count += 1
    _stamp(world, state, now, changed=state.state != before)
    _restage(world, world.prospects.by_id[state.prospect_id], now)
    return {
        "kind": kind,
        "sequenceState": state.id,
        "prospect": state.prospect_id,
        "state": state.state,
        "previousState": before,
        "sequenceStep": state.step_id,
    }


def _opt_out(world: World, rng: random.Random, now: int) -> dict[str, Any] | None:
    prospect = _pick_prospect(world, rng)
    if prospect is None:
        return None
    prospect.opted_out = True
    prospect.opted_out_at = now
    touched: list[int] = []
    for state_id in world.states_by_prospect.get(prospect.id, ()):
        state = world.sequence_states.by_id[state_id]
        changed = state.state != "finished"
        state.state = "finished"
        state.opt_out_count = 1
        state.pause_reason = None
        _stamp(world, state, now, changed=changed)
        touched.append(state_id)
    _restage(world, prospect, now, force=True)
    return {"kind": "opt_out", "prospect": prospect.id, "sequenceStates": touched}


def _new_state(world: World, rng: random.Random, now: int) -> dict[str, Any] | None:
    sequence_ids = world.sequences.ids
    for _ in range(_TRIES):
        prospect = _pick_prospect(world, rng)
        if prospect is None:
            return None
        taken = {
            world.sequence_states.by_id[s].sequence_id
            for s in world.states_by_prospect.get(prospect.id, ())
        }
        free = [s for s in sequence_ids if s not in taken]
        if not free:
            continue
        sequence = world.sequences.by_id[rng.choice(free)]
        state = SequenceState(
            world.sequence_states.next_id,
            prospect.id,
            sequence.id,
            sequence.step_ids[0],
            "active" if sequence.enabled else "pending",
            now,
        )
        state.active_at = now if sequence.enabled else None
        world.add_state(state)
        _restage(world, prospect, now)
        return {
            "kind": "new_state",
            "sequenceState": state.id,
            "prospect": prospect.id,
            "state": state.state,
            "previousState": None,
            "sequenceStep": state.step_id,
        }
    return None


def _pick_state(world: World, rng: random.Random, wanted: tuple[str, ...]) -> SequenceState | None:
    ids = world.sequence_states.ids
    if not ids:
        return None
    for _ in range(_TRIES):
        state = world.sequence_states.by_id[ids[rng.randrange(len(ids))]]
        if state.state in wanted and not world.prospects.by_id[state.prospect_id].opted_out:
            return state
    return None


def _pick_prospect(world: World, rng: random.Random) -> Prospect | None:
    ids = world.prospects.ids
    if not ids:
        return None
    for _ in range(_TRIES):
        prospect = world.prospects.by_id[ids[rng.randrange(len(ids))]]
        if not prospect.opted_out:
            return prospect
    return None


def _stamp(world: World, state: SequenceState, now: int, *, changed: bool) -> None:
    if changed:
        state.state_changed_at = now
    world.sequence_states.touch(state, now)


def _restage(world: World, prospect: Prospect, now: int, *, force: bool = False) -> None:
    """Keep the prospect's stage and counters in line with its states; touch it if they moved."""
    states = [world.sequence_states.by_id[s] for s in world.states_by_prospect.get(prospect.id, ())]
    stage = choose_stage(states, prospect.opted_out)
    replies = sum(s.reply_count for s in states)
    if force or stage != prospect.stage_id or replies != prospect.reply_count:
        prospect.stage_id = stage
        prospect.reply_count = replies
        prospect.touched_at = now
        world.prospects.touch(prospect, now)
