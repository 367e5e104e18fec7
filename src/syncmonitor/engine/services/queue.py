"""The mailshot queue: its live monitor (poll, read one mailshot again) and the actions on a
mailshot (fix its name, cancel it, queue it again), plus one mailshot's timeline."""

from __future__ import annotations

import asyncio
from typing import Any

from syncmonitor.engine.mailshots.actions import ActionOutcome, cancel, fix_name, retry
from syncmonitor.engine.mailshots.monitor import PollResult, QueueMonitor, QueueNotConfiguredError
from syncmonitor.engine.mailshots.report import read_queue_once, snapshot_json
from syncmonitor.engine.runs.notices import NoticeSink
from syncmonitor.engine.services.reads import timed_read
from syncmonitor.engine.team.asking import Done, ask, watching
from syncmonitor.store.database import Database
from syncmonitor.store.mailshots import TimelineEvent, timeline

__all__ = ["ActionOutcome", "PollResult", "QueueMonitor", "QueueService", "TimelineEvent"]


def _outcome(done: Done) -> ActionOutcome:
    copy = done.answer.get("copy_id")
    return ActionOutcome(done.words, None, int(copy) if isinstance(copy, int) else None)


class QueueService:
    """`sync` is the running SyncService (its remotes and settings), None in a fake."""

    def __init__(self, database: Database, sync: Any = None) -> None:
        self.database = database
        self._sync = sync

    def open_monitor(self, notices: NoticeSink | None) -> QueueMonitor | None:
        """The live queue (one per app), or None when no remotes are known at all.

        Raises QueueNotConfiguredError (a UserFacingError) when Workbooks or Spotler is not set up.
        """
        if watching(self._sync) is not None:  # no secrets here: the team server reads it
            raise QueueNotConfiguredError(
                "This desktop watches a team store: the mailshot queue is read by the Sync "
                "Monitor server, with its Workbooks and Spotler keys, and this page cannot show "
                "the server's reading of it yet.",
                "Run `syncmonitor queue` on the server to see it (docs/team-mode.md).",
            )
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

    # On a watching desktop of a team store (no monitor of its own, no secrets) each action is a
    # request the server carries out (engine/team/asking.py, engine/team/actions.py).

    async def fix_name(
        self, monitor: QueueMonitor | None, mailshot_id: int, new_name: str
    ) -> ActionOutcome:
        if (desktop := watching(self._sync)) is not None:
            payload = {"mailshot": mailshot_id, "name": new_name}
            return _outcome(await ask(desktop, "queue_fix_name", payload, doing="Fix name"))
        assert monitor is not None, "a desktop that acts itself has a queue monitor"
        return await fix_name(monitor, mailshot_id, new_name)

    async def retry(self, monitor: QueueMonitor | None, mailshot_id: int) -> ActionOutcome:
        if (desktop := watching(self._sync)) is not None:
            done = await ask(desktop, "queue_retry", {"mailshot": mailshot_id}, doing="Retry")
            return _outcome(done)
        assert monitor is not None, "a desktop that acts itself has a queue monitor"
        return await retry(monitor, mailshot_id)

    async def cancel(self, monitor: QueueMonitor | None, mailshot_id: int) -> ActionOutcome:
        if (desktop := watching(self._sync)) is not None:
            done = await ask(desktop, "queue_cancel", {"mailshot": mailshot_id}, doing="Cancel")
            return _outcome(done)
        assert monitor is not None, "a desktop that acts itself has a queue monitor"
        return await cancel(monitor, mailshot_id)

    def timeline(self, mailshot_id: int) -> list[TimelineEvent]:
        """What happened to one mailshot, oldest first."""
        with timed_read(self.database.engine, "a mailshot's timeline") as conn:
            return timeline(conn, mailshot_id)

    async def timeline_async(self, mailshot_id: int) -> list[TimelineEvent]:
        return await asyncio.to_thread(self.timeline, mailshot_id)
