"""`syncmonitor daemon`: the scheduler without a window, for a machine with no desktop.

Same schedule, catch-up and backoff as the app; notifications go to the log (and to stderr, one
line per run). It watches the GatorMail queue too (`queue_monitor`, engine.runs.daemon_queue),
recording each reading in the store for watching desktops. SIGTERM or Ctrl+C cancels a running
sync at its next safe point and exits 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from typing import TextIO

from syncmonitor.app.config import Config
from syncmonitor.engine.mailshots.monitor import QueueMonitor
from syncmonitor.engine.mailshots.notices import QUEUE_EVENTS
from syncmonitor.engine.runs.daemon_queue import DaemonQueue
from syncmonitor.engine.runs.events import RunResult
from syncmonitor.engine.runs.first_sync import WRITES_HELD_HELP, held_counts
from syncmonitor.engine.runs.notices import Notice, NoticeLevel
from syncmonitor.engine.runs.notify_policy import NotificationPolicy
from syncmonitor.engine.runs.runners import RunNotices, register_sync_runners, schedule_intervals
from syncmonitor.engine.runs.scheduler import Listener, RunRequest, Scheduler, drive
from syncmonitor.engine.runs.service import SyncService

log = logging.getLogger(__name__)

QUEUE_STOP_WAIT_S = 15.0


class Daemon:
    """Wires a SyncService to a Scheduler and runs until stopped."""

    def __init__(self, service: SyncService, config: Config, out: TextIO = sys.stderr) -> None:
        self.service = service
        self.out = out
        self._told_held = False  # the first two-way sync waits for a confirmation
        self.stop_event = asyncio.Event()
        self.policy = NotificationPolicy(self._tell, choices=config.notifications.choices())
        service.notices = self.policy
        self.intervals = schedule_intervals(config)
        self.scheduler = Scheduler(
            self.intervals,
            listener=Listener(started=self._started, finished=self._finished),
        )
        register_sync_runners(self.scheduler, lambda: self.service)
        self.run_notices = RunNotices(self.policy)
        if config.schedule.paused:
            log.warning("[schedule] paused is true: the daemon runs no scheduled syncs")
            self.scheduler.pause()
        self.queue = DaemonQueue(service, config, self.policy)  # its notices: the same policy

    @property
    def queue_monitor(self) -> QueueMonitor | None:
        """The live mailshot queue this daemon reads (None: Workbooks or Spotler not set up).
        Use it through `self.queue.act(...)`, one poll or action at a time."""
        return self.queue.monitor

    def _started(self, request: RunRequest) -> None:
        self.run_notices.started()

    def _finished(self, request: RunRequest, result: RunResult) -> None:
        self.run_notices.finished(result)
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
        if notice.logged:  # the engine logged this news itself: once is enough
            level = logging.DEBUG
        log.log(level, "Notification: %s: %s", notice.title, notice.message)
        if notice.event in QUEUE_EVENTS:  # one line each, beside the runs' (journalctl)
            print(f"queue: {notice.title}: {notice.message}", file=self.out, flush=True)

    def stop(self) -> None:
        self.stop_event.set()

    async def run(self, install_signals: bool = True) -> int:
        loop = asyncio.get_running_loop()
        if install_signals:
            for signum in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                    loop.add_signal_handler(signum, self.stop)
        serving: asyncio.Future[None] | None = None
        if self.service.database.shared:  # a team server: carry out the desktops' requests too
            from syncmonitor.engine.team.actions import ServerActions
            from syncmonitor.engine.team.server import RequestServer

            self.requests = RequestServer(self.service)
            # Fix name and the queue's actions use the daemon's queue monitor when it runs one,
            # between its polls, and the reading after them is recorded for the desktops.
            ServerActions(
                self.service, lambda: self.queue_monitor, queue_turn=self.queue.act
            ).register(self.requests)
            await self.requests.recover()  # before the first run: close what a dead one left
            serving = asyncio.ensure_future(self.requests.run(self.stop_event))
        last = await asyncio.to_thread(self.service.last_finished_by_kind)
        self.scheduler.start(last)
        log.info("Daemon started: %s", {k.value: str(v) for k, v in self.intervals.items()})
        log.info("Daemon: %s", self.queue.describe())
        watching = asyncio.ensure_future(self.queue.run(self.stop_event))
        await drive(self.scheduler, self.stop_event)
        if serving is not None:
            await serving
        # A queue read under way gets a moment to finish (its reading is recorded), then stops.
        with contextlib.suppress(TimeoutError, asyncio.CancelledError):
            await asyncio.wait_for(watching, timeout=QUEUE_STOP_WAIT_S)
        log.info("Daemon stopped")
        return 0


def run_daemon(service: SyncService, config: Config) -> int:
    """Run until SIGTERM or Ctrl+C."""
    return asyncio.run(Daemon(service, config).run())
