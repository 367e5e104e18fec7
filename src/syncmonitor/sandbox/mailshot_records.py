"""The sandbox's mailshot world: Workbooks integrated mailshots, mailing lists and their entries,
the GatorMail API key record, and the Spotler integrated campaigns that arrive.

Workbooks times are epoch seconds, Spotler's epoch milliseconds, as elsewhere in the sandbox.
Setting a mailshot's status to "Queued" (pressing Synchronise in Workbooks) stamps `queued_at`:
the integration takes queued mailshots in that order. `queued_at` and the campaign link are the
sandbox's own bookkeeping: the Workbooks API serves neither (no document has them), so the app
infers the queue from status changes and matches campaigns by name, as it must on a real account.

Status values: `Draft` is the one Workbooks documents (`workbooks-mailshot_example.php`); the
others are the sandbox's choice (sandbox only), served as the entries of the "Mailshot Statuses"
picklist that the mailshot type's metadata points at, so the app has to discover them.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field

QUEUED = "Queued"
SYNCING = "Synchronising"
SYNCED = "Synchronised"
FAILED = "Failed"
NEW = "Draft"  # documented: the status of a new mailshot

_TOPICS = (
    "Spring Newsletter", "Product Update", "Webinar Invite", "Customer Survey", "Event Reminder",
    "Renewal Notice", "Partner Briefing", "Holiday Opening Hours", "Case Study", "Price Update",
    "Training Day", "Welcome Series", "Trade Show Follow-up", "Quarterly Review", "Beta Invite",
)  # fmt: skip
_REGIONS = ("UK", "Benelux", "DACH", "Nordics", "Ireland", "France", "Iberia", "Global")
LONG_NAME = (
    "Autumn 2026 Customer Newsletter for all UK and Ireland accounts including partners, "
    "resellers and the new Benelux distribution network"
)


class Mailshot:
    """A Workbooks integrated mailshot (email/integrated_mailshots)."""

    __slots__ = (
        "_status",
        "campaign_id",
        "created_at",
        "created_through_reference",
        "description",
        "from_address",
        "id",
        "is_deleted",
        "lock_version",
        "mailing_list_id",
        "mailshot_type",
        "name",
        "queued_at",
        "refresh_period",
        "subject",
        "sync_error",
        "sync_with",
        "updated_at",
    )

    def __init__(self, mailshot_id: int, now: int) -> None:
        self.id = mailshot_id
        self.lock_version = 1
        self.name: str | None = ""
        self.subject: str | None = ""
        self.from_address: str | None = "marketing@example.com"
        self.mailshot_type: str | None = "Refresh Non-Recurring"  # the documented example's
        self.description: str | None = None
        self.refresh_period: int | None = None
        self.sync_with: str | None = "GatorMail"
        self.mailing_list_id: int | None = None
        self._status: str | None = NEW
        self.queued_at: int | None = None
        self.campaign_id: str | None = None
        self.sync_error: str | None = None
        self.created_at = now
        self.updated_at = now
        self.is_deleted = False
        self.created_through_reference: str | None = None

    @property
    def status(self) -> str | None:
        return self._status

    @status.setter
    def status(self, value: str | None) -> None:
        # Synchronise (status Queued) puts the mailshot at the back of the queue.
        if value == QUEUED and self._status != QUEUED:
            self.queued_at = int(time.time())
            self.sync_error = None
        self._status = value


class MailingList:
    """A Workbooks mailing list (email/mailing_lists)."""

    __slots__ = ("created_at", "id", "is_deleted", "lock_version", "name", "updated_at")

    def __init__(self, list_id: int, name: str, now: int) -> None:
        self.id = list_id
        self.lock_version = 1
        self.name: str | None = name
        self.created_at = self.updated_at = now
        self.is_deleted = False


class MailingListEntry:
    """One member of a mailing list (email/mailing_list_entries)."""

    __slots__ = (
        "created_at",
        "email",
        "id",
        "is_deleted",
        "lock_version",
        "mailing_list_id",
        "party_or_lead_type",
        "person_id",
        "subscribed",
        "updated_at",
    )

    def __init__(self, entry_id: int, list_id: int | None, person_id: int | None, now: int) -> None:
        self.id = entry_id
        self.lock_version = 1
        self.mailing_list_id = list_id
        self.person_id = person_id  # party_or_lead_id
        self.party_or_lead_type: str | None = "Private::Crm::Person"
        self.subscribed = True
        self.email: str | None = f"contact{entry_id}@example.com"
        self.created_at = self.updated_at = now
        self.is_deleted = False


class ApiKey:
    """A Workbooks API key record (Configuration > Automation > API Keys)."""

    __slots__ = (
        "created_at",
        "enabled",
        "id",
        "is_deleted",
        "lock_version",
        "name",
        "updated_at",
        "valid_from",
        "valid_until",
    )

    def __init__(self, key_id: int, name: str, now: int) -> None:
        self.id = key_id
        self.lock_version = 1
        self.name: str | None = name
        self.enabled = True
        self.valid_from: int | None = None
        self.valid_until: int | None = None
        self.created_at = self.updated_at = now
        self.is_deleted = False

    def usable(self, now: float) -> bool:
        if not self.enabled or self.is_deleted:
            return False
        if self.valid_from is not None and self.valid_from > now:
            return False
        return self.valid_until is None or self.valid_until > now


@dataclass
class Campaign:
    """A Spotler integrated campaign, made by the integration from a mailshot.

    Mail+ lists a campaign as `{encryptedId, name, active, triggers}` only; `external_id`,
    `contacts` and `created_ms` are the sandbox's bookkeeping (no Mail+ read serves them)."""

    id: int
    encrypted_id: str
    name: str
    external_id: str  # the Workbooks mailshot id (never served)
    contacts: int
    created_ms: int
    active: bool = True


@dataclass
class Mailing:
    """A Spotler mailing (`GET /mailing?fromDate&toDate`): the integrated campaign's first
    mailing, scheduled when the campaign arrives."""

    encrypted_id: str
    name: str
    scheduled_ms: int
    sent_count: int


@dataclass
class MailshotData:
    """Everything above, held by the `World` (under its lock)."""

    mailshots: dict[int, Mailshot] = field(default_factory=dict)
    lists: dict[int, MailingList] = field(default_factory=dict)
    entries: dict[int, MailingListEntry] = field(default_factory=dict)
    api_keys: dict[int, ApiKey] = field(default_factory=dict)
    campaigns: list[Campaign] = field(default_factory=list)
    mailings: list[Mailing] = field(default_factory=list)
    rng: random.Random = field(default_factory=lambda: random.Random(0))

    @classmethod
    def generate(cls, seed: int, now: int) -> MailshotData:
        """Mailing lists from empty to large, a few synchronised mailshots of history, and the
        GatorMail API key (enabled, no dates)."""
        data = cls(rng=random.Random(f"{seed}:mailshots"))
        sizes = (0, 12, 85, 240, 600, 1500, 3200, 6000)
        for number, size in enumerate(sizes, start=1):
            mailing_list = MailingList(500 + number, f"{_REGIONS[number - 1]} contacts", now)
            data.lists[mailing_list.id] = mailing_list
            data.add_entries(mailing_list.id, size, now)
        data.api_keys[1] = ApiKey(1, "GatorMail", now)
        for _ in range(6):
            shot = data.new_mailshot(now - 86_400 * data.rng.randint(1, 30))
            shot.status = SYNCED
            data.arrive(shot, (shot.created_at + 600) * 1000)
        for _ in range(2):  # pressed Synchronise just now: the queue moves from the start
            data.new_mailshot(now).status = QUEUED
        return data

    def add_entries(self, list_id: int, count: int, now: int) -> list[MailingListEntry]:
        """`count` new entries of the list (each a person numbered like its entry: the sandbox
        does not check that a party exists); the caller re-indexes them (workbooks_changed)."""
        start = next(reversed(self.entries), 9000) + 1
        made = []
        for entry_id in range(start, start + count):
            entry = MailingListEntry(entry_id, list_id, entry_id, now)
            self.entries[entry_id] = entry
            made.append(entry)
        return made

    def new_list(self, name: str, now: int) -> MailingList:
        """A new, empty mailing list (as Workbooks makes one for each new mailshot)."""
        made = MailingList(next(reversed(self.lists), 500) + 1, name, now)
        self.lists[made.id] = made
        return made

    def audience(self, list_id: int | None) -> int:
        """Live entries of the list (0 for no list)."""
        if list_id is None:
            return 0
        # Counted each time (a few thousand entries): API writes may add or delete entries.
        return sum(
            1 for e in self.entries.values() if e.mailing_list_id == list_id and not e.is_deleted
        )

    def new_mailshot(
        self, now: int, *, name: str | None = None, list_id: int | None = None
    ) -> Mailshot:
        """A new mailshot with a made-up name (not queued)."""
        mailshot_id = next(reversed(self.mailshots), 3000) + 1
        shot = Mailshot(mailshot_id, now)
        rng = self.rng
        shot.name = name if name is not None else f"{rng.choice(_TOPICS)} {rng.choice(_REGIONS)}"
        shot.subject = shot.name
        shot.mailing_list_id = list_id if list_id is not None else rng.choice(list(self.lists))
        self.mailshots[shot.id] = shot
        return shot

    def queue(self) -> list[Mailshot]:
        """Queued mailshots in the order the integration takes them."""
        waiting = [
            m for m in self.mailshots.values() if not m.is_deleted and m.status in (QUEUED, SYNCING)
        ]
        waiting.sort(key=lambda m: (m.status != SYNCING, m.queued_at or 0, m.id))
        return waiting

    def arrive(self, shot: Mailshot, created_ms: int) -> Campaign:
        """The campaign appears in Spotler and the mailshot says Synchronised."""
        number = len(self.campaigns) + 1
        campaign = Campaign(
            number,
            f"ic{number:06d}{self.rng.getrandbits(32):08x}",
            shot.name or "",
            str(shot.id),
            self.audience(shot.mailing_list_id),
            created_ms,
        )
        self.campaigns.append(campaign)
        self.mailings.append(
            Mailing(
                f"ml{number:06d}{campaign.encrypted_id[8:]}",  # no draw: seeds stay the same
                campaign.name,
                created_ms,
                campaign.contacts,
            )
        )
        shot.campaign_id = campaign.encrypted_id
        return campaign

    def add_campaign(self, name: str, created_ms: int) -> Campaign:
        """A campaign someone made in Spotler by hand (no mailshot behind it)."""
        number = len(self.campaigns) + 1
        campaign = Campaign(
            number, f"ic{number:06d}{self.rng.getrandbits(32):08x}", name, "", 0, created_ms
        )
        self.campaigns.append(campaign)
        return campaign
