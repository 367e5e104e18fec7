"""The runs read back: the Runs page, `syncmonitor runs` and `status`, a run's conflicts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from syncmonitor.engine.runs.events import RunResult
from syncmonitor.engine.runs.kinds import SyncKind
from syncmonitor.engine.services.reads import timed_read
from syncmonitor.store.database import Database
from syncmonitor.store.runs import cache_counts, recent_runs, runs_window
from syncmonitor.store.two_way import Conflict, conflicts_of_run, count_conflicts_of_run

__all__ = ["Conflict", "RunConflicts", "RunsService"]


class _LastRuns(Protocol):
    def last_run(self) -> RunResult | None: ...

    def last_finished_by_kind(self) -> dict[SyncKind, datetime | None]: ...


@dataclass(frozen=True)
class RunConflicts:
    """The conflicts one run settled: how many, and the first `limit` of them."""

    total: int
    shown: list[Conflict]


class RunsService:
    """Reads of the run records (blocking, except the `async` ones)."""

    def __init__(self, database: Database, sync: _LastRuns | None = None) -> None:
        self.database = database
        self._sync = sync

    def window(self, before_id: int | None, limit: int) -> list[dict[str, Any]]:
        """Runs newest first, `limit` at a time behind `before_id` (keyset paging)."""
        with timed_read(self.database.engine, "the runs") as conn:
            return runs_window(conn, before_id=before_id, limit=limit)

    def recent(self, limit: int = 50) -> list[dict[str, Any]]:
        """The newest `limit` runs, newest first."""
        with timed_read(self.database.engine, "the recent runs") as conn:
            return recent_runs(conn, max(1, limit))

    def counts(self) -> dict[str, int]:
        """People, transitions and pending Workbooks updates in the cache."""
        with timed_read(self.database.engine, "the cache's counts") as conn:
            return cache_counts(conn)

    def conflicts(self, run_id: int, limit: int) -> RunConflicts:
        with timed_read(self.database.engine, "a run's conflicts") as conn:
            total = count_conflicts_of_run(conn, run_id)
            shown = conflicts_of_run(conn, run_id, limit=limit)
        return RunConflicts(total, shown)

    def last_run(self) -> RunResult | None:
        return self._sync.last_run() if self._sync is not None else None

    def last_finished_by_kind(self) -> dict[SyncKind, datetime | None]:
        """When each kind of sync last ended (what the scheduler starts from)."""
        return self._sync.last_finished_by_kind() if self._sync is not None else {}
