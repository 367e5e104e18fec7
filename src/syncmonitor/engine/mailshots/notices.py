"""What the mailshot queue tells a person, and when: once per piece of news, never per poll.

- `mailshot.arrived` (INFO): a mailshot seen in the queue arrived in Spotler.
- `queue.blocked` (ERROR): the queue stopped moving (a blocking mailshot or the API key); told
  once per blocking episode, again only after it cleared and something blocked it anew.
- `integration.stopped` (ERROR): the integration is not running (once per episode).
- `apikey.expiring` (ISSUE): the GatorMail API key expires within 7 days (once per Until date).
- `queue.recovered` (INFO): what was told as blocked or stopped works again ("The GatorMail queue
  moves again", "The GatorMail API key is valid again", "The GatorMail integration runs again"),
  told once per episode, in the log at INFO too. The log also holds each episode's start.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from syncmonitor.domain.mailshots.queue import QueueSnapshot, QueueState
from syncmonitor.domain.timestamps import human_time
from syncmonitor.engine.runs.notices import Notice, NoticeLevel, NoticeSink
from syncmonitor.engine.runs.notify_policy import EventType, register_event_type

log = logging.getLogger(__name__)
EXPIRY_WARNING_DAYS = 7

# The queue's event types, so Settings > Notifications lists them with their own switches.
MAILSHOT_ARRIVED = register_event_type(
    EventType("mailshot.arrived", "A mailshot arrived in Spotler", NoticeLevel.INFO)
)
QUEUE_BLOCKED = register_event_type(
    EventType("queue.blocked", "The mailshot queue is blocked", NoticeLevel.ERROR)
)
INTEGRATION_STOPPED = register_event_type(
    EventType("integration.stopped", "The GatorMail integration stopped", NoticeLevel.ERROR)
)
APIKEY_EXPIRING = register_event_type(
    EventType("apikey.expiring", "The GatorMail API key expires soon", NoticeLevel.ISSUE)
)
QUEUE_RECOVERED = register_event_type(
    EventType(
        "queue.recovered",
        "The mailshot queue moves again (after it was blocked or stopped)",
        NoticeLevel.INFO,
    )
)

QUEUE_EVENTS = frozenset(  # the daemon prints these on stderr too
    e.event
    for e in (
        MAILSHOT_ARRIVED,
        QUEUE_BLOCKED,
        INTEGRATION_STOPPED,
        APIKEY_EXPIRING,
        QUEUE_RECOVERED,
    )
)


@dataclass(frozen=True)
class StateChange:
    """A mailshot's state moved (before is None the first time it is seen)."""

    mailshot_id: int
    name: str
    before: QueueState | None
    after: QueueState
    detail: str


class QueueNotices:
    """Turns snapshots and changes into notices, remembering what was already told."""

    def __init__(self, sink: NoticeSink | None) -> None:
        self.sink = sink
        self._blocked_episode: str | None = None
        self._stopped = False
        self._expiry_told: str | None = None

    def after_poll(self, snapshot: QueueSnapshot, changes: Sequence[StateChange]) -> None:
        if self.sink is None:
            return
        for change in changes:
            arrived = change.after is QueueState.ARRIVED
            if arrived and change.before is not None and change.before.in_queue:
                self.sink.post(
                    Notice(
                        "mailshot.arrived",
                        NoticeLevel.INFO,
                        "Mailshot arrived in Spotler",
                        f'"{change.name}" arrived in Spotler as an integrated campaign.',
                        key=str(change.mailshot_id),
                    )
                )
        self._blocked(snapshot)
        self._integration(snapshot)
        self._expiry(snapshot)

    def _blocked(self, snapshot: QueueSnapshot) -> None:
        assert self.sink is not None
        problem = snapshot.queue_problem
        if problem is None or problem.code == "integration_stopped":
            self._unblocked(snapshot)
            return
        head = snapshot.blocked_by
        episode = f"{problem.code}:{head.id if head else ''}"
        if episode == self._blocked_episode:
            return
        if self._blocked_episode is not None:
            self._unblocked(snapshot)  # one cause ended, another began (key fixed, name too long)
        self._blocked_episode = episode
        log.warning("The GatorMail queue is blocked: %s", problem.message)
        self.sink.post(
            Notice(
                "queue.blocked",
                NoticeLevel.ERROR,
                "The GatorMail queue is blocked",
                problem.message,
                key=episode,
                logged=True,
            )
        )

    def _unblocked(self, snapshot: QueueSnapshot) -> None:
        """The episode told as blocked is over: say so once."""
        assert self.sink is not None
        episode, self._blocked_episode = self._blocked_episode, None
        if episode is None:
            return
        if episode.startswith("api_key:"):
            title = "The GatorMail API key is valid again"
            message = "Workbooks accepts the key GatorMail uses again, so mailshots sync again."
        else:
            title = "The GatorMail queue moves again"
            message = "The mailshot that blocked the queue is gone from its head."
        waiting = len(snapshot.in_queue)
        if waiting:
            message += f" {waiting} mailshot{'s are' if waiting != 1 else ' is'} in the queue."
        log.info("%s. %s", title, message)
        self.sink.forget("queue.blocked", episode)  # the same block again later is news
        self.sink.post(
            Notice("queue.recovered", NoticeLevel.INFO, title, message, key=episode, logged=True)
        )
        self.sink.forget("queue.recovered", episode)

    def _integration(self, snapshot: QueueSnapshot) -> None:
        assert self.sink is not None
        stopped = snapshot.integration_running is False
        if not stopped and self._stopped and snapshot.integration_running is True:
            log.info("The GatorMail integration runs again: mailshots sync again.")
            self.sink.forget("integration.stopped", "integration")
            self.sink.post(
                Notice(
                    "queue.recovered",
                    NoticeLevel.INFO,
                    "The GatorMail integration runs again",
                    "The integration is switched on again, so mailshots sync again.",
                    key="integration",
                    logged=True,
                )
            )
            self.sink.forget("queue.recovered", "integration")
        if stopped and not self._stopped:
            problem = snapshot.queue_problem
            log.warning("The GatorMail integration is not running.")
            self.sink.post(
                Notice(
                    "integration.stopped",
                    NoticeLevel.ERROR,
                    "The GatorMail integration stopped",
                    problem.message if problem else "The GatorMail integration is not running.",
                    key="integration",
                    logged=True,
                )
            )
        if snapshot.integration_running is not None:
            self._stopped = stopped  # an unread switch (None) is not news either way

    def _expiry(self, snapshot: QueueSnapshot) -> None:
        assert self.sink is not None
        key = snapshot.key
        if key is None or key.valid_until is None:
            return
        days = key.days_left(snapshot.taken_at)
        if days is None or not 0 < days <= EXPIRY_WARNING_DAYS:
            return
        told = key.valid_until.isoformat()
        if told == self._expiry_told:
            return
        self._expiry_told = told
        when = human_time(key.valid_until, zone=True, year=True)
        self.sink.post(
            Notice(
                "apikey.expiring",
                NoticeLevel.ISSUE,
                "The GatorMail API key expires soon",
                f'The Workbooks API key "{key.name}" that GatorMail uses expires on {when} '
                f"(in {days:.0f} day{'s' if round(days) != 1 else ''}); after that no mailshot "
                "will sync. A System Admin can move its 'Until' date in Start > Configuration > "
                "Automation > API Keys.",
                key=told,
            )
        )
