"""A SyncService double with the engine's interface, driven step by step by the tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from syncmonitor.domain.timestamps import format_iso, utc_now
from syncmonitor.engine.bootstrap import CacheServices
from syncmonitor.engine.runs.events import (
    CancelToken,
    ProgressCallback,
    RunOutcome,
    RunResult,
    SyncProgress,
)
from syncmonitor.store.database import Database


async def eventually(condition: Callable[[], object], timeout: float = 5.0) -> None:
    """Await until `condition()` is true, polling the running loop (qtbot.waitUntil for async
    tests: a nested Qt loop inside a coroutine would run other tasks re-entrantly)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {condition}")
        await asyncio.sleep(0.01)


async def outside_task(action: Callable[[], object]) -> None:
    """Run `action` (a key press, a click) from a plain loop callback, not from the test's task.

    QTest's key events flush Qt's event queue, which lets qasync run other tasks' steps; from
    inside a task that is a re-entry asyncio refuses. From a callback it is what a real key
    press does: handled by the loop between task steps.
    """
    loop = asyncio.get_running_loop()
    done: asyncio.Future[None] = loop.create_future()

    def run() -> None:
        try:
            action()
        except BaseException as exc:  # handed to the test, which re-raises it
            done.set_exception(exc)
        else:
            done.set_result(None)

    loop.call_soon(run)
    await done


def succeeded_run(minutes_ago: float = 0.0, run_id: int = 0) -> RunResult:
    """A successful run that ended `minutes_ago`."""
    finished = utc_now() - timedelta(minutes=minutes_ago)
    return RunResult(
        run_id=run_id,
        outcome=RunOutcome.SUCCEEDED,
        started_at=format_iso(finished - timedelta(seconds=3)),
        finished_at=format_iso(finished),
        duration_s=3.0,
    )


class FakeSyncService:
    """Reports progress, can be held mid-run, honours the cancel token, and fails on request."""

    def __init__(self, database: Database, *, sandbox_mode: bool = True) -> None:
        self.database = database
        self.sandbox_mode = sandbox_mode
        self.runs: list[str] = []  # the trigger of each run
        self.requests: list[tuple[str, str, int | None]] = []  # (trigger, kind, person)
        self.notices: object | None = None  # the controller hands its notification policy over
        self.hold = False  # True: wait at the first page until `release()` or a cancel
        self.hold_writing = False  # with hold: wait while writing to Workbooks instead
        self.fail_with: tuple[str, str] | None = None
        self.fail_kind: str | None = None  # e.g. "offline": the remote did not answer
        self.on_sync: Callable[[Database], None] | None = None  # e.g. write new transitions
        self.known_total = True  # False: progress never says how much is left
        self.previous: RunResult | None = None
        self._running = False
        self._release = asyncio.Event()
        self.reached_page = asyncio.Event()

    @property
    def running(self) -> bool:
        return self._running

    def release(self) -> None:
        self._release.set()

    def last_run(self) -> RunResult | None:
        return self.previous

    async def sync_once(
        self,
        *,
        trigger: str = "forced",
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
        kind: str = "full",
        person: int | None = None,
    ) -> RunResult:
        self.runs.append(trigger)
        self.requests.append((trigger, str(kind), person))
        self._running = True
        started = utc_now()
        report = progress or (lambda _p: None)
        try:
            report(SyncProgress("outreach", "Reading Outreach sequence states…"))
            await asyncio.sleep(0.01)
            total = 1000 if self.known_total else None
            report(SyncProgress("outreach", "Reading Outreach sequence states…", 200, total))
            if self.hold_writing:
                report(SyncProgress("workbooks-push", "Updating Workbooks people…", 300, total))
            self.reached_page.set()
            while self.hold and not self._release.is_set():
                if cancel is not None and cancel.cancelled:
                    break
                await asyncio.sleep(0.01)
            if cancel is not None and cancel.cancelled:
                return self._finish(started, RunOutcome.CANCELLED)
            if self.on_sync is not None:
                self.on_sync(self.database)
            report(SyncProgress("workbooks-push", "Updating Workbooks people…", 1000, total))
            await asyncio.sleep(0.01)
            if self.fail_with is not None:
                return self._finish(started, RunOutcome.FAILED, *self.fail_with)
            return self._finish(started, RunOutcome.SUCCEEDED)
        finally:
            self._running = False
            self._release.clear()

    def _finish(
        self,
        started: object,
        outcome: RunOutcome,
        title: str | None = None,
        message: str | None = None,
    ) -> RunResult:
        finished = utc_now()
        self.previous = RunResult(
            run_id=len(self.runs),
            outcome=outcome,
            started_at=format_iso(started),  # type: ignore[arg-type]
            finished_at=format_iso(finished),
            duration_s=0.05,
            records_read={"sequence_states": 1000},
            records_written={"transitions": 12, "workbooks_people": 3}
            if outcome is RunOutcome.SUCCEEDED
            else {},
            error_title=title,
            error_message=message,
            error_kind=self.fail_kind if outcome is RunOutcome.FAILED else None,
        )
        return self.previous


class FakeServices(CacheServices):
    """What start_services returns: the fake sync service, the real facade services over the
    fake's cache, no sandbox process, and close() (counted; the test closes the cache)."""

    def __init__(self, service: Any, sandbox: object | None = None) -> None:
        self.service = service
        self.sandbox = sandbox
        self.closed = 0
        self.log: list[str] = []
        super().__init__(service.database, service)

    def close(self) -> None:
        self.closed += 1


def services_over(database: Database, **sync: Any) -> FakeServices:
    """The facade services over `database`, with an idle fake sync service."""
    service = FakeSyncService(database)
    for name, value in sync.items():
        setattr(service, name, value)
    return FakeServices(service)
