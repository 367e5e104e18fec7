"""The daemon's watch on the GatorMail queue: the server is the one process that talks to the
remotes (issue 18), so it reads the mailshot queue too, alongside its scheduled syncs.

It polls at the pace the monitor asks for ([mailshots] busy and idle intervals), sends the
queue's notices (blocked, key expiring, integration stopped, the queue moving again) through the
daemon's notice sink and policy, and records every reading in the store, where watching desktops
read it with no Workbooks or Spotler credentials of their own (engine.mailshots.recorded). A
failing queue read is logged and tried again at the idle pace: it never stops the syncs, and a
failing sync never stops the queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Awaitable, Callable
from typing import TypeVar

from syncmonitor.app.config import Config, MailshotSettings
from syncmonitor.engine.mailshots.monitor import PollResult, QueueMonitor, not_configured
from syncmonitor.engine.mailshots.recorded import record_reading
from syncmonitor.engine.runs.notices import NoticeSink
from syncmonitor.engine.runs.service import SyncService
from syncmonitor.engine.runs.workers import in_writer

log = logging.getLogger(__name__)

T = TypeVar("T")


class DaemonQueue:
    """Polls one QueueMonitor until stopped; `monitor` is None when the queue is not set up."""

    def __init__(self, service: SyncService, config: Config, sink: NoticeSink) -> None:
        self.database = service.database
        self.settings = config.mailshots or MailshotSettings()
        self.by = socket.gethostname()
        self.polls = 0  # readings taken
        self.failures = 0  # polls that raised (the connectors' own errors are in the snapshot)
        self.last: PollResult | None = None
        # One poll or action at a time on the monitor (it is not re-entrant): hold it around
        # any use of `monitor` from elsewhere, e.g. a Fix name a watching desktop asked for.
        self.turn = asyncio.Lock()
        problem = not_configured(service.remotes)
        self.not_watched = problem
        self.monitor: QueueMonitor | None = None
        if problem is None:
            self.monitor = QueueMonitor(
                service.database, service.remotes, settings=self.settings, sink=sink
            )

    def describe(self) -> str:
        """One line for the daemon's start-up log."""
        if self.not_watched is not None:
            return f"the mailshot queue is not watched: {self.not_watched.message}"
        return (
            f"the mailshot queue is read every {self.settings.busy_poll_seconds:g} s while "
            f"mailshots move, every {self.settings.idle_poll_seconds:g} s when idle"
        )

    async def run(self, stop: asyncio.Event) -> None:
        """Poll until `stop` is set, then close the connections."""
        if self.monitor is None:
            return
        try:
            while not stop.is_set():
                delay = await self.poll()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=delay)
        finally:
            await self.monitor.aclose()

    async def poll(self) -> float:
        """One reading, recorded in the store; the seconds until the next."""
        assert self.monitor is not None
        async with self.turn:
            try:
                result = await self.monitor.poll_once()
            except Exception as exc:  # a bug or a dropped connection: never the daemon's end
                self.failures += 1
                log.warning("The mailshot queue could not be read (tried again soon): %r", exc)
                return self.settings.idle_poll_seconds
        self.polls += 1
        self.last = result
        if result.error is not None:
            log.warning("The mailshot queue read failed: %s", result.error.message)
        await self.record(result)
        return result.next_delay

    async def act(self, action: Callable[[QueueMonitor], Awaitable[T]]) -> T:
        """Run an action on the monitor between polls (raises when the queue is not set up);
        the reading after it is recorded for the watching desktops."""
        if self.monitor is None:
            assert self.not_watched is not None
            raise self.not_watched
        async with self.turn:
            outcome = await action(self.monitor)
        snapshot = self.monitor.snapshot
        if snapshot is not None:
            await self.record(PollResult(snapshot, [], 0.0))
        return outcome

    async def record(self, result: PollResult) -> None:
        try:
            await in_writer(record_reading, self.database, result.snapshot, self.by)
        except Exception as exc:  # the store briefly unreachable: the next poll writes again
            log.warning("The queue reading could not be written to the store: %r", exc)
