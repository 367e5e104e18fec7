"""World generation: one seeded pass that builds every record, with the drift a real sync has.

Draw order is part of a seed's meaning: reordering, adding or removing a draw changes every world
built from then on (the unit tests pin a few facts of seed 7).
"""

from __future__ import annotations

import random
from bisect import bisect_right
from typing import TYPE_CHECKING

from syncmonitor.sandbox import names
from syncmonitor.sandbox.changes import DEFAULT_STAGES, choose_stage
from syncmonitor.sandbox.records import (
    Account,
    Organisation,
    Person,
    Prospect,
    Sequence,
    SequenceState,
    SequenceStep,
    Stage,
)
from syncmonitor.sandbox.timefmt import parse_iso_ms

if TYPE_CHECKING:
    from syncmonitor.sandbox.world import World

# History ends here, not at "now", so that a seed builds the same world on any day. It lies in
# the past so live changes, stamped with the real time, always sort after the generated history.
DEFAULT_ANCHOR_MS = parse_iso_ms("2026-11-01T00:00:00Z")
DAY_MS = 86_400_000
HISTORY_DAYS = 365
FIRST_PERSON_ID = 10_001
FIRST_ORGANISATION_ID = 1_001
LINKED_SHARE = 0.85  # people whose cf_person_outreach_id holds their prospect id

# What the Workbooks-Outreach integration writes to a person's Sequence State (the Workbooks guide
# to syncing Outreach sequence states).
_SIMPLE_LABELS = {
    "active": "Active – Running",
    "paused": "Active – Paused",
    "pending": "Pending",
    "disabled": "Disabled",
    "failed": "Failed",
    "bounced": "Bounced",
}
NOT_ACTIVE = "Not Active"

# How generated sequence states are spread (weights). "scheduled_to_finish" is a value no document
# lists: it is there so that clients prove they keep a state they do not know.
_OUTCOMES = (
    "active",
    "paused",
    "pending",
    "failed",
    "bounced",
    "finished_replied",
    "finished_no_reply",
    "finished_bounced",
    "scheduled_to_finish",
)
# Upper bounds of the rolls (0..98) that pick each outcome but the last.
_OUTCOME_BOUNDS = (34, 42, 47, 50, 54, 69, 95, 97)
_OUTCOME_STATE = {o: "finished" if o.startswith("finished") else o for o in _OUTCOMES}


def workbooks_label(state: SequenceState) -> str:
    """The Workbooks Sequence State text for an Outreach state, as the integration writes it."""
    label = _SIMPLE_LABELS.get(state.state)
    if label is not None:
        return label
    if state.state == "finished":
        if state.opt_out_count:
            return "Opted Out"
        return "Bounced" if state.bounce_count else "Finished"
    return state.state


class Builder:
    """One world generation. Draw order is part of the seed's meaning: do not reorder draws."""

    def __init__(self, world: World, rng: random.Random) -> None:
        self.world = world
        self.rng = rng
        self.end = world.anchor_ms
        self.start = world.anchor_ms - HISTORY_DAYS * DAY_MS

    def build(self, people: int, states_per_person: float) -> None:
        self._stages()
        domains = self._organisations(max(5, min(500, people // 1000)))
        self._sequences(max(3, people // 2000))
        persons = self._people(people, domains)
        self._prospects_and_states(persons, states_per_person)

    def _between(self, low: int, high: int) -> int:
        return low + int(self.rng.random() * max(0, high - low))

    def _stages(self) -> None:
        at = self.start - 30 * DAY_MS
        stages = [Stage(i, name, i, color, at) for i, (name, color) in enumerate(DEFAULT_STAGES, 1)]
        self.world.stages.load(stages)

    def _organisations(self, count: int) -> list[str]:
        rng, world = self.rng, self.world
        seen: set[str] = set()
        accounts: list[Account] = []
        domains: list[str] = []
        for index in range(count):
            name = f"{rng.choice(names.ORG_WORDS)} {rng.choice(names.ORG_KINDS)}"
            while name in seen:  # the pools give 360 names; beyond that, number them
                name = f"{name.rsplit(' #', 1)[0]} #{len(seen)}"
            seen.add(name)
            slug = "".join(ch for ch in name.lower() if ch.isalnum())
            domain = f"{slug}.example.com"
            town, country = rng.choice(names.TOWNS)
            industry = rng.choice(names.INDUSTRIES)
            created = self._between(self.start - 400 * DAY_MS, self.start) // 1000
            org = Organisation(
                FIRST_ORGANISATION_ID + index,
                f"{name} {rng.choice(names.ORG_SUFFIXES)}",
                industry,
                town,
                country,
                f"www.{domain}",
                created,
            )
            world.organisations[org.id] = org
            accounts.append(
                Account(
                    index + 1, org.name or "", domain, industry, org.id, created * 1000 + DAY_MS
                )
            )
            domains.append(domain)
        world.accounts.load(accounts)
        return domains

    def _sequences(self, count: int) -> None:
        rng = self.rng
        sequences: list[Sequence] = []
        steps: list[SequenceStep] = []
        for index in range(count):
            at = self._between(self.start - 60 * DAY_MS, self.start)
            interval_type = rng.random() < 0.8
            sequence = Sequence(
                index + 1,
                f"{names.SEQUENCE_THEMES[index % len(names.SEQUENCE_THEMES)]} {index // 10 + 1}",
                index == 0 or rng.random() < 0.85,  # mostly enabled, the first one always
                "interval" if interval_type else "date",
                rng.choices(("finish", "continue", "pause"), (80, 10, 10))[0],
                at,
            )
            day = 0
            for order in range(1, rng.randint(3, 8) + 1):
                kind = (
                    "auto_email"
                    if order == 1
                    else rng.choices(names.STEP_TYPES, names.STEP_TYPE_WEIGHTS)[0]
                )
                interval = day * 86_400 if interval_type else None
                steps.append(SequenceStep(len(steps) + 1, sequence.id, order, kind, interval, at))
                sequence.step_ids.append(len(steps))
                day += rng.randint(1, 5)
            sequences.append(sequence)
        self.world.sequences.load(sequences)
        self.world.sequence_steps.load(steps)

    def _people(self, count: int, domains: list[str]) -> list[Person]:
        rng, world = self.rng, self.world
        random_ = rng.random
        first_names, last_names = names.FIRST_NAMES, names.LAST_NAMES
        organisation_ids = list(world.organisations)
        name_counts: dict[tuple[str, str], int] = {}
        persons: list[Person] = []
        oldest = self.start - 2 * HISTORY_DAYS * DAY_MS
        for index in range(count):
            first = first_names[int(random_() * len(first_names))]
            last = last_names[int(random_() * len(last_names))]
            seen = name_counts.get((first, last), 0) + 1
            name_counts[(first, last)] = seen
            local = f"{first}.{last}".replace(" ", "").replace("'", "")
            if seen > 1:
                local += str(seen)
            if random_() < 0.8:
                pick = int(random_() * len(organisation_ids))
                org_id: int | None = organisation_ids[pick]
                domain = domains[pick]
            else:
                org_id = None
                domain = names.FREE_MAIL_DOMAINS[int(random_() * len(names.FREE_MAIL_DOMAINS))]
            email = f"{local}@{domain}"
            # Workbooks keeps what was typed; Outreach lowercases. Matching must ignore case.
            if random_() >= 0.03:
                email = email.lower()
            created = self._between(oldest, self.start) // 1000
            person = Person(FIRST_PERSON_ID + index, first, last, email, org_id, created)
            persons.append(person)
            world.people[person.id] = person
        return persons

    def _prospects_and_states(self, persons: list[Person], per_person: float) -> None:
        rng, world, end = self.rng, self.world, self.end
        random_ = rng.random
        order = list(range(len(persons)))
        rng.shuffle(order)  # prospect ids do not follow person ids: mixing them up must show
        enrolments = self._enrolment_counts(len(persons), per_person)
        accounts = {a.organisation_id: a.id for a in world.accounts}
        titles = names.TITLES
        prospects: list[Prospect] = []
        states: list[SequenceState] = []
        by_prospect = world.states_by_prospect
        for prospect_index, person_index in enumerate(order):
            person = persons[person_index]
            low = person.created_at * 1000 + DAY_MS
            created = low + int(random_() * (end - 30 * DAY_MS - low))
            email = person.email or ""
            prospect = Prospect(
                prospect_index + 1,
                person.id,
                person.first_name or "",
                person.last_name or "",
                email if email.islower() else email.lower(),
                titles[int(random_() * len(titles))],
                accounts.get(person.organisation_id) if person.organisation_id else None,
                created,
            )
            prospects.append(prospect)
            opted_out_at = self._between(created + DAY_MS, end) if random_() < 0.03 else None
            mine = self._states_for(prospect, enrolments[prospect_index], opted_out_at, len(states))
            if mine:
                states.extend(mine)
                by_prospect[prospect.id] = [s.id for s in mine]
            self._settle_prospect(prospect, mine, opted_out_at)
            self._settle_person(person, prospect, mine)
        world.prospects.load(prospects)
        world.sequence_states.load(states)
        for state in states:
            world.states_by_sequence.setdefault(state.sequence_id, []).append(state.id)

    def _enrolment_counts(self, count: int, per_person: float) -> list[int]:
        """How many sequences each prospect is in: `per_person` on average, spread out a little."""
        rng, cap = self.rng, len(self.world.sequences)
        base, extra = int(per_person), per_person - int(per_person)
        counts = [min(cap, base + (rng.random() < extra)) for _ in range(count)]
        # Move enrolments between random prospects so that some are in none and some in many,
        # without changing the total.
        for _ in range(count // 3):
            giver, taker = rng.randrange(count), rng.randrange(count)
            if counts[giver] > 0 and counts[taker] < cap:
                counts[giver] -= 1
                counts[taker] += 1
        return counts

    def _pick_sequences(self, count: int) -> list[Sequence]:
        """`count` distinct sequences; cheaper than `random.sample` for the usual 3 of 50."""
        everything = self.world.sequences.ids
        if count * 2 > len(everything):
            picked = self.rng.sample(everything, count)
        else:
            random_, total = self.rng.random, len(everything)
            picked = []
            while len(picked) < count:
                candidate = everything[int(random_() * total)]
                if candidate not in picked:
                    picked.append(candidate)
        by_id = self.world.sequences.by_id
        return [by_id[i] for i in picked]

    def _states_for(
        self, prospect: Prospect, count: int, opted_out_at: int | None, first_index: int
    ) -> list[SequenceState]:
        random_, end = self.rng.random, self.end
        result: list[SequenceState] = []
        for offset, sequence in enumerate(self._pick_sequences(count)):
            steps = sequence.step_ids
            created = prospect.created_at + int(random_() * (end - 3_600_000 - prospect.created_at))
            outcome = _OUTCOMES[bisect_right(_OUTCOME_BOUNDS, random_() * 98)]
            state = SequenceState(
                first_index + offset + 1,
                prospect.id,
                sequence.id,
                steps[int(random_() * len(steps))],
                _OUTCOME_STATE[outcome],
                created,
            )
            changed = created + int(random_() * (end - created))
            state.state_changed_at = changed
            if random_() < 0.7:
                state.updated_at = changed
            else:
                state.updated_at = changed + int(random_() * (end - changed))
            state.active_at = None if outcome == "pending" else created
            state.open_count = int(random_() * 4)
            if outcome == "paused":
                state.pause_reason = "ooo" if random_() < 0.3 else "manual"
            elif outcome == "pending":
                state.step_id = steps[0]
            elif outcome == "finished_replied":
                state.reply_count = 1
                state.replied_at = changed
            elif outcome == "bounced" or outcome == "finished_bounced":
                state.bounce_count = 1
            elif outcome == "finished_no_reply":
                state.step_id = steps[-1]
            if not sequence.enabled and (outcome == "active" or outcome == "paused"):
                state.state = "disabled"
                state.pause_reason = None
            if opted_out_at is not None:
                state.opt_out_count = 1
                state.pause_reason = None
                if state.state != "finished":
                    state.state = "finished"
                    state.state_changed_at = max(created, opted_out_at)
                state.updated_at = max(state.updated_at, state.state_changed_at)
            result.append(state)
        return result

    def _settle_prospect(
        self, prospect: Prospect, states: list[SequenceState], opted_out_at: int | None
    ) -> None:
        if opted_out_at is not None:
            prospect.opted_out = True
            prospect.opted_out_at = opted_out_at
        prospect.stage_id = choose_stage(states, prospect.opted_out)
        prospect.reply_count = sum(s.reply_count for s in states)
        latest = max((s.updated_at for s in states), default=None)
        prospect.touched_at = latest
        prospect.updated_at = max(prospect.created_at, latest or 0, prospect.opted_out_at or 0)

    def _settle_person(
        self, person: Person, prospect: Prospect, states: list[SequenceState]
    ) -> None:
        """What the real integration has already written to the person, give or take some drift."""
        random_ = self.rng.random
        if random_() < LINKED_SHARE:
            person.outreach_id = str(prospect.id)
        latest = max(states, key=lambda s: (s.state_changed_at, s.id), default=None)
        roll = random_()
        if latest is None:
            person.sequence_state = NOT_ACTIVE if roll < 0.5 else None
        elif roll < 0.9:  # in step with Outreach
            person.sequence_state = workbooks_label(latest)
            person.sequence_state_updated_at = latest.state_changed_at // 1000
        elif roll < 0.95:  # the sync has not caught up with the latest change yet
            person.sequence_state = "Active – Running"
            person.sequence_state_updated_at = latest.created_at // 1000
        # else: never synced, the fields are still blank
        person.no_email_soliciting = (prospect.opted_out and random_() < 0.9) or random_() < 0.01
        person.sync_to_outreach = random_() < 0.95
        person.sync_error = random_() < 0.02
        person.duplicate = random_() < 0.01
        person.is_deleted = random_() < 0.005
        person.lock_version = 1 + int(random_() * 5)
        person.updated_at = max(person.created_at, person.sequence_state_updated_at or 0)
