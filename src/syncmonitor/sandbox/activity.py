"""Outreach tasks and calls, and the Workbooks tasks and activities the two-way sync writes.

Outreach side (read-only here, `GET /tasks`, `GET /calls`): every sequence state whose step is a
call or task step and that has moved past it carries one task; every call step also logged a call.
They are derived from the sequence states without drawing from the seed, so the seeded world stays
the same. A *skipped* sequence task is one closed without being done: `state` "complete" with
`completed` false (Outreach's OpenAPI only names pending / incomplete / complete; the sandbox
documents this reading in docs/sandbox-contract.md). Completed `in_person` tasks are meetings.

Workbooks side: `activity/tasks` and `activity/activities` records (created by the sync through the
ordinary batch write, `__method[]=POST`).
"""

from __future__ import annotations

from typing import Any

from syncmonitor.sandbox.records import Collection


class Task:
    """An Outreach task (times in epoch ms)."""

    __slots__ = (
        "action",
        "completed",
        "completed_at",
        "created_at",
        "due_at",
        "id",
        "note",
        "prospect_id",
        "sequence_state_id",
        "state",
        "step_id",
        "updated_at",
    )

    def __init__(self, task_id: int, prospect_id: int, state_id: int, step_id: int, at: int):
        self.id = task_id
        self.prospect_id = prospect_id
        self.sequence_state_id: int | None = state_id
        self.step_id: int | None = step_id
        self.action = "action_item"
        self.state = "incomplete"
        self.completed = False
        self.completed_at: int | None = None
        self.due_at = at
        self.note: str | None = None
        self.created_at = at
        self.updated_at = at


class Call:
    """An Outreach call log (times in epoch ms)."""

    __slots__ = (
        "answered_at",
        "completed_at",
        "created_at",
        "direction",
        "id",
        "note",
        "outcome",
        "prospect_id",
        "state",
        "updated_at",
    )

    def __init__(self, call_id: int, prospect_id: int, at: int) -> None:
        self.id = call_id
        self.prospect_id = prospect_id
        self.direction = "outbound"
        self.outcome = "Answered"
        self.state = "completed"
        self.answered_at: int | None = at
        self.completed_at: int | None = at
        self.note: str | None = None
        self.created_at = at
        self.updated_at = at


class CrmActivity:
    """A Workbooks task or activity (times in epoch seconds)."""

    __slots__ = (
        "activity_status",
        "activity_type",
        "created_at",
        "created_through_reference",
        "description",
        "due_date",
        "id",
        "is_deleted",
        "lock_version",
        "name",
        "primary_contact_id",
        "primary_contact_type",
        "updated_at",
    )

    def __init__(self, record_id: int, at: int) -> None:
        self.id = record_id
        self.lock_version = 1
        self.name: str | None = ""
        self.activity_type: str | None = None
        self.activity_status: str | None = None
        self.description: str | None = None
        self.due_date: int | None = None
        self.primary_contact_id: int | None = None
        self.primary_contact_type: str | None = None
        self.created_through_reference: str | None = None
        self.created_at = at
        self.updated_at = at
        self.is_deleted = False


class Opportunity:
    """An Outreach opportunity (times in epoch ms). Its stage is the `opportunityStage`
    relationship (writable) and `stage` (read-only, the same id), as in the OpenAPI file."""

    __slots__ = (
        "account_id",
        "amount",
        "close_date",
        "created_at",
        "id",
        "name",
        "next_step",
        "probability",
        "stage_id",
        "updated_at",
    )

    def __init__(self, opportunity_id: int, name: str, at: int) -> None:
        self.id = opportunity_id
        self.name = name
        self.amount: float | None = None
        self.probability: int | None = None
        self.close_date: str | None = None
        self.next_step: str | None = None
        self.stage_id: int | None = None
        self.account_id: int | None = None
        self.created_at = at
        self.updated_at = at


class CrmOpportunity:
    """A Workbooks opportunity (times in epoch seconds)."""

    __slots__ = (
        "amount",
        "close_date",
        "created_at",
        "created_through_reference",
        "description",
        "id",
        "is_deleted",
        "lock_version",
        "name",
        "organisation_id",
        "probability",
        "updated_at",
    )

    def __init__(self, record_id: int, at: int) -> None:
        self.id = record_id
        self.lock_version = 1
        self.name: str | None = ""
        self.description: str | None = None
        self.amount: str | None = None
        self.probability: int | None = None
        self.close_date: int | None = None
        self.organisation_id: int | None = None
        self.created_through_reference: str | None = None
        self.created_at = at
        self.updated_at = at
        self.is_deleted = False


def install(world: Any) -> None:
    """Derive tasks and calls from the built sequence states (no draws from the seed)."""
    tasks: list[Task] = []
    calls: list[Call] = []
    for state in world.sequence_states:
        step = world.sequence_steps.by_id.get(state.step_id)
        if step is None or step.step_type not in ("call", "task") or state.state == "pending":
            continue
        at = state.state_changed_at
        task = Task(len(tasks) + 1, state.prospect_id, state.id, step.id, at)
        task.action = "call" if step.step_type == "call" else "action_item"
        if state.id % 11 == 0:
            task.action = "in_person"  # a meeting booked as a sequence task
        if state.state in ("active", "paused") and state.id % 3 == 0:
            pass  # still open
        elif state.id % 5 == 0:
            task.state, task.completed, task.completed_at = "complete", False, at  # skipped
        else:
            task.state, task.completed, task.completed_at = "complete", True, at
        tasks.append(task)
        if step.step_type == "call" and task.completed:
            call = Call(len(calls) + 1, state.prospect_id, at)
            call.outcome = "Answered" if state.id % 2 else "Not Answered"
            call.answered_at = at if call.outcome == "Answered" else None
            calls.append(call)
    world.tasks = Collection()
    world.tasks.load(tasks)
    world.calls = Collection()
    world.calls.load(calls)
    world.crm_tasks = {}
    world.crm_activities = {}
    world.opportunities = Collection()
    world.crm_opportunities = {}


class PartyLocation:
    """A Workbooks Contact Details record (`crm/party_locations`, as the official
    contact_details_example.php writes and reads one): addresses of a person or organisation
    (`party_id`), with `email` and `alternate_email` (times in epoch seconds)."""

    __slots__ = (
        "alternate_email",
        "created_at",
        "email",
        "id",
        "is_deleted",
        "location_name",
        "lock_version",
        "party_id",
        "town",
        "updated_at",
    )

    def __init__(self, record_id: int, at: int) -> None:
        self.id = record_id
        self.lock_version = 1
        self.party_id: int | None = None
        self.location_name: str | None = "Other"
        self.email: str | None = None
        self.alternate_email: str | None = None
        self.town: str | None = None
        self.is_deleted = False
        self.created_at = at
        self.updated_at = at


class SalesLead:
    """A Workbooks Sales Lead (`crm/sales_leads`). Which fields a lead's email lives in is not in
    the guide: *sandbox only*, the lead carries `person_lead_party[main_location[email]]` (the
    default of the app's inferred, configurable `sales_lead_email_field`)."""

    __slots__ = (
        "created_at",
        "email",
        "id",
        "is_deleted",
        "lock_version",
        "name",
        "updated_at",
    )

    def __init__(self, record_id: int, at: int) -> None:
        self.id = record_id
        self.lock_version = 1
        self.name: str | None = ""
        self.email: str | None = None
        self.is_deleted = False
        self.created_at = at
        self.updated_at = at
