"""The mailshot queue: its live monitor (poll, read one mailshot again) and the actions on a
mailshot (fix its name, cancel it, queue it again), plus one mailshot's timeline."""

from __future__ import annotations

import asyncio
from typing import Any

from syncmonitor.engine.mailshots.actions import ActionOutcome, cancel, fix_name, retry
from syncmonitor.engine.mailshots.monitor import PollResult, QueueMonitor
from syncmonitor.engine.mailshots.report import read_queue_once, snapshot_json
from syncmonitor.engine.runs.notices import NoticeSink
from syncmonitor.engine.services.reads import timed_read
from syncmonitor.store.database import Database
from syncmonitor.store.mailshots import TimelineEvent, timeline

__all__ = ["ActionOutcome", "PollResult", "QueueMonitor", "QueueService", "TimelineEvent"]


class QueueService:
    """`sync` is the running SyncService (its remotes and settings), None in a fake."""

    def __init__(self, database: Database, sync: Any = None) -> None:
        self.database = database
        self._sync = sync

    def open_monitor(self, notices: NoticeSink | None) -> QueueMonitor | None:
        """The live queue (one per app), or None when no remotes are known at all.

        Raises QueueNotConfiguredError (a UserFacingError) when Workbooks or Spotler is not set up.
        """
        remotes = getattr(self._sync, "remotes", None)
        if remotes is None:
            return None
        config = getattr(self._sync, "config", None)
        return QueueMonitor(
            self.database,
            remotes,
            settings=getattr(config, "mailshots", None),
            sink=notices,  # through the notification policy: switches, snooze, de-dup
        )

    def read_once(self) -> PollResult:
        """One read of the queue with its own event loop (the command line)."""
        config = getattr(self._sync, "config", None)
        return read_queue_once(
            self.database, self._sync.remotes, getattr(config, "mailshots", None)
        )

    @staticmethod
    def as_json(result: PollResult) -> dict[str, Any]:
        """The queue as `syncmonitor queue --json` prints it."""
        return snapshot_json(result.snapshot)

    @staticmethod
    async def fix_name(monitor: QueueMonitor, mailshot_id: int, new_name: str) -> ActionOutcome:
        return await fix_name(monitor, mailshot_id, new_name)

    @staticmethod
    async def retry(monitor: QueueMonitor, mailshot_id: int) -> ActionOutcome:
        return await retry(monitor, mailshot_id)

    @staticmethod
    async def cancel(monitor: QueueMonitor, mailshot_id: int) -> ActionOutcome:
        return await cancel(monitor, mailshot_id)

    def timeline(self, mailshot_id: int) -> list[TimelineEvent]:
        """What happened to one mailshot, oldest first."""
        with timed_read(self.database.engine, "a mailshot's timeline") as conn:
            return timeline(conn, mailshot_id)

    async def timeline_async(self, mailshot_id: int) -> list[TimelineEvent]:
        return await asyncio.to_thread(self.timeline, mailshot_id)
