"""World records as Outreach JSON:API resources (`<type>Response` in Outreach's OpenAPI file).

Resources carry integer ids, `attributes` (nulls included, as Outreach sends them), to-one
`relationships` as `{"data": {"type", "id"}}` or `{"data": null}`, and `links.self`. To-many
relationships are left out: the OpenAPI file describes them as arrays, Outreach itself sends
objects, and nothing the app needs lives in them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from syncmonitor.sandbox.records import (
    Account,
    Collection,
    Prospect,
    Sequence,
    SequenceState,
    SequenceStep,
    Stage,
)
from syncmonitor.sandbox.timefmt import iso_ms as iso
from syncmonitor.sandbox.world import World

Related = dict[str, tuple[str, int | None]]
MAILBOXES = 4

_STEP_LABELS = {
    "auto_email": "Auto email",
    "manual_email": "Manual email",
    "call": "Phone call",
    "task": "Action item",
}


@dataclass(frozen=True, slots=True)
class ResourceType:
    """How one Outreach type is stored, shown and related."""

    name: str
    collection: str
    store: Callable[[World], Collection[Any]]
    attributes: Callable[[World, Any], dict[str, Any]]
    relationships: Callable[[World, Any], Related]
    # Relationship name -> resource type, for `include`; only types this sandbox serves.
    includable: dict[str, str]


def _state_attributes(world: World, s: SequenceState) -> dict[str, Any]:
    step = world.sequence_steps.by_id[s.step_id]
    failed = s.state == "failed"
    return {
        "activeAt": iso(s.active_at),
        "bounceCount": s.bounce_count,
        "callCompletedAt": None,
        "clickCount": 0,
        "createdAt": iso(s.created_at),
        "deliverCount": step.order - 1 if s.state != "pending" else 0,
        "errorReason": "The mailbox could not send this email." if failed else None,
        "failureCount": 1 if failed else 0,
        "negativeReplyCount": 0,
        "neutralReplyCount": 0,
        "openCount": s.open_count,
        "optOutCount": s.opt_out_count,
        "pauseReason": s.pause_reason,
        "positiveReplyCount": 0,
        "repliedAt": iso(s.replied_at),
        "replyCount": s.reply_count,
        "scheduleCount": 0,
        "state": s.state,
        "stateChangedAt": iso(s.state_changed_at),
        "updatedAt": iso(s.updated_at),
    }


def _state_relationships(world: World, s: SequenceState) -> Related:
    prospect = world.prospects.by_id[s.prospect_id]
    return {
        "account": ("account", prospect.account_id),
        "mailbox": ("mailbox", 1 + s.prospect_id % MAILBOXES),
        "prospect": ("prospect", s.prospect_id),
        "sequence": ("sequence", s.sequence_id),
        "sequenceStep": ("sequenceStep", s.step_id),
    }


def _prospect_attributes(world: World, p: Prospect) -> dict[str, Any]:
    account = world.accounts.by_id.get(p.account_id) if p.account_id else None
    if p.opted_out:
        opt_status: str | None = "opted_out"
    else:  # most prospects never said either way; Outreach then sends null
        opt_status = "opted_in" if p.id % 3 == 0 else None
    return {
        "addedAt": iso(p.created_at),
        "clickCount": 0,
        "company": account.name if account else None,
        "createdAt": iso(p.created_at),
        **{f"custom{n}": (p.custom or {}).get(f"custom{n}") for n in range(1, 6)},
        "emailOptedOut": p.opted_out,
        "emails": [p.email, *p.other_emails] if p.email else list(p.other_emails),
        "emailsOptStatus": opt_status,
        "emailsOptedAt": iso(p.opted_out_at),
        "engagedAt": None,
        "externalId": None if p.person_id is None else str(p.person_id),
        "externalSource": "outreach-api",
        "firstName": p.first_name,
        "lastName": p.last_name,
        "name": f"{p.first_name} {p.last_name}",
        "openCount": 0,
        "optedOut": p.opted_out,
        "optedOutAt": iso(p.opted_out_at),
        "replyCount": p.reply_count,
        "tags": [],
        "timeZone": None,
        "title": p.title,
        "touchedAt": iso(p.touched_at),
        "updatedAt": iso(p.updated_at),
    }


def _prospect_relationships(world: World, p: Prospect) -> Related:
    # A stage deleted in Outreach leaves its prospects with no stage.
    stage = p.stage_id if p.stage_id is not None and p.stage_id in world.stages.by_id else None
    return {"account": ("account", p.account_id), "stage": ("stage", stage)}


def _sequence_attributes(world: World, q: Sequence) -> dict[str, Any]:
    return {
        "createdAt": iso(q.created_at),
        "description": None,
        "enabled": q.enabled,
        "enabledAt": iso(q.enabled_at),
        "locked": False,
        "name": q.name,
        "primaryReplyAction": q.primary_reply_action,
        "scheduleIntervalType": "calendar",
        "secondaryReplyAction": "continue",
        "sequenceStepCount": len(q.step_ids),
        "sequenceType": q.sequence_type,
        "shareType": "shared",
        "tags": [],
        "throttlePaused": False,
        "updatedAt": iso(q.updated_at),
    }


def _step_attributes(world: World, t: SequenceStep) -> dict[str, Any]:
    return {
        "createdAt": iso(t.created_at),
        "date": None,
        "displayName": f"Step #{t.order} ({_STEP_LABELS.get(t.step_type, t.step_type)})",
        "interval": t.interval,
        "order": t.order,
        "stepType": t.step_type,
        "taskNote": None,
        "updatedAt": iso(t.updated_at),
    }


def _account_attributes(world: World, a: Account) -> dict[str, Any]:
    return {
        "createdAt": iso(a.created_at),
        "customId": str(a.organisation_id),
        "domain": a.domain,
        "externalSource": "outreach-api",
        "industry": a.industry,
        "name": a.name,
        "named": True,
        "tags": [],
        "updatedAt": iso(a.updated_at),
        "websiteUrl": f"https://www.{a.domain}",
    }


def _stage_attributes(world: World, g: Stage) -> dict[str, Any]:
    return {
        "color": g.color,
        "createdAt": iso(g.created_at),
        "name": g.name,
        "order": g.order,
        "updatedAt": iso(g.updated_at),
    }


def _task_attributes(world: World, t: Any) -> dict[str, Any]:
    return {
        "action": t.action,
        "completed": t.completed,
        "completedAt": iso(t.completed_at),
        "createdAt": iso(t.created_at),
        "dueAt": iso(t.due_at),
        "note": t.note,
        "state": t.state,
        "stateChangedAt": iso(t.updated_at),
        "taskType": "sequence_step_call" if t.action == "call" else "sequence_step_task",
        "updatedAt": iso(t.updated_at),
    }


def _task_relationships(world: World, t: Any) -> Related:
    return {
        "prospect": ("prospect", t.prospect_id),
        "sequenceState": ("sequenceState", t.sequence_state_id),
        "sequenceStep": ("sequenceStep", t.step_id),
    }


def _call_attributes(world: World, c: Any) -> dict[str, Any]:
    return {
        "answeredAt": iso(c.answered_at),
        "completedAt": iso(c.completed_at),
        "createdAt": iso(c.created_at),
        "direction": c.direction,
        "note": c.note,
        "outcome": c.outcome,
        "state": c.state,
        "stateChangedAt": iso(c.updated_at),
        "updatedAt": iso(c.updated_at),
    }


def _opportunity_attributes(world: World, o: Any) -> dict[str, Any]:
    return {
        "amount": o.amount,
        "closeDate": o.close_date,
        "createdAt": iso(o.created_at),
        "name": o.name,
        "nextStep": o.next_step,
        "probability": o.probability,
        "updatedAt": iso(o.updated_at),
    }


def _none(world: World, record: Any) -> Related:
    return {}


RESOURCE_TYPES: dict[str, ResourceType] = {
    t.collection: t
    for t in (
        ResourceType(
            "sequenceState",
            "sequenceStates",
            lambda w: w.sequence_states,
            _state_attributes,
            _state_relationships,
            {
                "account": "account",
                "prospect": "prospect",
                "sequence": "sequence",
                "sequenceStep": "sequenceStep",
            },
        ),
        ResourceType(
            "prospect",
            "prospects",
            lambda w: w.prospects,
            _prospect_attributes,
            _prospect_relationships,
            {"account": "account", "stage": "stage"},
        ),
        ResourceType(
            "sequence", "sequences", lambda w: w.sequences, _sequence_attributes, _none, {}
        ),
        ResourceType(
            "sequenceStep",
            "sequenceSteps",
            lambda w: w.sequence_steps,
            _step_attributes,
            lambda w, t: {"sequence": ("sequence", t.sequence_id)},
            {"sequence": "sequence"},
        ),
        ResourceType("account", "accounts", lambda w: w.accounts, _account_attributes, _none, {}),
        ResourceType("stage", "stages", lambda w: w.stages, _stage_attributes, _none, {}),
        ResourceType(
            "task",
            "tasks",
            lambda w: w.tasks,
            _task_attributes,
            _task_relationships,
            {"prospect": "prospect"},
        ),
        ResourceType(
            "opportunity",
            "opportunities",
            lambda w: w.opportunities,
            _opportunity_attributes,
            lambda w, o: {
                "account": ("account", o.account_id),
                "opportunityStage": ("opportunityStage", o.stage_id),
                "stage": ("opportunityStage", o.stage_id),
            },
            {"account": "account"},
        ),
        ResourceType(
            "call",
            "calls",
            lambda w: w.calls,
            _call_attributes,
            lambda w, c: {"prospect": ("prospect", c.prospect_id)},
            {"prospect": "prospect"},
        ),
    )
}
BY_TYPE_NAME: dict[str, ResourceType] = {t.name: t for t in RESOURCE_TYPES.values()}


def render(
    world: World,
    rtype: ResourceType,
    record: Any,
    base_url: str,
    fields: dict[str, frozenset[str]],
) -> dict[str, Any]:
    """One resource object; `fields` holds the sparse fieldsets asked for, by type name."""
    attributes = rtype.attributes(world, record)
    related = rtype.relationships(world, record)
    wanted = fields.get(rtype.name)
    if wanted is not None:  # JSON:API: a fieldset names attributes and relationships alike
        attributes = {k: v for k, v in attributes.items() if k in wanted}
        related = {k: v for k, v in related.items() if k in wanted}
    return {
        "type": rtype.name,
        "id": record.id,
        "attributes": attributes,
        "relationships": {
            name: {"data": None if rid is None else {"type": kind, "id": rid}}
            for name, (kind, rid) in related.items()
        },
        "links": {"self": f"{base_url}/{rtype.collection}/{record.id}"},
    }


def resolve_includes(
    world: World, rtype: ResourceType, records: list[Any], paths: list[list[str]]
) -> list[tuple[ResourceType, Any]]:
    """The related records `include` asks for, each once, primary records excluded."""
    seen: set[tuple[str, int]] = {(rtype.name, r.id) for r in records}
    found: list[tuple[ResourceType, Any]] = []
    for path in paths:
        level: list[tuple[ResourceType, Any]] = [(rtype, r) for r in records]
        for name in path:
            next_level: list[tuple[ResourceType, Any]] = []
            level_seen: set[int] = set()
            for owner_type, owner in level:
                target = BY_TYPE_NAME[owner_type.includable[name]]
                _, rid = owner_type.relationships(world, owner)[name]
                if rid is None or rid in level_seen:
                    continue
                level_seen.add(rid)
                related = target.store(world).get(rid)
                if related is None:
                    continue
                next_level.append((target, related))
                if (target.name, rid) not in seen:
                    seen.add((target.name, rid))
                    found.append((target, related))
            level = next_level
    return found


def validate_include(rtype: ResourceType, path: list[str]) -> str | None:
    """None when an include path can be followed from `rtype`, else the name that cannot."""
    current = rtype
    for name in path:
        target = current.includable.get(name)
        if target is None:
            return name
        current = BY_TYPE_NAME[target]
    return None
