"""The notification policy: which notices reach the desktop, how often, and in what shape. No Qt.

A `NotificationPolicy` is the app's `NoticeSink`. It applies, in order:

1. errors always pass (a person must hear that syncing stopped); the lower levels pass only if
   their event type is switched on and notifications are not snoozed;
2. de-duplication: a notice with the same event and key as one told within the window is the same
   news and is dropped (one "Outreach refused the token" per failure streak, not one per run);
3. batching: between `begin_batch()` and `end_batch()` (one run) the ISSUE and INFO notices of an
   event are held and told as one summary ("12 people opted out in the last run").

Event types live in a registry other modules add to (the mailshot queue registers its own), so
Settings can list a toggle for each with its label and default.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from syncmonitor.domain.timestamps import utc_now
from syncmonitor.engine.runs.notices import Notice, NoticeLevel

DEDUP_WINDOW = timedelta(hours=24)
SNOOZE_CHOICES = (timedelta(minutes=30), timedelta(hours=1), timedelta(hours=8))


@dataclass(frozen=True)
class EventType:
    """A kind of notice a person can switch on or off in Settings."""

    event: str
    label: str  # "A person opted out" (Settings' toggle)
    level: NoticeLevel
    summary: str = ""  # batched text with {count}: "{count} people opted out in the last run"
    enabled_by_default: bool = True
    batch_title: str = ""  # the batched notification's title ("People opted out")


EVENT_TYPES: dict[str, EventType] = {}


def register_event_type(event_type: EventType) -> EventType:
    """Add (or replace) an event type; returns it so a module can keep a handle."""
    EVENT_TYPES[event_type.event] = event_type
    return event_type


SYNC_FAILED = register_event_type(EventType("sync.failed", "A sync failed", NoticeLevel.ERROR))
SYNC_RECOVERED = register_event_type(
    EventType(
        "sync.recovered",
        "Syncing works again after a failure",
        NoticeLevel.INFO,
        "{count} problems are over: the parts they stopped sync again. The log names each.",
        batch_title="Syncing works again",
    )
)
PEOPLE_OPTED_OUT = register_event_type(
    EventType(
        "people.opted_out",
        "A person opted out",
        NoticeLevel.ISSUE,
        "{count} people opted out in the last run.",
        batch_title="People opted out",
    )
)
RECORD_ISSUES = register_event_type(
    EventType(
        "sync.record_issues",
        "Records that could not be synced",
        NoticeLevel.ISSUE,
        "{count} records could not be synced in the last run. The Issues page says why.",
        batch_title="Some records did not sync",
    )
)
CONFIG_BROKEN = register_event_type(
    EventType("config.broken", "The settings file has a problem", NoticeLevel.ERROR)
)
STILL_RUNNING = register_event_type(
    EventType("app.still_running", "Sync Monitor keeps running in the tray", NoticeLevel.INFO)
)


class NotificationPolicy:
    """A NoticeSink that filters, de-duplicates and batches before `deliver`."""

    def __init__(
        self,
        deliver: Callable[[Notice], None],
        *,
        choices: dict[str, bool] | None = None,
        clock: Callable[[], datetime] = utc_now,
        dedup_window: timedelta = DEDUP_WINDOW,
    ) -> None:
        self.deliver = deliver
        # The person's toggles; an event type not in here follows its default.
        self.choices: dict[str, bool] = dict(choices or {})
        self.clock = clock
        self.dedup_window = dedup_window
        self.snoozed_until: datetime | None = None
        self.suppressed = 0  # low-level notices dropped while snoozed (shown in the tray menu)
        self._told: dict[tuple[str, str], datetime] = {}
        self._batch: dict[str, list[Notice]] | None = None

    # Settings -----------------------------------------------------------------------------------

    def is_enabled(self, event: str) -> bool:
        kind = EVENT_TYPES.get(event)
        if kind is not None and kind.level is NoticeLevel.ERROR:
            return True  # errors cannot be switched off
        if event in self.choices:
            return self.choices[event]
        return kind.enabled_by_default if kind is not None else True

    def set_enabled(self, event: str, enabled: bool) -> None:
        self.choices[event] = enabled

    def snooze(self, duration: timedelta) -> datetime:
        """Hold back ISSUE and INFO notices for `duration` (errors still come through)."""
        self.snoozed_until = self.clock() + duration
        self.suppressed = 0
        return self.snoozed_until

    def unsnooze(self) -> None:
        self.snoozed_until = None

    @property
    def snoozed(self) -> bool:
        return self.snoozed_until is not None and self.clock() < self.snoozed_until

    def forget(self, event: str, key: str = "") -> None:
        """Re-arm an event (one occurrence `key`, or all when ""): its next notice is news
        again (a failure after a recovery)."""
        for told in [k for k in self._told if k[0] == event and (not key or k[1] == key)]:
            del self._told[told]

    # Posting ------------------------------------------------------------------------------------

    def post(self, notice: Notice) -> None:
        if notice.level is not NoticeLevel.ERROR:
            if not self.is_enabled(notice.event):
                return
            if self.snoozed:
                self.suppressed += notice.count
                return
        if notice.key and self._seen(notice):
            return
        if self._batch is not None and notice.level is not NoticeLevel.ERROR:
            self._batch.setdefault(notice.event, []).append(notice)
            return
        self.deliver(notice)

    def _seen(self, notice: Notice) -> bool:
        now = self.clock()
        told = self._told.get((notice.event, notice.key))
        if told is not None and now - told < self.dedup_window:
            return True
        self._told[(notice.event, notice.key)] = now
        if len(self._told) > 10_000:  # a long-running app must not grow without bound
            cutoff = now - self.dedup_window
            self._told = {k: v for k, v in self._told.items() if v >= cutoff}
        return False

    def begin_batch(self) -> None:
        """A run starts: hold its ISSUE and INFO notices for one summary per event."""
        if self._batch is None:
            self._batch = {}

    def end_batch(self) -> None:
        """A run ended: tell each held event once."""
        batch, self._batch = self._batch, None
        for event, notices in (batch or {}).items():
            if len(notices) == 1:
                self.deliver(notices[0])
                continue
            count = sum(n.count for n in notices)
            kind = EVENT_TYPES.get(event)
            first = notices[0]
            summary = (
                kind.summary.format(count=count)
                if kind is not None and kind.summary
                else f"{count} × {first.title}"
            )
            self.deliver(
                Notice(
                    event,
                    first.level,
                    (kind.batch_title or kind.label) if kind is not None else first.title,
                    summary,
                    count=count,
                )
            )
