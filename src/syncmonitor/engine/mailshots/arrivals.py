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

from syncmonitor.connectors.spotler import CampaignRecord, MailingRecord

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
