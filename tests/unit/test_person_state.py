"""Which sequence state the Workbooks person shows, and when No Email is set."""

from datetime import UTC, datetime

from syncmonitor.domain.person_state import CurrentSequenceState, person_fields
from syncmonitor.domain.states import resolve_outreach, resolve_salesmate


def _state(sid: int, raw: str, when: datetime | None, **counters: int) -> CurrentSequenceState:
    return CurrentSequenceState(sid, f"Sequence {sid}", resolve_outreach(raw, **counters), when)


T1 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
T2 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def test_the_most_recently_changed_sequence_wins() -> None:
    fields = person_fields([_state(1, "active", T2), _state(2, "finished", T1, reply_count=1)])
    assert fields.sequence_state == "Active – Running"
    assert fields.state_updated_at == T2
    assert not fields.no_email


def test_ties_go_to_the_newer_sequence_state() -> None:
    fields = person_fields([_state(5, "paused", T1), _state(9, "bounced", T1)])
    assert fields.sequence_state == "Bounced"


def test_opt_out_anywhere_sets_no_email() -> None:
    fields = person_fields([_state(1, "active", T2), _state(2, "finished", T1, opt_out_count=1)])
    assert fields.no_email
    assert fields.sequence_state == "Active – Running"


def test_prospect_opt_out_sets_no_email_even_without_states() -> None:
    fields = person_fields([], prospect_opted_out=True)
    assert fields.no_email and fields.sequence_state == "Opted Out"
    assert person_fields([]).sequence_state == "Not Active"


def test_a_state_without_a_change_time_loses_to_one_with() -> None:
    fields = person_fields([_state(7, "failed", None), _state(3, "pending", T1)])
    assert fields.sequence_state == "Pending"


def _salesmate(sid: int, raw: str, when: datetime | None) -> CurrentSequenceState:
    return CurrentSequenceState(sid, f"Salesmate {sid}", resolve_salesmate(raw), when)


T3 = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)


def test_salesmate_and_outreach_combine_latest_change_wins() -> None:
    outreach_then_salesmate = person_fields(
        [_state(1, "active", T1), _salesmate(1, "Paused O3", T2)]
    )
    assert outreach_then_salesmate.sequence_state == "Active – Paused"
    assert outreach_then_salesmate.state_updated_at == T2
    later_outreach = person_fields(
        [_state(1, "finished", T3, reply_count=1), _salesmate(1, "Paused O3", T2)]
    )
    assert later_outreach.sequence_state == "Finished"


def test_salesmate_unsubscribed_sets_no_email_even_when_not_latest() -> None:
    fields = person_fields([_salesmate(4, "Unsubscribed", T1), _state(2, "active", T2)])
    assert fields.no_email
    assert fields.sequence_state == "Active – Running"


def test_already_enrolled_never_hides_the_real_sequence() -> None:
    fields = person_fields([_salesmate(1, "Active", T1), _salesmate(2, "Other Enrolled", T3)])
    assert fields.sequence_state == "Active – Running"
    assert fields.state_updated_at == T1
    alone = person_fields([_salesmate(2, "Already Enrolled", T3)])
    assert alone.sequence_state == "Not Active"
