"""Which Spotler campaign is which Workbooks mailshot: matched by name, since no documented read
links them.

Two documented Mail+ reads are used: `GET /campaign/list` (every campaign, no time) and
`GET /mailing?fromDate&toDate` (mailings with their scheduled time). A waiting mailshot is matched
to a campaign or mailing of the same name, exact first, then ignoring case and runs of spaces; only
to one that appeared after the mailshot was queued (campaigns: first seen by this monitor after
it; mailings: scheduled after it), so last month's "Monthly Newsletter" never passes for this
month's. Two candidates with one name are not guessed between: the mailshot is left to its
Workbooks status, and the page says why. Everything here is an inference, and said to be one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from syncmonitor.connectors.spotler import CampaignRecord, MailingRecord
from syncmonitor.domain.mailshots.queue import IN_QUEUE_ROLES
from syncmonitor.domain.mailshots.statuses import StatusMeanings, StatusRole
from syncmonitor.domain.timestamps import format_iso, parse_iso

CAMPAIGNS = "Spotler GET /campaign/list"
MAILINGS = "Spotler GET /mailing"
# Workbooks keeps whole seconds and clocks drift: a campaign seen a little before the queue time
# we inferred may still be this mailshot's.
MARGIN = timedelta(minutes=2)


def normalised(name: str) -> str:
    """A name ignoring case and runs of white space."""
    return " ".join(name.split()).casefold()


@dataclass(frozen=True)
class Candidate:
    """A campaign or mailing that might be a mailshot's."""

    encrypted_id: str
    name: str
    read: str  # CAMPAIGNS or MAILINGS
    seen_at: datetime | None  # first seen by this monitor (None: before it started watching)
    scheduled: datetime | None = None  # a mailing's scheduledStartDate


@dataclass(frozen=True)
class Match:
    """The outcome for one waiting mailshot."""

    candidate: Candidate | None
    how: str  # "exact name" or "name ignoring case and spaces"
    ambiguous: tuple[Candidate, ...] = ()  # two or more fit: none was chosen


class CampaignBook:
    """What Spotler has listed, with when each campaign was first seen."""

    def __init__(self) -> None:
        self.campaigns: dict[str, Candidate] = {}
        self.mailings: dict[str, Candidate] = {}
        self.watching_since: datetime | None = None

    def take_campaigns(self, records: Iterable[CampaignRecord], now: datetime) -> None:
        first = self.watching_since is None
        if first:
            self.watching_since = now
        fresh: dict[str, Candidate] = {}
        for record in records:
            known = self.campaigns.get(record.encrypted_id)
            seen = known.seen_at if known is not None else (None if first else now)
            fresh[record.encrypted_id] = Candidate(
                record.encrypted_id, record.name, CAMPAIGNS, seen
            )
        self.campaigns = fresh

    def take_mailings(self, records: Iterable[MailingRecord], now: datetime) -> None:
        for record in records:
            known = self.mailings.get(record.encrypted_id)
            seen = known.seen_at if known is not None else now
            self.mailings[record.encrypted_id] = Candidate(
                record.encrypted_id, record.name, MAILINGS, seen, record.scheduled
            )

    def name_of(self, encrypted_id: str) -> str | None:
        found = self.campaigns.get(encrypted_id) or self.mailings.get(encrypted_id)
        return found.name if found is not None else None

    def match(
        self,
        name: str,
        queued_at: datetime | None,
        taken: Mapping[str, int],
        mailshot_id: int,
    ) -> Match | None:
        """The campaign (else mailing) that is this mailshot's, or None when none fits yet.

        `taken` maps encrypted ids already matched to their mailshot."""
        for pool in (self.campaigns, self.mailings):
            pool_match = self._match_in(pool.values(), name, queued_at, taken, mailshot_id)
            if pool_match is not None:
                return pool_match
        return None

    def _match_in(
        self,
        pool: Iterable[Candidate],
        name: str,
        queued_at: datetime | None,
        taken: Mapping[str, int],
        mailshot_id: int,
    ) -> Match | None:
        new = [c for c in pool if taken.get(c.encrypted_id, mailshot_id) == mailshot_id]
        new = [c for c in new if self._after(c, queued_at)]
        for how, same in (
            ("exact name", [c for c in new if c.name == name]),
            (
                "name ignoring case and spaces",
                [c for c in new if normalised(c.name) == normalised(name)],
            ),
        ):
            if len(same) == 1:
                return Match(same[0], how)
            if len(same) > 1:
                return Match(None, how, tuple(same))
        return None

    def _after(self, candidate: Candidate, queued_at: datetime | None) -> bool:
        if queued_at is None:
            return False
        if candidate.scheduled is not None:
            return candidate.scheduled >= queued_at - MARGIN
        if candidate.seen_at is None:
            # Listed before this monitor started: it may have arrived while nobody watched, but
            # only for a mailshot queued before then.
            return self.watching_since is not None and queued_at < self.watching_since
        return candidate.seen_at >= queued_at - MARGIN


def ambiguous_message(name: str, match: Match) -> str:
    ids = ", ".join(c.encrypted_id for c in match.ambiguous)
    return (
        f"{len(match.ambiguous)} Spotler campaigns are named “{name}” ({ids}): Sync Monitor cannot "
        "tell which one is this mailshot's, so it goes by the Workbooks status alone. Give "
        "campaigns distinct names in Spotler to see arrivals again."
    )


def renamed_message(status: str) -> str:
    return (
        f"Workbooks says “{status}”, but no Spotler campaign has this mailshot's name: it may have "
        "been renamed in Spotler. Its arrival is taken from Workbooks."
    )


def match_rows(
    rows: Mapping[int, dict[str, Any]],
    meanings: StatusMeanings,
    book: CampaignBook,
    now: datetime,
    campaigns_failed: bool,
) -> tuple[set[int], dict[int, tuple[str, ...]]]:
    """Match the cache rows of waiting mailshots to Spotler by name, in place: (ids whose row got
    a campaign, remarks per mailshot for what cannot be told)."""
    taken = {str(r["campaign_id"]): i for i, r in rows.items() if r.get("campaign_id")}
    changed: set[int] = set()
    remarks: dict[int, tuple[str, ...]] = {}
    for mailshot_id, row in rows.items():
        role = meanings.role(row["status"] or "")
        if row["deleted"]:
            continue
        if row.get("campaign_id"):
            current = book.name_of(str(row["campaign_id"]))
            if current is not None and current != row["name"]:
                remarks[mailshot_id] = (
                    f"Renamed in Spotler: its campaign {row['campaign_id']} is now called "
                    f"“{current}”.",
                )
            continue
        in_line = role in IN_QUEUE_ROLES or (
            role is StatusRole.SYNCED and row["state"] in ("waiting", "syncing", "blocked")
        )
        if not in_line:
            continue
        match = book.match(row["name"] or "", parse_iso(row["queued_at"]), taken, mailshot_id)
        if match is not None and match.candidate is not None:
            c = match.candidate
            seen = format_iso(c.seen_at or now)
            row["campaign_id"] = c.encrypted_id
            row["arrived_at"] = seen
            row["matched_by"] = f"{c.read}, {match.how}, seen {seen}"
            taken[c.encrypted_id] = mailshot_id
            changed.add(mailshot_id)
        elif match is not None:
            remarks[mailshot_id] = (ambiguous_message(row["name"] or "", match),)
        elif role is StatusRole.SYNCED and not campaigns_failed:
            remarks[mailshot_id] = (renamed_message(row["status"] or ""),)
    return changed, remarks
