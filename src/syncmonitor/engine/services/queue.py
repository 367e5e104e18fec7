"""The mailshot queue: its live monitor (poll, read one mailshot again) and the actions on a
mailshot (fix its name, cancel it, queue it again), plus one mailshot's timeline."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime
from typing import Any

from syncmonitor.app.config import MailshotSettings
from syncmonitor.app.errors import UserFacingError
from syncmonitor.domain.timestamps import format_iso
from syncmonitor.engine.mailshots.actions import ActionOutcome, cancel, fix_name, retry
from syncmonitor.engine.mailshots.monitor import (
    PollResult,
    QueueMonitor,
    QueueNotConfiguredError,
    not_configured,
)
from syncmonitor.engine.mailshots.recorded import ServerQueue, server_said
from syncmonitor.engine.mailshots.report import read_queue_once, snapshot_json
from syncmonitor.engine.runs.notices import NoticeSink
from syncmonitor.engine.services.reads import timed_read
from syncmonitor.engine.team.asking import Done, ask, watching
from syncmonitor.store.database import Database
from syncmonitor.store.mailshots import TimelineEvent, timeline

__all__ = [
    "ActionOutcome",
    "PollResult",
    "QueueMonitor",
    "QueueService",
    "ServerQueue",
    "TimelineEvent",
]


def _outcome(done: Done) -> ActionOutcome:
    copy = done.answer.get("copy_id")
    return ActionOutcome(done.words, None, int(copy) if isinstance(copy, int) else None)


class QueueService:
    """`sync` is the running SyncService (its remotes and settings), None in a fake."""

    def __init__(self, database: Database, sync: Any = None) -> None:
        self.database = database
        self._sync = sync
        self.monitor: QueueMonitor | None = None  # the one open_monitor made (one per app)
        # Why the last saved settings could not be taken (a secret missing): the monitor reads
        # with the previous ones until they can.
        self.unapplied: UserFacingError | None = None

    @property
    def watching(self) -> bool:
        """A desktop watching a team store: the server's daemon reads the queue, not this one."""
        from syncmonitor.engine.team.desktop import TeamDesktopService

        return isinstance(self._sync, TeamDesktopService)

    def open_monitor(self, notices: NoticeSink | None) -> QueueMonitor | ServerQueue | None:
        """The live queue (one per app), or None when no remotes are known at all.

        Raises QueueNotConfiguredError (a UserFacingError) when Workbooks or Spotler is not set up.
        """
        remotes = getattr(self._sync, "remotes", None)
        if remotes is None:
            return None
        if self.watching:  # the team server reads the queue; this desktop shows its readings
            return ServerQueue(self.database)
        if self.monitor is not None:  # opened again (Settings set the queue up): a fresh one
            self.monitor.configure(remotes, self._settings())
            self.monitor.notices.sink = notices
            return self.monitor
        self.monitor = QueueMonitor(
            self.database,
            remotes,
            settings=self._settings(),
            sink=notices,  # through the notification policy: switches, snooze, de-dup
        )
        return self.monitor

    def _settings(self) -> MailshotSettings | None:
        return getattr(getattr(self._sync, "config", None), "mailshots", None)

    def problem(self) -> QueueNotConfiguredError | None:
        """Why the queue cannot be read with the current settings (None: it can)."""
        remotes = getattr(self._sync, "remotes", None)
        if remotes is None or self.watching:
            return None
        return not_configured(remotes)

    def reconfigure(self) -> None:
        """Settings were saved (the SyncService has taken them): the open monitor's next read uses
        the new addresses, credentials and [mailshots] intervals; a read under way finishes on
        the old ones. When the queue can no longer be read (Workbooks or Spotler switched off)
        the monitor keeps the old ones and `problem()` says why: the window stops watching."""
        monitor, remotes = self.monitor, getattr(self._sync, "remotes", None)
        # A secret the new settings need is not saved yet: the remotes are the previous ones.
        self.unapplied = getattr(self._sync, "unresolved", None)
        if monitor is None or remotes is None or self.unapplied is not None:
            return
        with contextlib.suppress(QueueNotConfiguredError):
            monitor.configure(remotes, self._settings())

    def read_once(self) -> PollResult:
        """One read of the queue with its own event loop (the command line); on a desktop watching
        a team store, the server's last reading."""
        if self.watching:
            server = ServerQueue(self.database)
            result = server.read()
            return server_said(result, server.recorded_by)
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

    async def record_key_check(
        self, monitor: QueueMonitor | None, until: datetime | None, enabled: bool
    ) -> None:
        """What an admin saw of the GatorMail API key (no API reads it)."""
        if (desktop := watching(self._sync)) is not None:
            payload = {"until": format_iso(until) if until else None, "enabled": enabled}
            await ask(desktop, "queue_key_check", payload, doing="Record a check")
            return
        assert monitor is not None, "a desktop that acts itself has a queue monitor"
        await monitor.record_key_check(until, enabled)

    async def record_integration_check(self, monitor: QueueMonitor | None, running: bool) -> None:
        """What an admin saw of 'Integration running' in GatorMail."""
        if (desktop := watching(self._sync)) is not None:
            payload = {"running": running}
            await ask(desktop, "queue_integration_check", payload, doing="Record a check")
            return
        assert monitor is not None, "a desktop that acts itself has a queue monitor"
        await monitor.record_integration_check(running)

    def timeline(self, mailshot_id: int) -> list[TimelineEvent]:
        """What happened to one mailshot, oldest first."""
        with timed_read(self.database.engine, "a mailshot's timeline") as conn:
            return timeline(conn, mailshot_id)

    async def timeline_async(self, mailshot_id: int) -> list[TimelineEvent]:
        return await asyncio.to_thread(self.timeline, mailshot_id)
