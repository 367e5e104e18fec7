"""What the engine wants a person to hear about, without knowing how it reaches them.

Every job (scheduled syncs, the mailshot queue, imports) posts `Notice`s to a `NoticeSink`. The
app's notification policy (levels, a toggle per event type, de-duplication, batching, snooze) is a
sink that forwards what survives to a desktop notifier; the tests record what is posted
(tests/recording_sink.py).

`event` is a stable machine name for the kind of event (for example "sync.failed" or
"mailshot.arrived"): the settings' per-event toggles and the batching key use it. `key` says which
occurrence this is (for example a mailshot id): two notices with the same event and key are the
same news and are told once.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol


class NoticeLevel(enum.Enum):
    """How much a notice matters. Errors are always shown; the lower levels can be snoozed."""

    ERROR = "error"  # a sync or job cannot run: credentials, remote down, queue blocked
    ISSUE = "issue"  # a record did not sync, a person opted out: something to review
    INFO = "info"  # good news or background facts: a mailshot arrived


@dataclass(frozen=True)
class Notice:
    """One thing to tell the person."""

    event: str
    level: NoticeLevel
    title: str
    message: str
    key: str = ""
    count: int = 1  # how many occurrences this notice stands for (batched notices)
    # The engine wrote this news to the log itself (a recovery, a blocked queue): whoever
    # delivers the notice logs the delivery at debug only, so the log tells it once.
    logged: bool = False


class NoticeSink(Protocol):
    """Where the engine posts notices.

    A run brackets what it posts with `begin_batch()` and `end_batch()` (the policy may tell a
    batch as one summary); `forget(event, key)` makes the next notice of `event` with `key` (of
    every key when "") news again (after a failure streak ends, say).
    """

    def post(self, notice: Notice) -> None: ...

    def begin_batch(self) -> None: ...

    def end_batch(self) -> None: ...

    def forget(self, event: str, key: str = "") -> None: ...
