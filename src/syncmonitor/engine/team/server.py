"""The server's side of the request queue: the daemon that holds a team store carries out what
watching desktops ask (Sync now, a person's sync), one at a time, and writes back the result.

Never done twice: a request is claimed (running) in one transaction, its sync run is recorded with
trigger "request:<id>", and its result in another. If the daemon dies in between, the next holder
of the store's lock finds the request still running: when the run it made had finished, the
request is finished with that run's result (not run again); when the run was cut short or never
began, the request waits again and runs (the sync is crash-safe: a repeat re-reads, it does not
write twice).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import Engine

from syncmonitor.domain.timestamps import format_iso, utc_now
from syncmonitor.engine.runs.events import RunResult
from syncmonitor.engine.runs.kinds import SyncKind
from syncmonitor.engine.runs.service import SyncService
from syncmonitor.store import team_requests as store
from syncmonitor.store.runs import close_interrupted_runs
from syncmonitor.store.team_requests import Request

log = logging.getLogger(__name__)

POLL_S = 1.0  # a request is seen within a second (sooner when a NOTIFY wakes the listener)
Handler = Callable[[Request], Awaitable[tuple[bool, str]]]


def _now() -> str:
    return format_iso(utc_now())


def synced_words(duration_s: float, new: int) -> str:
    return f"Synced by the server in {duration_s:.1f} s: {new} new transitions."


def run_summary(run: dict[str, Any]) -> tuple[bool, str]:
    """(ok, words) for a recorded run, as the desktop shows it."""
    if run["outcome"] == "succeeded":
        written = run.get("records_written") or {}
        return True, synced_words(float(run["duration_s"] or 0), int(written.get("transitions", 0)))
    return False, f"{run['error_title'] or run['outcome']}: {run['error_message'] or ''}".strip()


class RequestServer:
    """Carries out the requests of a team store for the process that holds its sync lock."""

    def __init__(self, service: SyncService, *, poll_s: float = POLL_S) -> None:
        self.service = service
        self.poll_s = poll_s
        self.claimer = f"{socket.gethostname()}:{os.getpid()}"
        self.handlers: dict[str, Handler] = {"sync": self._sync, "sync_person": self._sync}
        self._wake = asyncio.Event()

    @property
    def engine(self) -> Engine:
        return self.service.database.engine

    def register(self, action: str, handler: Handler) -> None:
        """Carry out `action` requests with `handler` (e.g. a mailshot's Fix name)."""
        self.handlers[action] = handler

    def wake(self) -> None:
        self._wake.set()

    async def recover(self) -> int:
        """After taking the lock: close runs and requests a dead holder left; returns how many
        requests wait again."""
        return await asyncio.to_thread(self._recover)

    def _recover(self) -> int:
        again = 0
        with self.engine.begin() as conn:
            closed = close_interrupted_runs(conn)
            if closed:
                log.warning("%d run(s) were interrupted when the last server stopped", closed)
            for request in store.left_running(conn):
                run = store.finished_run_for(conn, request)
                if run is not None:
                    ok, words = run_summary(run)
                    store.finish(conn, request.id, ok=ok, result=words, at=_now())
                    log.info("Request %d had finished before the last server stopped", request.id)
                else:
                    store.requeue(conn, request.id)
                    again += 1
        if again:
            log.warning("%d request(s) left half-way by the last server will run again", again)
        return again

    async def serve_one(self) -> Request | None:
        """Claim and carry out the oldest waiting request; None when none waits."""
        request = await asyncio.to_thread(self._claim)
        if request is None:
            return None
        handler = self.handlers.get(request.action)
        if handler is None:
            ok, words = (
                False,
                (
                    f"This server cannot do {request.action!r} requests (it is an older or newer "
                    "Sync Monitor). Update the server and the desktops to the same version."
                ),
            )
        else:
            try:
                ok, words = await handler(request)
            except Exception as exc:  # a bug: the desktop is told, the daemon lives on
                log.exception("request %d failed", request.id)
                ok, words = False, f"The server failed: {type(exc).__name__}: {exc}"
        await asyncio.to_thread(self._finish, request.id, ok, words)
        log.info(
            "Request %d (%s from %s): %s", request.id, request.action, request.requested_by, words
        )
        return await asyncio.to_thread(self._get, request.id)

    async def run(self, stop: asyncio.Event) -> None:
        """Serve until `stop` is set (the daemon's life). Call `recover` first, once, before
        this process starts any run of its own."""
        while not stop.is_set():
            try:
                while not stop.is_set() and await self.serve_one() is not None:
                    pass
            except Exception:  # the store went away for a moment: try again next poll
                log.warning("could not read the team store's requests", exc_info=True)
            self._wake.clear()
            waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._wake.wait())]
            await asyncio.wait(waiters, timeout=self.poll_s, return_when=asyncio.FIRST_COMPLETED)
            for w in waiters:
                w.cancel()

    def _claim(self) -> Request | None:
        with self.engine.begin() as conn:
            return store.claim_next(conn, self.claimer, _now())

    def _get(self, request_id: int) -> Request | None:
        with self.engine.connect() as conn:
            return store.get_request(conn, request_id)

    def _finish(self, request_id: int, ok: bool, words: str) -> None:
        with self.engine.begin() as conn:
            store.finish(conn, request_id, ok=ok, result=words, at=_now())

    async def _sync(self, request: Request) -> tuple[bool, str]:
        def already() -> dict[str, Any] | None:
            with self.engine.connect() as conn:
                return store.finished_run_for(conn, request)

        run = await asyncio.to_thread(already)
        if run is not None:  # claimed again after the run it made had finished
            return run_summary(run)
        person = request.payload.get("person")
        kind = SyncKind(str(request.payload.get("kind", SyncKind.FULL.value)))
        result: RunResult = await self.service.sync_once(
            trigger=request.trigger, kind=kind, person=int(person) if person is not None else None
        )
        if result.ok:
            new = result.records_written.get("transitions", 0)
            return (
                True,
                f"Synced by the server in {result.duration_s:.1f} s: {new} new transitions.",
            )
        return False, f"{result.error_title}: {result.error_message}"
