"""What the engine tells its clients (GUI, CLI) while and after it works. No Qt here: the GUI turns
these plain objects into signals."""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from syncmonitor.engine.runs.report import JobReport

from syncmonitor.domain.durations import duration_text


class RunOutcome(enum.StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    PARTLY_FAILED = "partly_failed"  # some jobs failed, the others ran
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


@dataclass(frozen=True, slots=True)
class SyncProgress:
    """A progress report: which step, how far, in words a person reads."""

    phase: str  # "outreach", "workbooks-read", "workbooks-push"
    message: str
    done: int = 0
    total: int | None = None  # None: unknown, show a busy indicator


ProgressCallback = Callable[[SyncProgress], None]

# The steps that write to a remote (Workbooks people, Outreach records, mapped fields). A cancel
# there stops after the batch in flight, so the remote keeps part of the run's writes: the window
# asks before cancelling one of these.
WRITE_BACK_PHASES = ("workbooks-push", "mappings")


def writes_back(phase: str) -> bool:
    """Whether a progress step writes to Workbooks or Outreach (rather than reads)."""
    return phase in WRITE_BACK_PHASES or phase.startswith("outbound-")


@dataclass(frozen=True, slots=True)
class RunResult:
    """How a run ended."""

    run_id: int
    outcome: RunOutcome
    started_at: str
    finished_at: str
    duration_s: float
    records_read: dict[str, int] = field(default_factory=dict)
    records_written: dict[str, int] = field(default_factory=dict)
    error_title: str | None = None
    error_message: str | None = None
    # What kind of failure: "offline" (no answer from the remote), "auth" (credentials refused),
    # "permission" (accepted but not allowed), "unavailable" (the remote said it is down for a
    # while), "rate-limited", "server", "malformed", "cache" (the local cache is damaged,
    # read-only or on a full disk), or None. The scheduler shows offline
    # differently and backs off either way.
    error_kind: str | None = None
    jobs: tuple[JobReport, ...] = ()  # every job's report, in the order they ran

    @property
    def ok(self) -> bool:
        return self.outcome is RunOutcome.SUCCEEDED

    @property
    def summary(self) -> str:
        """One line for a status bar or a terminal."""
        if self.outcome is RunOutcome.SUCCEEDED:
            new = self.records_written.get("transitions", 0)
            pushed = self.records_written.get("workbooks_people", 0)
            return (
                f"Synced in {duration_text(self.duration_s)}: {new} new transitions, "
                f"{pushed} Workbooks people updated."
            )
        if self.outcome is RunOutcome.CANCELLED:
            return "Sync cancelled; everything read before the cancel is kept."
        if self.outcome is RunOutcome.PARTLY_FAILED:
            return f"Sync partly failed: {self.error_title}. {self.error_message}"
        return f"Sync failed: {self.error_title}. {self.error_message}"


class CancelToken:
    """Set by a client to stop a run at the next safe point (between pages)."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()


class SyncCancelled(Exception):
    """Raised inside a run when its CancelToken is set."""
