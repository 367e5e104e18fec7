"""`syncmonitor daemon`: the scheduler without a window, for a machine with no desktop.

Same schedule, catch-up and backoff as the app; notifications go to the log (and to stderr, one
line per run). SIGTERM or Ctrl+C cancels a running sync at its next safe point and exits 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from datetime import timedelta
from typing import TextIO

from syncmonitor.app.config import Config
from syncmonitor.engine.runs.events import CancelToken, ProgressCallback, RunResult
from syncmonitor.engine.runs.first_sync import WRITES_HELD_HELP, held_counts
from syncmonitor.engine.runs.jobs import SyncKind
from syncmonitor.engine.runs.notices import Notice, NoticeLevel
from syncmonitor.engine.runs.notify_policy import NotificationPolicy
from syncmonitor.engine.runs.report import failure_notices
from syncmonitor.engine.runs.scheduler import (
    EVERYTHING,
    PERSON,
    Listener,
    RunRequest,
    Scheduler,
    drive,
)
from syncmonitor.engine.runs.service import SyncService

log = logging.getLogger(__name__)


def intervals(config: Config) -> dict[SyncKind, timedelta]:
    return {
        SyncKind.INBOUND: timedelta(minutes=config.schedule.inbound_minutes),
        SyncKind.FULL: timedelta(minutes=config.schedule.full_minutes),
    }


class Daemon:
    """Wires a SyncService to a Scheduler and runs until stopped."""

    def __init__(self, service: SyncService, config: Config, out: TextIO = sys.stderr) -> None:
        self.service = service
        self.out = out
        self._told_held = False  # the first two-way sync waits for a confirmation
        self.stop_event = asyncio.Event()
        self.policy = NotificationPolicy(self._tell, choices=config.notifications.choices())
        service.notices = self.policy
        self.intervals = intervals(config)
        self.scheduler = Scheduler(
            self.intervals,
            listener=Listener(started=self._started, finished=self._finished),
        )
        self.scheduler.register(EVERYTHING, self._run_everything)
        self.scheduler.register(PERSON, self._run_person)
        if config.schedule.paused:
            log.warning("[schedule] paused is true: the daemon runs no scheduled syncs")
            self.scheduler.pause()

    async def _run_everything(
        self, request: RunRequest, progress: ProgressCallback, cancel: CancelToken
    ) -> RunResult:
        return await self.service.sync_once(
            trigger=request.trigger.value, cancel=cancel, kind=request.target.kind
        )

    async def _run_person(
        self, request: RunRequest, progress: ProgressCallback, cancel: CancelToken
    ) -> RunResult:
        return await self.service.sync_once(
            trigger=request.trigger.value, cancel=cancel, person=int(request.target.key)
        )

    def _started(self, request: RunRequest) -> None:
        self.policy.begin_batch()

    def _finished(self, request: RunRequest, result: RunResult) -> None:
        for notice in failure_notices(result):  # one per distinct cause
            self.policy.post(notice)
        if result.ok:
            self.policy.forget("sync.failed")
        self.policy.end_batch()
        nxt = self.scheduler.next_run()
        when = f"; next {nxt[1].value} sync at {nxt[0]:%Y-%m-%d %H:%M} UTC" if nxt else ""
        print(
            f"{request.target.kind.value} {request.trigger.value}: {result.summary}{when}",
            file=self.out,
            flush=True,
        )
        if held_counts(result) and not self._told_held:  # once per daemon, not every run
            self._told_held = True
            print(WRITES_HELD_HELP, file=self.out, flush=True)

    def _tell(self, notice: Notice) -> None:
        level = logging.ERROR if notice.level is NoticeLevel.ERROR else logging.INFO
        log.log(level, "Notification: %s: %s", notice.title, notice.message)

    def stop(self) -> None:
        self.stop_event.set()

    async def run(self, install_signals: bool = True) -> int:
        loop = asyncio.get_running_loop()
        if install_signals:
            for signum in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                    loop.add_signal_handler(signum, self.stop)
        last = await asyncio.to_thread(self.service.last_finished_by_kind)
        self.scheduler.start(last)
        log.info("Daemon started: %s", {k.value: str(v) for k, v in self.intervals.items()})
        await drive(self.scheduler, self.stop_event)
        log.info("Daemon stopped")
        return 0


def run_daemon(service: SyncService, config: Config) -> int:
    """Run until SIGTERM or Ctrl+C."""
    return asyncio.run(Daemon(service, config).run())
