"""The server's side of the request queue: the daemon that holds a team store carries out what
watching desktops ask (Sync now, a person's sync, and the actions engine/team/actions.py
registers), one at a time, and writes back the result.

Never done twice: a request is claimed (running) in one transaction, carried out, and its result
written in another. If the daemon dies in between, the next holder of the store's lock closes it
by what the action may bear (engine/team/recover.py): a finished sync is finished with its run's
result, a repeatable action (a save) runs again, anything that may have reached a remote fails
with words that say so.

New requests are heard, not polled: every new request sends a NOTIFY on `syncmonitor_requests`,
which the server LISTENs to on a connection of its own (reconnecting when the store drops). A
poll every FALLBACK_POLL_S catches a notice lost on the way.

A desktop's request is untrusted input: an unknown action, details that are not JSON or too long,
a bad id, each fails the request with a clear message; no request stops the daemon.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import Engine

from syncmonitor.app.errors import UserFacingError
from syncmonitor.domain.timestamps import format_iso, utc_now
from syncmonitor.engine.runs.events import RunResult
from syncmonitor.engine.runs.kinds import SyncKind
from syncmonitor.engine.runs.service import SyncService
from syncmonitor.engine.team.recover import (
    REPEATABLE_ACTIONS,
    recover_store,
    run_summary,
    synced_words,
)
from syncmonitor.store import team_requests as store
from syncmonitor.store.team_requests import Request

log = logging.getLogger(__name__)

FALLBACK_POLL_S = 5.0  # LISTEN wakes the server at once; this only catches a lost notice
POLL_S = 1.0  # without LISTEN (SQLite, or listen=False): how the server found requests before
# What a handler returns: ok, words, and optionally an answer (JSON-able) for the desktop.
Outcome = tuple[bool, str] | tuple[bool, str, dict[str, Any] | None]
Handler = Callable[[Request], Awaitable[Outcome]]

__all__ = ["Handler", "Outcome", "RequestServer", "run_summary", "synced_words"]


class BadRequestError(UserFacingError):
    """A request's details are not what its action takes (a desktop of another version, or a
    broken one): the request fails with this, nothing is done."""

    title = "The server refused the request"


_SAME_VERSION = "Update the server and the desktops to the same version of Sync Monitor."


def _refused(exc: UserFacingError) -> tuple[bool, str, dict[str, Any]]:
    """A failed request's words, and its title and message apart for the desktop's error."""
    answer = {"error_title": exc.title, "error_message": exc.message}
    return False, f"{exc.title}: {exc.message}", answer


def _now() -> str:
    return format_iso(utc_now())


class RequestServer:
    """Carries out the requests of a team store for the process that holds its sync lock."""

    def __init__(
        self, service: SyncService, *, poll_s: float | None = None, listen: bool = True
    ) -> None:
        self.service = service
        self.listen = listen and service.database.engine.dialect.name == "postgresql"
        self.poll_s = poll_s if poll_s is not None else (FALLBACK_POLL_S if self.listen else POLL_S)
        self.claimer = f"{socket.gethostname()}:{os.getpid()}"
        self.handlers: dict[str, Handler] = {"sync": self._sync, "sync_person": self._sync}
        self.repeatable = set(REPEATABLE_ACTIONS)
        self.listener: Any = None
        self._wake = asyncio.Event()

    @property
    def engine(self) -> Engine:
        return self.service.database.engine

    def register(self, action: str, handler: Handler, *, repeatable: bool = False) -> None:
        """Carry out `action` requests with `handler` (e.g. a mailshot's Fix name). `repeatable`:
        doing it twice leaves the same as once, so one cut short by a crash runs again."""
        self.handlers[action] = handler
        if repeatable:
            self.repeatable.add(action)
        else:
            self.repeatable.discard(action)

    def wake(self) -> None:
        self._wake.set()

    async def recover(self) -> int:
        """After taking the lock: close runs and requests a dead holder left; returns how many
        requests wait again."""

        def run() -> int:
            with self.engine.begin() as conn:
                return recover_store(conn, frozenset(self.repeatable))

        return await asyncio.to_thread(run)

    async def serve_one(self) -> Request | None:
        """Claim and carry out the oldest waiting request; None when none waits."""
        request = await asyncio.to_thread(self._claim)
        if request is None:
            return None
        ok, words, answer = await self._carry_out(request)
        await asyncio.to_thread(self._finish, request.id, ok, words, answer)
        log.info(
            "Request %d (%s from %s): %s", request.id, request.action, request.requested_by, words
        )
        return await asyncio.to_thread(self._get, request.id)

    async def _carry_out(self, request: Request) -> tuple[bool, str, dict[str, Any] | None]:
        if request.malformed is not None:
            return _refused(BadRequestError(request.malformed, _SAME_VERSION))
        handler = self.handlers.get(request.action)
        if handler is None:
            return _refused(
                BadRequestError(
                    f"This server cannot do {request.action[:40]!r} requests (it is an older or "
                    "newer Sync Monitor).",
                    _SAME_VERSION,
                )
            )
        try:
            outcome = await handler(request)
        except UserFacingError as exc:  # refused or failed as the action says: its own words
            return _refused(exc)
        except Exception as exc:  # a bug: the desktop is told, the daemon lives on
            log.exception("request %d failed", request.id)
            return False, f"The server failed: {type(exc).__name__}: {exc}", None
        if len(outcome) == 3:
            return outcome[0], outcome[1], outcome[2]
        return outcome[0], outcome[1], None

    async def run(self, stop: asyncio.Event) -> None:
        """Serve until `stop` is set (the daemon's life). Call `recover` first, once, before
        this process starts any run of its own."""
        self._start_listening()
        try:
            while not stop.is_set():
                self._wake.clear()
                try:
                    while not stop.is_set() and await self.serve_one() is not None:
                        pass
                except Exception:  # the store went away for a moment: try again next poll
                    log.warning("could not read the team store's requests", exc_info=True)
                waiters = [
                    asyncio.ensure_future(stop.wait()),
                    asyncio.ensure_future(self._wake.wait()),
                ]
                await asyncio.wait(
                    waiters, timeout=self.poll_s, return_when=asyncio.FIRST_COMPLETED
                )
                for w in waiters:
                    w.cancel()
        finally:
            if self.listener is not None:
                self.listener.stop()

    def _start_listening(self) -> None:
        if not self.listen or self.listener is not None:
            return
        from syncmonitor.engine.team.changes import ChangeListener

        loop = asyncio.get_running_loop()

        def heard() -> None:  # on the listener's thread
            with contextlib.suppress(RuntimeError):  # the loop has closed: the daemon stopped
                loop.call_soon_threadsafe(self._wake.set)

        self.listener = ChangeListener(self.engine.url, heard, channel=store.CHANNEL)
        self.listener.start()

    def _claim(self) -> Request | None:
        with self.engine.begin() as conn:
            return store.claim_next(conn, self.claimer, _now())

    def _get(self, request_id: int) -> Request | None:
        with self.engine.connect() as conn:
            return store.get_request(conn, request_id)

    def _finish(self, request_id: int, ok: bool, words: str, answer: dict[str, Any] | None) -> None:
        with self.engine.begin() as conn:
            store.finish(conn, request_id, ok=ok, result=words, at=_now(), answer=answer)

    async def _sync(self, request: Request) -> Outcome:
        def already() -> dict[str, Any] | None:
            with self.engine.connect() as conn:
                return store.finished_run_for(conn, request)

        run = await asyncio.to_thread(already)
        if run is not None:  # claimed again after the run it made had finished
            return run_summary(run)
        person = request.payload.get("person")
        try:
            kind = SyncKind(str(request.payload.get("kind", SyncKind.FULL.value)))
            prospect = None if person is None else int(person)
        except (TypeError, ValueError) as exc:
            raise BadRequestError(f"The sync request's details are not valid: {exc}.") from exc
        result: RunResult = await self.service.sync_once(
            trigger=request.trigger, kind=kind, person=prospect
        )
        if result.ok:
            new = result.records_written.get("transitions", 0)
            return True, synced_words(result.duration_s, new)
        return False, f"{result.error_title}: {result.error_message}"
