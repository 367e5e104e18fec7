"""Canonical sequence states: every documented value, reasons, and unknown values kept."""

import pytest

from syncmonitor.domain.states import (
    CanonicalState,
    Provider,
    StateReason,
    resolve,
    resolve_outreach,
    resolve_salesmate,
    workbooks_sequence_state,
)


@pytest.mark.parametrize(
    ("raw", "state"),
    [
        ("active", CanonicalState.ACTIVE_RUNNING),
        ("pending", CanonicalState.PENDING),
        ("disabled", CanonicalState.DISABLED),
        ("failed", CanonicalState.FAILED),
        ("bounced", CanonicalState.BOUNCED),
        ("ACTIVE", CanonicalState.ACTIVE_RUNNING),
    ],
)
def test_outreach_simple_states(raw: str, state: CanonicalState) -> None:
    resolved = resolve_outreach(raw)
    assert resolved.state is state
    assert resolved.raw == raw


def test_outreach_paused_keeps_the_reason() -> None:
    assert resolve_outreach("paused", pause_reason="ooo").reason is StateReason.OUT_OF_OFFICE
    assert resolve_outreach("paused", pause_reason="manual").reason is StateReason.MANUAL
    assert resolve_outreach("paused").state is CanonicalState.ACTIVE_PAUSED
    assert resolve_outreach("paused", pause_reason="ooo").label == "Active – Paused (out of office)"


@pytest.mark.parametrize(
    ("counters", "state", "reason"),
    [
        ({"opt_out_count": 1, "reply_count": 1}, CanonicalState.OPTED_OUT, StateReason.OPT_OUT),
        ({"bounce_count": 1, "reply_count": 1}, CanonicalState.BOUNCED, StateReason.BOUNCED),
        ({"reply_count": 2}, CanonicalState.FINISHED, StateReason.REPLIED),
        ({}, CanonicalState.FINISHED, StateReason.NO_REPLY),
        (
            {"reply_count": None, "bounce_count": None},
            CanonicalState.FINISHED,
            StateReason.NO_REPLY,
        ),
    ],
)
def test_outreach_finished_reason_comes_from_the_counters(counters, state, reason) -> None:
    resolved = resolve_outreach("finished", **counters)
    assert (resolved.state, resolved.reason) == (state, reason)


def test_unknown_outreach_value_is_kept_and_labelled() -> None:
    resolved = resolve_outreach("scheduled_to_finish")
    assert resolved.state is CanonicalState.UNKNOWN
    assert resolved.raw == "scheduled_to_finish"
    assert resolved.label == "Unknown (scheduled_to_finish)"
    # Workbooks has no Unknown: the raw text is written rather than a guess.
    assert workbooks_sequence_state(resolved) == "scheduled_to_finish"


def test_empty_or_missing_state_is_unknown_not_an_error() -> None:
    assert resolve_outreach(None).state is CanonicalState.UNKNOWN
    assert resolve_outreach("").label == "Unknown (empty)"


@pytest.mark.parametrize(
    ("raw", "state", "reason"),
    [
        ("Active", CanonicalState.ACTIVE_RUNNING, None),
        ("Pending", CanonicalState.ACTIVE_RUNNING, StateReason.WAITING),
        ("Paused", CanonicalState.ACTIVE_PAUSED, StateReason.MANUAL),
        ("Paused O3", CanonicalState.ACTIVE_PAUSED, StateReason.OUT_OF_OFFICE),
        ("Failed", CanonicalState.FAILED, None),
        ("Finished (Bounced)", CanonicalState.BOUNCED, StateReason.BOUNCED),
        ("Finished (Replied)", CanonicalState.FINISHED, StateReason.REPLIED),
        ("Finished (No Reply)", CanonicalState.FINISHED, StateReason.NO_REPLY),
        ("Finished (Opt-out)", CanonicalState.OPTED_OUT, StateReason.OPT_OUT),
        ("Finished", CanonicalState.FINISHED, None),
        ("Unsubscribed", CanonicalState.OPTED_OUT, StateReason.UNSUBSCRIBED),
        ("Already Enrolled", CanonicalState.NOT_ACTIVE, StateReason.ALREADY_ENROLLED),
        ("Other Enrolled", CanonicalState.NOT_ACTIVE, StateReason.OTHER_ENROLLED),
        ("Finished (Unenrolled)", CanonicalState.FINISHED, StateReason.UNENROLLED),
        ("  finished ( replied ) ", CanonicalState.FINISHED, StateReason.REPLIED),
        ("Finished (Optout)", CanonicalState.OPTED_OUT, StateReason.OPT_OUT),
        # Spellings of the same states in API enums and hand-edited files.
        ("PAUSED_O3", CanonicalState.ACTIVE_PAUSED, StateReason.OUT_OF_OFFICE),
        ("Finished - Opted out", CanonicalState.OPTED_OUT, StateReason.OPT_OUT),
        ("finished_no_reply", CanonicalState.FINISHED, StateReason.NO_REPLY),
        ("Finished with Bounced", CanonicalState.BOUNCED, StateReason.BOUNCED),
        ("Finished – Unenrolled", CanonicalState.FINISHED, StateReason.UNENROLLED),
    ],
)
def test_every_salesmate_state(raw, state, reason) -> None:
    resolved = resolve_salesmate(raw)
    assert (resolved.state, resolved.reason) == (state, reason)
    assert resolved.raw == raw.strip()


def test_resolve_dispatches_by_provider() -> None:
    assert resolve(Provider.SALESMATE, "Paused O3").reason is StateReason.OUT_OF_OFFICE
    assert resolve(Provider.OUTREACH, "paused", pause_reason="ooo").reason is (
        StateReason.OUT_OF_OFFICE
    )
    assert resolve(Provider.SALESMATE, "Hibernating").label == "Unknown (Hibernating)"


def test_opted_out_flag() -> None:
    assert resolve_outreach("finished", opt_out_count=1).opted_out
    assert not resolve_outreach("finished", reply_count=1).opted_out


@pytest.mark.parametrize(
    ("raw", "workbooks", "label", "no_email"),
    [
        ("Active", "Active – Running", "Active – Running", False),
        ("Pending", "Active – Running", "Active – Running (waiting)", False),
        ("Paused", "Active – Paused", "Active – Paused (manual)", False),
        ("Paused O3", "Active – Paused", "Active – Paused (out of office)", False),
        ("Failed", "Failed", "Failed", False),
        ("Finished (Bounced)", "Bounced", "Bounced", False),
        ("Finished (Replied)", "Finished", "Finished (replied)", False),
        ("Finished (No Reply)", "Finished", "Finished (no reply)", False),
        ("Finished (Opt-out)", "Opted Out", "Opted Out (opt-out)", True),
        ("Finished", "Finished", "Finished", False),
        ("Unsubscribed", "Opted Out", "Opted Out (unsubscribed)", True),
        ("Already Enrolled", "Not Active", "Not Active (already enrolled)", False),
        ("Other Enrolled", "Not Active", "Not Active (enrolled in another sequence)", False),
        ("Finished (Unenrolled)", "Finished", "Finished (unenrolled)", False),
        ("Hibernating", "Hibernating", "Unknown (Hibernating)", False),
    ],
)
def test_salesmate_state_into_the_workbooks_field(raw, workbooks, label, no_email) -> None:
    """The rule written in domain/states.py: what Workbooks' Sequence State field gets, what the
    app shows, and whether No Email is set, for every Salesmate state."""
    resolved = resolve_salesmate(raw)
    assert workbooks_sequence_state(resolved) == workbooks
    assert resolved.label == label
    assert resolved.opted_out is no_email


def test_only_already_and_other_enrolled_never_started() -> None:
    never = {
        raw
        for raw in ("Active", "Paused O3", "Already Enrolled", "Other Enrolled", "Finished")
        if resolve_salesmate(raw).never_started
    }
    assert never == {"Already Enrolled", "Other Enrolled"}
