"""Canonical sequence states.

Outreach and Salesmate each describe where a person is in a sequence with their own words. Workbooks
shows one vocabulary (the Workbooks guide to syncing Outreach sequence states): Active – Running,
Active – Paused, Opted Out, Finished, Pending, Disabled, Failed, Bounced, Not Active. Sync Monitor
translates every provider value into a `CanonicalState` (the Workbooks vocabulary plus Unknown) with
an optional reason, and always keeps the raw provider value next to it: an unknown value is shown as
"Unknown (raw text)", never dropped.
"""

from __future__ import annotations

import enum
import functools
from dataclasses import dataclass


class Provider(enum.StrEnum):
    """Where a sequence state came from."""

    OUTREACH = "outreach"
    SALESMATE = "salesmate"


class CanonicalState(enum.StrEnum):
    """The Workbooks sequence state vocabulary, plus Unknown for values nobody documented."""

    ACTIVE_RUNNING = "Active – Running"
    ACTIVE_PAUSED = "Active – Paused"
    OPTED_OUT = "Opted Out"
    FINISHED = "Finished"
    PENDING = "Pending"
    DISABLED = "Disabled"
    FAILED = "Failed"
    BOUNCED = "Bounced"
    NOT_ACTIVE = "Not Active"
    UNKNOWN = "Unknown"


class StateReason(enum.StrEnum):
    """Why a sequence finished or paused, where the provider says."""

    REPLIED = "replied"
    NO_REPLY = "no reply"
    BOUNCED = "bounced"
    OPT_OUT = "opt-out"
    UNENROLLED = "unenrolled"
    MANUAL = "manual"
    OUT_OF_OFFICE = "out of office"
    ALREADY_ENROLLED = "already enrolled"
    OTHER_ENROLLED = "enrolled in another sequence"
    WAITING = "waiting"
    UNSUBSCRIBED = "unsubscribed"


@dataclass(frozen=True, slots=True)
class ResolvedState:
    """A provider's raw state value with its canonical meaning."""

    raw: str
    state: CanonicalState
    reason: StateReason | None = None

    @property
    def label(self) -> str:
        """What a person reads: "Finished (replied)", "Unknown (scheduled_to_finish)"."""
        if self.state is CanonicalState.UNKNOWN:
            return f"Unknown ({self.raw or 'empty'})"
        if self.reason is None or self.reason.value == self.state.value.lower():
            return self.state.value
        return f"{self.state.value} ({self.reason.value})"

    @property
    def opted_out(self) -> bool:
        """True when this state means the person must not be emailed again."""
        return self.state is CanonicalState.OPTED_OUT

    @property
    def never_started(self) -> bool:
        """True for an enrolment that ended on the spot because the person was already in a
        sequence (Salesmate's Already Enrolled and Other Enrolled): it says nothing about the
        sequence the person is really in, so it never replaces that sequence's state."""
        return self.reason in (StateReason.ALREADY_ENROLLED, StateReason.OTHER_ENROLLED)


_OUTREACH_PAUSE_REASONS = {
    "ooo": StateReason.OUT_OF_OFFICE,
    "out_of_office": StateReason.OUT_OF_OFFICE,
    "outofoffice": StateReason.OUT_OF_OFFICE,
    "manual": StateReason.MANUAL,
}

_OUTREACH_SIMPLE = {
    "active": CanonicalState.ACTIVE_RUNNING,
    "pending": CanonicalState.PENDING,
    "disabled": CanonicalState.DISABLED,
    "failed": CanonicalState.FAILED,
    "bounced": CanonicalState.BOUNCED,
}


def resolve_outreach(
    raw: str | None,
    *,
    pause_reason: str | None = None,
    reply_count: int | None = 0,
    bounce_count: int | None = 0,
    opt_out_count: int | None = 0,
) -> ResolvedState:
    """Translate an Outreach `sequenceState.state` (and the counters beside it).

    Outreach does not enumerate `state`; its documentation names active, paused, failed, bounced,
    pending, disabled and the terminal finished. Why a state finished is only visible in the
    counters, so they decide the reason: an opt-out wins over a bounce, which wins over a reply.
    Whether the prospect has opted out is deliberately not used: a sequence that finished on a
    reply last month did not finish because of an opt-out today (No Email covers that).
    """
    text = (raw or "").strip()
    key = text.lower()
    if key in _OUTREACH_SIMPLE:
        return ResolvedState(text, _OUTREACH_SIMPLE[key])
    if key == "paused":
        reason = _OUTREACH_PAUSE_REASONS.get((pause_reason or "").strip().lower())
        return ResolvedState(text, CanonicalState.ACTIVE_PAUSED, reason or StateReason.MANUAL)
    if key == "finished":
        if (opt_out_count or 0) > 0:
            return ResolvedState(text, CanonicalState.OPTED_OUT, StateReason.OPT_OUT)
        if (bounce_count or 0) > 0:
            return ResolvedState(text, CanonicalState.BOUNCED, StateReason.BOUNCED)
        if (reply_count or 0) > 0:
            return ResolvedState(text, CanonicalState.FINISHED, StateReason.REPLIED)
        return ResolvedState(text, CanonicalState.FINISHED, StateReason.NO_REPLY)
    return ResolvedState(text, CanonicalState.UNKNOWN)


# Salesmate's states (Salesmate's page on sequence states) and what each means in the Workbooks
# vocabulary. Keys are normalised by `_salesmate_key`. Where the two vocabularies use the same
# word for different things, the meaning wins:
# - Pending: in Salesmate the contact *is* active and waits for the daily throttle or a manual
#   step; Workbooks' Pending means "the sequence was never enabled". So: Active – Running (waiting).
# - Failed: a delivery failure (a soft bounce); Salesmate pauses and the user may retry: Failed.
# - Finished (Bounced) is a hard bounce: Bounced.
# - Finished (Opt-out) and Unsubscribed: Opted Out (and No Email on the Workbooks person).
# - Already Enrolled / Other Enrolled: the enrolment ended on the spot and none of its steps ran;
#   Not Active for that enrolment, and never the person's state while a real one exists.
# - Finished (Unenrolled): a user took the contact out by hand, as Outreach's "finish": Finished.
_SALESMATE: dict[str, tuple[CanonicalState, StateReason | None]] = {
    "active": (CanonicalState.ACTIVE_RUNNING, None),
    "pending": (CanonicalState.ACTIVE_RUNNING, StateReason.WAITING),
    "paused": (CanonicalState.ACTIVE_PAUSED, StateReason.MANUAL),
    "paused o3": (CanonicalState.ACTIVE_PAUSED, StateReason.OUT_OF_OFFICE),
    "failed": (CanonicalState.FAILED, None),
    "finished bounced": (CanonicalState.BOUNCED, StateReason.BOUNCED),
    "finished replied": (CanonicalState.FINISHED, StateReason.REPLIED),
    "finished no reply": (CanonicalState.FINISHED, StateReason.NO_REPLY),
    "finished opt out": (CanonicalState.OPTED_OUT, StateReason.OPT_OUT),
    "finished": (CanonicalState.FINISHED, None),
    "unsubscribed": (CanonicalState.OPTED_OUT, StateReason.UNSUBSCRIBED),
    "already enrolled": (CanonicalState.NOT_ACTIVE, StateReason.ALREADY_ENROLLED),
    "other enrolled": (CanonicalState.NOT_ACTIVE, StateReason.OTHER_ENROLLED),
    "finished unenrolled": (CanonicalState.FINISHED, StateReason.UNENROLLED),
}

# Spellings seen in exports and API enums for the same words.
_SALESMATE_SYNONYMS = (
    ("opted out", "opt out"),
    ("optout", "opt out"),
    ("opt-out", "opt out"),
    ("noreply", "no reply"),
    ("no-reply", "no reply"),
    ("paused ooo", "paused o3"),
    ("paused out of office", "paused o3"),
    ("finished with", "finished"),
)


def _salesmate_key(text: str) -> str:
    """ "Finished (Opt-out)", "FINISHED_OPT_OUT", "finished - opt out" all become one key."""
    key = text.lower()
    for mark in ("–", "—", "_", "(", ")", ":", ",", "/"):
        key = key.replace(mark, " ")
    key = " ".join(key.split())
    for spelling, canonical in _SALESMATE_SYNONYMS:
        key = key.replace(spelling, canonical)
    return " ".join(key.replace("-", " ").split())


@functools.lru_cache(maxsize=1024)  # an export repeats a dozen spellings thousands of times
def resolve_salesmate(raw: str | None) -> ResolvedState:
    """Translate a Salesmate sequence enrolment state as its exports spell it (any case, with
    or without the parentheses); anything else is Unknown with the raw text kept."""
    text = (raw or "").strip()
    found = _SALESMATE.get(_salesmate_key(text))
    if found is None:
        return ResolvedState(text, CanonicalState.UNKNOWN)
    return ResolvedState(text, found[0], found[1])


def resolve(provider: Provider, raw: str | None, **details: object) -> ResolvedState:
    """Translate a raw value from any provider."""
    if provider is Provider.SALESMATE:
        return resolve_salesmate(raw)
    return resolve_outreach(raw, **details)  # type: ignore[arg-type]


def workbooks_sequence_state(state: ResolvedState) -> str:
    """The text the Workbooks Sequence State field gets for this state.

    Workbooks has no Unknown: an undocumented value is written as the raw text so the admin sees
    exactly what the provider said instead of a guess. The reason is not written: the field holds
    the Workbooks vocabulary only (Salesmate's Paused O3 is written "Active – Paused"; the app
    shows "Active – Paused (out of office)").
    """
    if state.state is CanonicalState.UNKNOWN:
        return state.raw
    return state.state.value
