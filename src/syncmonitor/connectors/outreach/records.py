"""The records Outreach sends, as the sync engine reads them, and the fast parsers that build them.

Parsing is deliberately plain: one dict lookup per attribute and a type check, straight into a
slotted dataclass. A full sync reads about 300,000 sequence states, so anything heavier (schema
libraries, per-record validation objects) shows up in the run time.

Timestamps stay the ISO strings Outreach sends; the engine parses them. Unknown `state` values
are kept as given: Outreach does not enumerate them and new ones appear.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

Document = dict[str, Any]


@dataclass(frozen=True, slots=True)
class ProspectRecord:
    """An Outreach prospect, as far as the sync needs it."""

    id: int
    emails: tuple[str, ...]
    first_name: str | None
    last_name: str | None
    opted_out: bool
    emails_opt_status: str | None
    external_id: str | None
    updated_at: str | None


@dataclass(frozen=True, slots=True)
class SequenceRecord:
    """An Outreach sequence."""

    id: int
    name: str | None
    enabled: bool | None
    sequence_type: str | None
    step_count: int | None
    updated_at: str | None


@dataclass(frozen=True, slots=True)
class SequenceStepRecord:
    """One step of a sequence."""

    id: int
    sequence_id: int | None
    order: int | None
    step_type: str | None


@dataclass(frozen=True, slots=True)
class SequenceStateRecord:
    """A prospect's enrolment in a sequence. `state` is the raw value, possibly unknown or None."""

    id: int
    state: str | None
    state_changed_at: str | None
    updated_at: str | None
    created_at: str | None
    pause_reason: str | None
    error_reason: str | None
    reply_count: int | None
    bounce_count: int | None
    opt_out_count: int | None
    prospect_id: int | None
    sequence_id: int | None
    sequence_step_id: int | None


@dataclass(slots=True)
class SequenceStatePage:
    """One page of sequence states with the related resources Outreach included alongside.

    A prospect/sequence/step that a state refers to but Outreach did not include is simply
    absent from its dict (see `OutreachClient.prospects_by_id`). `max_updated_at` is the latest
    `updatedAt` on the page, as sent: the cursor for the next incremental sync. `count` is
    Outreach's `meta.count` (how many records match the whole query) when it was asked for.
    """

    states: list[SequenceStateRecord]
    prospects: dict[int, ProspectRecord]
    sequences: dict[int, SequenceRecord]
    steps: dict[int, SequenceStepRecord]
    max_updated_at: str | None
    count: int | None = None


# -- parsing ------------------------------------------------------------------------------------


class ShapeError(ValueError):
    """A document not shaped as the API promises (the client makes it MalformedResponseError)."""


_NONE = type(None)
_TEXT = frozenset((str, _NONE))
_WHOLE = frozenset((int, _NONE))
_FLAG = frozenset((bool, _NONE))
_EMPTY: dict[str, Any] = {}

# The parsers below are the hot loop of a full sync: they read every attribute once, check all
# types with one set comparison, and only on failure walk the slow path that names the culprit.


def _culprit(kind: str, rid: object, attrs: dict[str, Any], expected: dict[str, str]) -> ShapeError:
    wanted = {"text": _TEXT, "a whole number": _WHOLE, "true/false": _FLAG}
    for key, label in expected.items():
        value = attrs.get(key)
        if type(value) not in wanted[label]:
            return ShapeError(
                f"{kind} {rid}: {key!r} should be {label}, not {type(value).__name__}"
            )
    return ShapeError(f"{kind} {rid}: unexpected attribute types")


def _rel(rels: dict[str, Any], name: str) -> int | None:
    """The id a to-one relationship points at; None when absent, null or links-only."""
    rel = rels.get(name)
    if rel is None:
        return None
    if type(rel) is dict:
        data = rel.get("data")
        if data is None:
            return None
        if type(data) is dict:
            rid = data.get("id")
            if type(rid) is int:
                return rid
    raise ShapeError(f"relationship {name!r} should point at a resource with an integer id")


def _parts(resource: Any) -> tuple[int, dict[str, Any], dict[str, Any]]:
    if type(resource) is not dict:
        raise ShapeError("a resource should be an object")
    rid = resource.get("id")
    attrs = resource.get("attributes") or _EMPTY
    rels = resource.get("relationships") or _EMPTY
    if type(rid) is not int or type(attrs) is not dict or type(rels) is not dict:
        if type(rid) is not int:
            raise ShapeError(f"a resource id should be an integer, not {rid!r}")
        raise ShapeError(
            f"{resource.get('type')} {rid}: attributes/relationships should be objects"
        )
    return rid, attrs, rels


_PROSPECT_TYPES = {
    "firstName": "text",
    "lastName": "text",
    "optedOut": "true/false",
    "emailsOptStatus": "text",
    "externalId": "text",
    "updatedAt": "text",
}


def parse_prospect(resource: Any) -> ProspectRecord:
    """A `prospect` resource as a ProspectRecord; ValueError if it has the wrong shape."""
    rid, a, _ = _parts(resource)
    g = a.get
    emails = g("emails")
    first, last, opted, opt_status, external, updated = (
        g("firstName"),
        g("lastName"),
        g("optedOut"),
        g("emailsOptStatus"),
        g("externalId"),
        g("updatedAt"),
    )
    if (
        type(first) in _TEXT
        and type(last) in _TEXT
        and type(opt_status) in _TEXT
        and type(external) in _TEXT
        and type(updated) in _TEXT
        and type(opted) in _FLAG
    ):
        if emails is None:
            emails = ()
        elif type(emails) is list:
            for email in emails:
                if type(email) is not str:
                    raise ShapeError(f"prospect {rid}: 'emails' should be a list of text")
        else:
            raise ShapeError(f"prospect {rid}: 'emails' should be a list of text")
        return ProspectRecord(
            rid, tuple(emails), first, last, opted or False, opt_status, external, updated
        )
    raise _culprit("prospect", rid, a, _PROSPECT_TYPES)


_SEQUENCE_TYPES = {
    "name": "text",
    "enabled": "true/false",
    "sequenceType": "text",
    "sequenceStepCount": "a whole number",
    "updatedAt": "text",
}


def parse_sequence(resource: Any) -> SequenceRecord:
    """A `sequence` resource as a SequenceRecord; ValueError if it has the wrong shape."""
    rid, a, _ = _parts(resource)
    g = a.get
    name, enabled, kind, count, updated = (
        g("name"),
        g("enabled"),
        g("sequenceType"),
        g("sequenceStepCount"),
        g("updatedAt"),
    )
    if (
        type(name) in _TEXT
        and type(kind) in _TEXT
        and type(updated) in _TEXT
        and type(enabled) in _FLAG
        and type(count) in _WHOLE
    ):
        return SequenceRecord(rid, name, enabled, kind, count, updated)
    raise _culprit("sequence", rid, a, _SEQUENCE_TYPES)


_STEP_TYPES = {"order": "a whole number", "stepType": "text"}


def parse_sequence_step(resource: Any) -> SequenceStepRecord:
    """A `sequenceStep` resource as a SequenceStepRecord; ValueError if it has the wrong shape."""
    rid, a, r = _parts(resource)
    order, step_type = a.get("order"), a.get("stepType")
    if type(order) in _WHOLE and type(step_type) in _TEXT:
        try:
            sequence_id = _rel(r, "sequence")
        except ShapeError as exc:
            raise ShapeError(f"sequenceStep {rid}: {exc}") from None
        return SequenceStepRecord(rid, sequence_id, order, step_type)
    raise _culprit("sequenceStep", rid, a, _STEP_TYPES)


_STATE_TYPES = {
    "state": "text",
    "stateChangedAt": "text",
    "updatedAt": "text",
    "createdAt": "text",
    "pauseReason": "text",
    "errorReason": "text",
    "replyCount": "a whole number",
    "bounceCount": "a whole number",
    "optOutCount": "a whole number",
}


def parse_sequence_state(resource: Any) -> SequenceStateRecord:
    """A `sequenceState` resource as a SequenceStateRecord; ValueError if it has the wrong shape."""
    rid, a, r = _parts(resource)
    g = a.get
    state, changed, updated, created, paused, error = (
        g("state"),
        g("stateChangedAt"),
        g("updatedAt"),
        g("createdAt"),
        g("pauseReason"),
        g("errorReason"),
    )
    replies, bounces, opt_outs = g("replyCount"), g("bounceCount"), g("optOutCount")
    if (
        type(state) in _TEXT
        and type(changed) in _TEXT
        and type(updated) in _TEXT
        and type(created) in _TEXT
        and type(paused) in _TEXT
        and type(error) in _TEXT
        and type(replies) in _WHOLE
        and type(bounces) in _WHOLE
        and type(opt_outs) in _WHOLE
    ):
        # Fast path for the usual `{"data": {"type": ..., "id": N}}`; _rel sorts out the rest.
        try:
            prospect_id = r["prospect"]["data"]["id"]
            sequence_id = r["sequence"]["data"]["id"]
            step_id = r["sequenceStep"]["data"]["id"]
            if type(prospect_id) is not int or type(sequence_id) is not int:
                raise TypeError
            if type(step_id) is not int:
                raise TypeError
        except (KeyError, TypeError):
            try:
                prospect_id = _rel(r, "prospect")
                sequence_id = _rel(r, "sequence")
                step_id = _rel(r, "sequenceStep")
            except ShapeError as exc:
                raise ShapeError(f"sequenceState {rid}: {exc}") from None
        return SequenceStateRecord(
            rid,
            state,
            changed,
            updated,
            created,
            paused,
            error,
            replies,
            bounces,
            opt_outs,
            prospect_id,
            sequence_id,
            step_id,
        )
    raise _culprit("sequenceState", rid, a, _STATE_TYPES)


def latest_timestamp(values: Iterable[str | None]) -> str | None:
    """The latest of some ISO 8601 timestamps, returned as given; unparseable ones are skipped."""
    best: str | None = None
    best_at: datetime | None = None
    for value in values:
        if not value or value == best:
            continue
        try:
            at = datetime.fromisoformat(value)
        except ValueError:
            continue
        if at.tzinfo is None:  # Outreach always sends UTC; never compare naive with aware
            continue
        if best_at is None or at > best_at:
            best, best_at = value, at
    return best


def check_document(doc: Any) -> Document:
    """The document if it has the JSON:API collection shape; raises ShapeError otherwise."""
    if type(doc) is not dict:
        raise ShapeError("the answer should be a JSON object")
    if "data" not in doc:
        raise ShapeError("the answer has no 'data'")
    if type(doc["data"]) is not list:
        raise ShapeError("'data' should be a list")
    included = doc.get("included")
    if included is not None and type(included) is not list:
        raise ShapeError("'included' should be a list")
    links = doc.get("links")
    if links is not None:
        if type(links) is not dict:
            raise ShapeError("'links' should be an object")
        nxt = links.get("next")
        if nxt is not None and (type(nxt) is not str or not nxt):
            raise ShapeError("'links.next' should be a URL")
    return doc


def generic_page(doc: Document) -> Document:
    for resource in doc["data"]:
        if type(resource) is not dict or type(resource.get("id")) is not int:
            raise ShapeError("every item in 'data' should be a resource with an integer id")
    return doc


def state_page(doc: Document) -> SequenceStatePage:
    states = [parse_sequence_state(r) for r in doc["data"]]
    prospects: dict[int, ProspectRecord] = {}
    sequences: dict[int, SequenceRecord] = {}
    steps: dict[int, SequenceStepRecord] = {}
    for resource in doc.get("included") or ():
        kind = resource.get("type") if type(resource) is dict else None
        if kind == "prospect":
            p = parse_prospect(resource)
            prospects[p.id] = p
        elif kind == "sequence":
            s = parse_sequence(resource)
            sequences[s.id] = s
        elif kind == "sequenceStep":
            st = parse_sequence_step(resource)
            steps[st.id] = st
        # other included types (accounts, mailboxes...) are not ours to read
    meta = doc.get("meta")
    count = meta.get("count") if type(meta) is dict else None
    if type(meta) is dict and meta.get("count_truncated") is True:
        # Outreach gave up counting (under load, or past its cap): the number is a floor at
        # best, so no completeness check may rest on it.
        count = None
    return SequenceStatePage(
        states,
        prospects,
        sequences,
        steps,
        latest_timestamp(s.updated_at for s in states),
        count if type(count) is int and count >= 0 else None,
    )


def prospect_page(doc: Document) -> list[ProspectRecord]:
    return [parse_prospect(r) for r in doc["data"]]


def next_link(doc: Document) -> str | None:
    links = doc.get("links")
    if not links:
        return None
    nxt: str | None = links.get("next")
    return nxt
