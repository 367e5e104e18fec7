"""What the scheduler runs and reports: targets, requests, triggers, clocks, callbacks. No Qt.

A target is what a run is for: every record (the full sync, or the inbound one), or one record of
a registered type ("person" here; the mailshot queue registers "mailshot"). Kept apart from the
scheduler's rules so that runners and the GUI can name these without pulling the scheduler in.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from syncmonitor.domain.timestamps import utc_now
from syncmonitor.engine.runs.events import CancelToken, ProgressCallback, RunResult, SyncProgress
from syncmonitor.engine.runs.kinds import SyncKind


class Clock(Protocol):
    """Wall time (UTC) and a monotonic clock; tests pass a fake they move by hand."""

    def now(self) -> datetime: ...

    def monotonic(self) -> float: ...


class SystemClock:
    """The real clocks."""

    def now(self) -> datetime:
        return utc_now()

    def monotonic(self) -> float:
        return time.monotonic()


class Trigger(enum.StrEnum):
    """Why a run started (shown on the Runs page)."""

    SCHEDULED = "scheduled"
    FORCED = "forced"
    CATCH_UP = "catch-up"


# The target types. A sync of every record has a kind: the full sync (`SyncKind.FULL`, `full`
# on the command line) or the inbound one; a person's sync is always a full one.
ALL_RECORDS = "all"
PERSON = "person"


@dataclass(frozen=True)
class Target:
    """What a run is for: every record (the full sync, or the inbound one), or one record of a
    registered type."""

    type: str = ALL_RECORDS  # "all", "person", "mailshot", … (see Scheduler.register)
    key: str = ""  # the record's id; "" for every record
    kind: SyncKind = SyncKind.FULL
    label: str = ""  # how to name it to a person ("Ada Lovelace")

    @classmethod
    def sync_of(cls, kind: SyncKind = SyncKind.FULL) -> Target:
        """The sync of every record: the full sync unless `kind` says inbound."""
        return cls(ALL_RECORDS, "", kind)

    @classmethod
    def person(cls, prospect_id: int, label: str = "") -> Target:
        return cls(PERSON, str(prospect_id), SyncKind.FULL, label)

    def describe(self) -> str:
        if self.type == ALL_RECORDS:
            return f"{self.kind.label.lower()} sync"
        return f"sync of {self.label or f'{self.type} {self.key}'}"

    def same_work(self, other: Target) -> bool:
        return (self.type, self.key, self.kind) == (other.type, other.key, other.kind)


@dataclass(frozen=True)
class RunRequest:
    """A run the scheduler decided to make."""

    target: Target
    trigger: Trigger


Runner = Callable[[RunRequest, ProgressCallback, CancelToken], Awaitable[RunResult]]


class ForceOutcome(enum.Enum):
    STARTED = "started"
    QUEUED = "queued"  # after the running one
    ALREADY_QUEUED = "already queued"  # coalesced into the queued one


class State(enum.Enum):
    """What the scheduler is doing, in the words the tray and status bar use."""

    IDLE = "idle"
    RUNNING = "syncing"
    PAUSED = "paused"
    WAITING = "waiting"  # after a wake or at start: the short delay for the network
    BACKING_OFF = "backing off"  # after failures


@dataclass
class Listener:
    """Plain callbacks the GUI turns into Qt signals (all optional)."""

    changed: Callable[[], None] = lambda: None
    started: Callable[[RunRequest], None] = lambda _r: None
    finished: Callable[[RunRequest, RunResult], None] = lambda _r, _x: None
    progress: Callable[[SyncProgress], None] = lambda _p: None
