"""The GatorMail sync queue as a person sees it: states, positions, ETAs and what is wrong.

Pure rules, no I/O: the engine reads Workbooks and Spotler into `MailshotFacts`, and
`build_snapshot()` turns them into `QueueItem`s. The queue is head-of-line: the integration takes
queued mailshots in order, one at a time, so a mailshot that cannot pass (a name over 100
characters) holds up every mailshot behind it.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from syncmonitor.domain.mailshots.rules import (
    INTEGRATION_PLACE,
    INTEGRATION_STOPPED,
    KEY_PLACE,
    NAME_LIMIT,
    ApiKeyFacts,
    name_length,
)
from syncmonitor.domain.mailshots.statuses import StatusRole

IN_QUEUE_ROLES = frozenset({StatusRole.QUEUED, StatusRole.SYNCING})


class QueueState(enum.StrEnum):
    """Where a mailshot is on its way to Spotler."""

    WAITING = "waiting"
    SYNCING = "syncing"
    ARRIVED = "arrived"
    BLOCKED = "blocked"
    FAILED = "failed"
    CANCELLED = "cancelled"
    REMOVED = "removed"  # gone from Workbooks (deleted, or replaced by a shorter copy)
    UNKNOWN = "unknown"  # its Workbooks status is one Sync Monitor cannot place (shown raw)

    @property
    def in_queue(self) -> bool:
        return self in (QueueState.WAITING, QueueState.SYNCING, QueueState.BLOCKED)

    @property
    def label(self) -> str:
        return "Status?" if self is QueueState.UNKNOWN else self.value.capitalize()


@dataclass(frozen=True)
class MailshotFacts:
    """What the remotes say about one mailshot (Workbooks, plus Spotler's campaign if listed)."""

    id: int
    name: str
    status: str  # Workbooks' own value, shown as it is
    mailing_list_id: int | None
    audience: int | None  # entries of its mailing list; None: not read yet
    queued_at: datetime | None  # inferred: the save that set the "Synchronise pressed" value
    deleted: bool = False
    campaign_id: str | None = None  # the Spotler campaign matched to it by name
    arrived_at: datetime | None = None  # when Sync Monitor first saw that campaign
    role: StatusRole = StatusRole.UNKNOWN  # what its status means (see statuses)
    matched_by: str | None = None  # which Spotler read matched it, how, and when
    subject: str | None = None
    remarks: tuple[str, ...] = ()  # what this poll could not tell about it (one line each)


@dataclass(frozen=True)
class Problem:
    """Something a person should know, and whether it stops the queue."""

    code: str
    message: str
    blocking: bool = False


@dataclass(frozen=True)
class QueueItem:
    """One mailshot in the snapshot."""

    facts: MailshotFacts
    state: QueueState
    position: int | None  # 1 = next (or now) to sync; None when not in the queue
    waiting_s: float | None  # time since it was queued, while in the queue
    eta_s: float | None  # inferred seconds until it arrives; None when it cannot be told
    eta_note: str
    problems: tuple[Problem, ...] = ()

    @property
    def id(self) -> int:
        return self.facts.id


@dataclass(frozen=True)
class ReadState:
    """One of a poll's reads: did it work, and which figures rest on it."""

    name: str  # e.g. "Spotler GET /campaign/list"
    backs: str  # the figures it backs, in words
    ok: bool
    message: str = ""  # what went wrong (one line)
    last_ok_at: datetime | None = None


@dataclass(frozen=True)
class IntegrationFacts:
    """The 'Integration running' tick (Tools > Integration > General in GatorMail)."""

    running: bool | None
    source: str  # "read from ..." or "recorded by an admin"
    checked_at: datetime | None = None


@dataclass(frozen=True)
class QueueSnapshot:
    """The whole queue at one moment: every figure from the same poll."""

    items: tuple[QueueItem, ...]
    taken_at: datetime
    key: ApiKeyFacts | None
    integration: IntegrationFacts | None
    queue_problem: Problem | None  # the banner: what stops the whole queue
    throughput: float | None  # records per second, inferred from arrivals
    notes: tuple[Problem, ...] = ()  # one line each: guesses, odd values, reads that failed
    reads: tuple[ReadState, ...] = ()

    @property
    def integration_running(self) -> bool | None:
        return self.integration.running if self.integration is not None else None

    @property
    def in_queue(self) -> list[QueueItem]:
        return [i for i in self.items if i.state.in_queue]

    @property
    def blocked_by(self) -> QueueItem | None:
        return next((i for i in self.items if i.state is QueueState.BLOCKED), None)

    def item(self, mailshot_id: int) -> QueueItem | None:
        return next((i for i in self.items if i.id == mailshot_id), None)


@dataclass
class Throughput:
    """How fast the integration moves mailshots, learnt from the arrivals seen so far.

    Each observation is (audience, seconds from the start of its sync to its arrival). With
    audiences of different sizes a least-squares line gives a fixed cost per mailshot and a rate
    per record; otherwise all time is put down to the records.
    """

    observations: list[tuple[int, float]] = field(default_factory=list)
    keep: int = 50

    def add(self, records: int, seconds: float) -> None:
        if seconds <= 0:
            return
        self.observations.append((max(records, 0), seconds))
        del self.observations[: -self.keep]

    def _fit(self) -> tuple[float, float] | None:
        """(fixed seconds per mailshot, seconds per record), or None without observations."""
        obs = self.observations
        if not obs:
            return None
        n = len(obs)
        mean_x = sum(x for x, _ in obs) / n
        mean_y = sum(y for _, y in obs) / n
        var = sum((x - mean_x) ** 2 for x, _ in obs)
        if n >= 3 and var > 0:
            slope = sum((x - mean_x) * (y - mean_y) for x, y in obs) / var
            fixed = mean_y - slope * mean_x
            if slope > 0 and fixed >= 0:
                return fixed, slope
        total = sum(x for x, _ in obs)
        if total <= 0:
            return mean_y, 0.0
        return 0.0, sum(y for _, y in obs) / total

    def records_per_second(self) -> float | None:
        fit = self._fit()
        if fit is None or fit[1] <= 0:
            return None
        return 1 / fit[1]

    def seconds_for(self, records: int) -> float | None:
        fit = self._fit()
        if fit is None:
            return None
        return fit[0] + fit[1] * max(records, 0)


def queue_order(facts: Iterable[MailshotFacts]) -> list[MailshotFacts]:
    """The mailshots in the queue, in the order the integration takes them (inferred: in the
    order Synchronise was pressed)."""
    queued = [
        f for f in facts if not f.deleted and f.role in IN_QUEUE_ROLES and f.campaign_id is None
    ]
    # One that is already synchronising is at the head whatever its queue time.
    queued.sort(
        key=lambda f: (
            f.role is not StatusRole.SYNCING,
            f.queued_at.timestamp() if f.queued_at else float("inf"),
            f.id,
        )
    )
    return queued


def item_problems(facts: MailshotFacts) -> list[Problem]:
    """The preflight checks on one mailshot, run the moment it enters the queue."""
    problems: list[Problem] = []
    length = name_length(facts.name)
    if not facts.name.strip():
        problems.append(
            Problem(
                "empty_name",
                "The mailshot has no name; GatorMail needs one, so this sync will fail. Give it "
                "a name in Workbooks and synchronise it again.",
            )
        )
    elif length > NAME_LIMIT:
        problems.append(
            Problem(
                "name_too_long",
                f"Its name has {length} characters and GatorMail accepts at most {NAME_LIMIT}: "
                "it will block the queue for every mailshot behind it. Shorten it with Fix name.",
                blocking=True,
            )
        )
    if facts.audience == 0:
        problems.append(
            Problem(
                "empty_audience",
                "Its mailing list has no entries: the campaign will arrive in Spotler with no "
                "contacts. Check the mailing list in Workbooks.",
            )
        )
    if facts.role is StatusRole.FAILED:
        problems.append(
            Problem(
                "sync_failed",
                f"Workbooks says “{facts.status}”: the sync failed. No Workbooks read says why; "
                "open the mailshot in Workbooks, then synchronise it again (Retry).",
            )
        )
    if facts.role is StatusRole.UNKNOWN and not facts.deleted:
        problems.append(Problem("unknown_status", unknown_status_message(facts.status)))
    problems += [Problem("remark", remark) for remark in facts.remarks]
    return problems


def unknown_status_message(status: str, whose: str = "Its") -> str:
    return (
        f"{whose} Workbooks status “{status}” is new to Sync Monitor: shown as it is and not "
        "counted in the queue. Say what it means in Settings > Queue statuses."
    )


def queue_problems(
    key: ApiKeyFacts | None, integration: IntegrationFacts | None, now: datetime
) -> list[Problem]:
    """What stops the whole queue whatever is in it: the API key and the integration switch."""
    problems: list[Problem] = []
    if integration is not None and integration.running is False:
        problems.append(Problem("integration_stopped", INTEGRATION_STOPPED, blocking=True))
    key_problem = key.problem(now) if key is not None else None
    if key_problem:
        problems.append(Problem("api_key", key_problem, blocking=True))
    return problems


def blocking_message(head: MailshotFacts, behind: int) -> str:
    """Head-of-line blocking in words a person can act on."""
    who = (
        "No other mailshot is waiting"
        if behind == 0
        else f"{behind} mailshot{'s are' if behind != 1 else ' is'} waiting"
    )
    return (
        f'{who} behind "{_short(head.name)}": its name has {name_length(head.name)} characters '
        f"and GatorMail accepts at most {NAME_LIMIT}. Shorten the name with Fix name: Sync "
        "Monitor makes a copy with the shorter name and deletes the original in Workbooks, and "
        "the queue moves on."
    )


def _short(name: str, limit: int = 60) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


def build_snapshot(
    facts: Sequence[MailshotFacts],
    *,
    now: datetime,
    key: ApiKeyFacts | None,
    integration: IntegrationFacts | None,
    throughput: Throughput,
    syncing_since: Mapping[int, datetime],
    previous: Mapping[int, QueueState],
    syncing_known: bool = True,
    notes: Sequence[Problem] = (),
    reads: Sequence[ReadState] = (),
    watching_since: datetime | None = None,
) -> QueueSnapshot:
    """Every known mailshot with its state, position, ETA and problems.

    `syncing_since` says when each mailshot was first seen synchronising (for the time left of
    the head); `previous` holds the states last recorded, so a mailshot taken out of the queue
    reads as cancelled and one that vanished as removed, instead of disappearing.
    `syncing_known` is False when no status value means "the integration is working on it":
    then the head of the queue is taken to be syncing (inferred). While something stops the
    whole queue, no row says Syncing: the banner and the rows tell one story. `watching_since`
    (when Sync Monitor started looking) bounds how long the head can be said to have waited.
    """
    stopped = queue_problems(key, integration, now)
    ordered = queue_order(facts)
    head = ordered[0] if ordered else None
    head_blocked = head is not None and name_length(head.name) > NAME_LIMIT
    items: dict[int, QueueItem] = {}
    clock = 0.0  # inferred seconds until the item being looked at starts syncing
    eta_known = not stopped and not head_blocked
    for position, f in enumerate(ordered, start=1):
        waiting = (now - f.queued_at).total_seconds() if f.queued_at else None
        problems = item_problems(f)
        if position == 1 and head_blocked:
            state = QueueState.BLOCKED
            # The blocking message says all the name-length warning says, and what it causes.
            problems = [p for p in problems if p.code != "name_too_long"]
            problems.insert(
                0, Problem("blocking_queue", blocking_message(f, len(ordered) - 1), True)
            )
        elif position == 1 and not stopped and (f.role is StatusRole.SYNCING or not syncing_known):
            state = QueueState.SYNCING
        else:
            state = QueueState.WAITING
        eta, note = None, ""
        if head_blocked and position > 1:
            note = f'Held up behind "{_short(head.name if head else "", 40)}"'
        elif stopped:
            note = "Nothing moves until the problem above is solved"
            if f.role is StatusRole.SYNCING:
                note = f"Workbooks says “{f.status}”, but " + note[0].lower() + note[1:]
        elif head_blocked:
            note = "Cannot pass until its name is shortened"
        else:
            needed = throughput.seconds_for(f.audience or 0) if f.audience is not None else None
            if needed is None or not eta_known:
                eta_known = False
                note = "Not known yet: no arrival measured" if needed is None else ""
                if f.audience is None:
                    note = "Not known yet: audience not read"
            else:
                if state is QueueState.SYNCING and f.id in syncing_since:
                    done = (now - syncing_since[f.id]).total_seconds()
                    needed = max(needed - done, 0.0)
                clock += needed
                eta, note = clock, "Inferred from the throughput so far"
        items[f.id] = QueueItem(f, state, position, waiting, eta, note, tuple(problems))
    for f in facts:
        if f.id in items:
            continue
        outside = _outside_state(f, previous.get(f.id))
        if outside is None:
            continue
        items[f.id] = QueueItem(f, outside, None, None, None, "", tuple(item_problems(f)))
    queue_problem = stopped[0] if stopped else None
    if queue_problem is None and head_blocked and head is not None:
        queue_problem = Problem("blocked", blocking_message(head, len(ordered) - 1), True)
    if queue_problem is None and head is not None:
        since = syncing_since.get(head.id) or _head_since(head, facts, watching_since)
        queue_problem = _stalled(head, len(ordered) - 1, now, throughput, since)
    in_queue = [items[f.id] for f in ordered]
    rest = sorted(
        (i for i in items.values() if not i.state.in_queue),
        key=lambda i: _recent_first(i.facts.arrived_at or i.facts.queued_at),
    )
    return QueueSnapshot(
        tuple(in_queue + rest),
        now,
        key,
        integration,
        queue_problem,
        throughput.records_per_second(),
        tuple(notes),
        tuple(reads),
    )


def _recent_first(moment: datetime | None) -> tuple[bool, float]:
    """Newest first; those with no known time (history read from Workbooks) last."""
    return (moment is None, -moment.timestamp() if moment is not None else 0.0)


def _head_since(
    head: MailshotFacts, facts: Sequence[MailshotFacts], watching_since: datetime | None
) -> datetime | None:
    """Since when the head has been first in line: its queue time, the last arrival after it,
    or when Sync Monitor started watching (it cannot say it was stuck before it looked)."""
    arrivals = [f.arrived_at for f in facts if f.arrived_at is not None]
    starts = [
        t for t in (head.queued_at, max(arrivals, default=None), watching_since) if t is not None
    ]
    return max(starts) if starts else None


STALLED_AFTER_S = 600
STALLED_FACTOR = 5


def _stalled(
    head: MailshotFacts,
    behind: int,
    now: datetime,
    throughput: Throughput,
    started: datetime | None,
) -> Problem | None:
    """The head has been first in line far longer than its audience explains: the queue looks
    stuck for a reason Sync Monitor cannot see. No API reads the API key or the integration
    switch, so this is how their trouble shows: an inference, and said to be one."""
    if started is None:
        return None
    elapsed = (now - started).total_seconds()
    expected = throughput.seconds_for(head.audience or 0) if head.audience is not None else None
    limit = max(STALLED_AFTER_S, STALLED_FACTOR * expected) if expected else STALLED_AFTER_S * 3
    if elapsed <= limit:
        return None
    minutes = int(elapsed // 60)
    waiting = (
        f"; {behind} mailshot{'s wait' if behind != 1 else ' waits'} behind it" if behind else ""
    )
    return Problem(
        "stalled",
        f"Inferred: the integration has probably stopped. “{_short(head.name)}” has been first "
        f"in line for {minutes} min, far longer than its audience explains{waiting}. Neither the "
        "API key nor 'Integration running' can be read through any API: check that the GatorMail "
        f"API key is enabled and within its Valid From/Until dates (Workbooks: {KEY_PLACE}) and "
        f"that 'Integration running' has a green check (GatorMail: {INTEGRATION_PLACE}); if both "
        "are fine, contact support@workbooks.com.",
        blocking=True,
    )


def _outside_state(f: MailshotFacts, before: QueueState | None) -> QueueState | None:
    """The state of a mailshot that is not in the queue; None when it never was."""
    if f.deleted:
        return QueueState.REMOVED if before is not None else None
    if f.campaign_id is not None or f.role is StatusRole.SYNCED:
        return QueueState.ARRIVED
    if f.role is StatusRole.FAILED:
        return QueueState.FAILED
    if f.role is StatusRole.UNKNOWN:
        return QueueState.UNKNOWN
    if before is not None and before is not QueueState.ARRIVED:
        # Taken out of the queue (status set back, e.g. to Draft) after we saw it queued.
        return QueueState.CANCELLED if before.in_queue or before is QueueState.CANCELLED else before
    return None
