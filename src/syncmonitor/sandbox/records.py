"""The records the sandbox world holds, and the ordered indexes that make paging cheap.

A world of 100,000 people has 300,000 sequence states, so records are `__slots__` classes holding
plain ints, strings and bools: no per-record dict, instants as integers (see `timefmt`).
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterator
from typing import Generic, Protocol, TypeVar

# Composite keys put (updatedAt, id) into one int: ids stay far below 2**32 and one int compares
# and sorts faster, and takes less memory, than a tuple of two.
ID_BITS = 32
ID_MASK = (1 << ID_BITS) - 1


def updated_key(updated_at: int, record_id: int) -> int:
    """The keyset key for ordering by (updatedAt, id)."""
    return (updated_at << ID_BITS) | record_id


class Organisation:
    """A Workbooks organisation; its Outreach twin is an `Account` with the same name."""

    __slots__ = (
        "country",
        "created_at",
        "created_through_reference",
        "id",
        "industry",
        "is_deleted",
        "lock_version",
        "name",
        "town",
        "updated_at",
        "website",
    )

    def __init__(
        self,
        org_id: int,
        name: str,
        industry: str,
        town: str,
        country: str,
        website: str,
        created_at: int,
    ) -> None:
        self.id = org_id
        self.lock_version = 1
        self.name: str | None = name
        self.industry: str | None = industry
        self.town: str | None = town
        self.country: str | None = country
        self.website: str | None = website
        self.created_at = created_at
        self.updated_at = created_at
        self.is_deleted = False
        self.created_through_reference: str | None = None


class Person:
    """A Workbooks person (times in epoch seconds)."""

    __slots__ = (
        "assigned_to",
        "contact_status",
        "created_at",
        "created_through_reference",
        "duplicate",
        "email",
        "first_name",
        "id",
        "is_deleted",
        "last_name",
        "lead_status",
        "lock_version",
        "no_email_soliciting",
        "organisation_id",
        "outreach_id",
        "sequence_state",
        "sequence_state_updated_at",
        "sequence_step",
        "sync_error",
        "sync_to_outreach",
        "updated_at",
        "watched",
    )

    def __init__(
        self,
        person_id: int,
        first_name: str,
        last_name: str,
        email: str,
        organisation_id: int | None,
        created_at: int,
    ) -> None:
        self.id = person_id
        self.lock_version = 1
        self.first_name: str | None = first_name
        self.last_name: str | None = last_name
        self.email: str | None = email
        self.organisation_id = organisation_id
        self.no_email_soliciting = False
        self.created_at = created_at
        self.updated_at = created_at
        self.is_deleted = False
        self.created_through_reference: str | None = None
        # Custom fields the Workbooks-Outreach integration keeps; a text field holds the id.
        self.outreach_id: str | None = None
        self.sequence_state: str | None = None
        self.sequence_state_updated_at: int | None = None
        self.sync_to_outreach = True
        self.sync_error = False
        self.duplicate = False
        # Picklist fields: the values are set by `picklists.install` (status mappings).
        self.lead_status: str | None = None
        self.contact_status: str | None = None
        # For the two-way sync (scope filters, step numbers): derived from the id, so the seeded
        # world is unchanged. Users 1..5; the API key belongs to user 1 (see `login.api`).
        self.assigned_to: int | None = 1 + person_id % 5
        self.watched = person_id % 7 == 0  # the API user watches this person
        self.sequence_step: int | None = None


class Stage:
    """An Outreach prospect stage."""

    __slots__ = ("color", "created_at", "id", "name", "order", "updated_at")

    def __init__(self, stage_id: int, name: str, order: int, color: str, at: int) -> None:
        self.id = stage_id
        self.name = name
        self.order = order
        self.color = color
        self.created_at = at
        self.updated_at = at


class Account:
    """An Outreach account (times in epoch milliseconds)."""

    __slots__ = ("created_at", "domain", "id", "industry", "name", "organisation_id", "updated_at")

    def __init__(
        self, account_id: int, name: str, domain: str, industry: str, organisation_id: int, at: int
    ) -> None:
        self.id = account_id
        self.name = name
        self.domain = domain
        self.industry = industry
        self.organisation_id = organisation_id
        self.created_at = at
        self.updated_at = at


class Sequence:
    """An Outreach sequence; `step_ids` in step order."""

    __slots__ = (
        "created_at",
        "enabled",
        "enabled_at",
        "id",
        "name",
        "primary_reply_action",
        "sequence_type",
        "step_ids",
        "updated_at",
    )

    def __init__(
        self,
        sequence_id: int,
        name: str,
        enabled: bool,
        sequence_type: str,
        primary_reply_action: str,
        at: int,
    ) -> None:
        self.id = sequence_id
        self.name = name
        self.enabled = enabled
        self.enabled_at: int | None = at if enabled else None
        self.sequence_type = sequence_type
        self.primary_reply_action = primary_reply_action
        self.step_ids: list[int] = []
        self.created_at = at
        self.updated_at = at


class SequenceStep:
    """One step of an Outreach sequence; `interval` in seconds, None for date sequences."""

    __slots__ = ("created_at", "id", "interval", "order", "sequence_id", "step_type", "updated_at")

    def __init__(
        self,
        step_id: int,
        sequence_id: int,
        order: int,
        step_type: str,
        interval: int | None,
        at: int,
    ) -> None:
        self.id = step_id
        self.sequence_id = sequence_id
        self.order = order
        self.step_type = step_type
        self.interval = interval
        self.created_at = at
        self.updated_at = at


class Prospect:
    """An Outreach prospect; its externalId is the Workbooks person id (`person_id`) as text."""

    __slots__ = (
        "account_id",
        "created_at",
        "custom",
        "email",
        "first_name",
        "id",
        "last_name",
        "opted_out",
        "opted_out_at",
        "other_emails",
        "person_id",
        "reply_count",
        "stage_id",
        "title",
        "touched_at",
        "updated_at",
    )

    def __init__(
        self,
        prospect_id: int,
        person_id: int,
        first_name: str,
        last_name: str,
        email: str,
        title: str,
        account_id: int | None,
        at: int,
    ) -> None:
        self.id = prospect_id
        self.person_id = person_id
        self.first_name = first_name
        self.last_name = last_name
        self.email = email
        self.title = title
        self.account_id = account_id
        self.stage_id: int | None = 1
        self.custom: dict[str, str | None] | None = None  # custom1..custom5, set by PATCH
        # Emails after the first (the two-way sync writes them).
        self.other_emails: tuple[str, ...] = ()
        self.opted_out = False
        self.opted_out_at: int | None = None
        self.reply_count = 0
        self.touched_at: int | None = None
        self.created_at = at
        self.updated_at = at


class SequenceState:
    """Where one prospect is in one sequence. `state` is Outreach's raw, undocumented text.

    Its account and mailbox are the prospect's (account) and derived from the prospect id
    (mailbox), not stored: 300,000 states make every slot count.
    """

    __slots__ = (
        "active_at",
        "bounce_count",
        "created_at",
        "id",
        "open_count",
        "opt_out_count",
        "pause_reason",
        "prospect_id",
        "replied_at",
        "reply_count",
        "sequence_id",
        "state",
        "state_changed_at",
        "step_id",
        "updated_at",
    )

    def __init__(
        self,
        state_id: int,
        prospect_id: int,
        sequence_id: int,
        step_id: int,
        state: str,
        at: int,
    ) -> None:
        self.id = state_id
        self.prospect_id = prospect_id
        self.sequence_id = sequence_id
        self.step_id = step_id
        self.state = state
        self.pause_reason: str | None = None
        self.reply_count = 0
        self.bounce_count = 0
        self.opt_out_count = 0
        self.open_count = 0
        self.created_at = at
        self.updated_at = at
        self.state_changed_at = at
        self.active_at: int | None = None
        self.replied_at: int | None = None


class _Record(Protocol):
    id: int
    updated_at: int


R = TypeVar("R", bound=_Record)


class Collection(Generic[R]):
    """The records of one Outreach type with the two orders paging walks.

    `ids` is ascending because ids are only ever handed out upwards. `by_updated` holds composite
    (updatedAt, id) keys in ascending order; `touch()` moves a record's key when it changes, so a
    record updated while a client pages moves behind the client's cursor and is met again later.
    Callers hold the world lock.
    """

    def __init__(self) -> None:
        self.by_id: dict[int, R] = {}
        self.ids: list[int] = []
        self.by_updated: list[int] = []
        self.next_id = 1

    def __len__(self) -> int:
        return len(self.ids)

    def __iter__(self) -> Iterator[R]:
        return iter(self.by_id.values())

    def get(self, record_id: int) -> R | None:
        return self.by_id.get(record_id)

    def load(self, records: list[R]) -> None:
        """Bulk-add records already in id order and build the indexes once (world generation)."""
        for record in records:
            self.by_id[record.id] = record
        self.ids = list(self.by_id)
        self.by_updated = sorted(updated_key(r.updated_at, r.id) for r in records)
        self.next_id = (self.ids[-1] + 1) if self.ids else 1

    def add(self, record: R) -> None:
        """Add one new record; its id must be above every existing one."""
        if self.ids and record.id <= self.ids[-1]:
            raise ValueError(f"record id {record.id} is not above {self.ids[-1]}")
        self.by_id[record.id] = record
        self.ids.append(record.id)
        insort(self.by_updated, updated_key(record.updated_at, record.id))
        self.next_id = record.id + 1

    def remove(self, record_id: int) -> R | None:
        """Delete a record (a DELETE through the API); its id is never handed out again."""
        record = self.by_id.pop(record_id, None)
        if record is None:
            return None
        self.ids.remove(record_id)
        key = updated_key(record.updated_at, record.id)
        index = bisect_left(self.by_updated, key)
        if index < len(self.by_updated) and self.by_updated[index] == key:
            del self.by_updated[index]
        return record

    def touch(self, record: R, updated_at: int) -> None:
        """Set a record's updatedAt and move it in the (updatedAt, id) order."""
        old = updated_key(record.updated_at, record.id)
        index = bisect_left(self.by_updated, old)
        if index < len(self.by_updated) and self.by_updated[index] == old:
            del self.by_updated[index]
        record.updated_at = updated_at
        insort(self.by_updated, updated_key(updated_at, record.id))
