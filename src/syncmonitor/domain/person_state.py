"""What the Workbooks person record should say about a person's sequences.

Workbooks keeps one Sequence State per person while Outreach keeps one per sequence. The real
integration writes the state that changed last, so that is the rule here too: the person's
Sequence State is the state of the sequence whose state changed most recently (ties go to the
newer sequence state id), State Updated At is when that happened, and No Email is set once the
person has opted out anywhere. No Email is never cleared by a sync: only a person may opt back in.

Outreach and Salesmate combine by the same rule: a person's states from both providers (linked by
email address) are one list, and the latest change wins, whichever provider it came from. So a
Salesmate "Paused O3" at 10:00 after an Outreach "active" at 09:00 writes "Active – Paused"; an
Outreach change at 11:00 then takes over again. Salesmate states map as `domain.states` documents
(Paused O3 -> Active – Paused, reason out of office; Unsubscribed and Finished (Opt-out) -> Opted
Out and No Email). One exception: an enrolment that ended on the spot because the person was
already in a sequence (Salesmate's Already Enrolled and Other Enrolled) never becomes the person's
state while they have any other state, because the sequence they are really in has not changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from syncmonitor.domain.states import CanonicalState, ResolvedState, workbooks_sequence_state


@dataclass(frozen=True, slots=True)
class CurrentSequenceState:
    """A person's current state in one sequence, as last seen."""

    sequence_state_id: int
    sequence_name: str
    state: ResolvedState
    state_changed_at: datetime | None


@dataclass(frozen=True, slots=True)
class PersonSequenceFields:
    """The values the Workbooks person should carry."""

    sequence_state: str
    state_updated_at: datetime | None
    no_email: bool


def person_fields(
    states: list[CurrentSequenceState], *, prospect_opted_out: bool = False
) -> PersonSequenceFields:
    """Derive the Workbooks fields from all the person's current sequence states."""
    opted_out = prospect_opted_out or any(s.state.opted_out for s in states)
    if not states:
        label = CanonicalState.OPTED_OUT.value if opted_out else CanonicalState.NOT_ACTIVE.value
        return PersonSequenceFields(label, None, opted_out)
    # An enrolment that never started must not hide the sequence the person is really in.
    candidates = [s for s in states if not s.state.never_started] or states
    latest = max(
        candidates,
        key=lambda s: (
            s.state_changed_at is not None,
            s.state_changed_at or datetime.min,
            s.sequence_state_id,
        ),
    )
    return PersonSequenceFields(
        workbooks_sequence_state(latest.state), latest.state_changed_at, opted_out
    )
