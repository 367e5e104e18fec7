"""A watching desktop's side of a team store: its actions become requests the server carries out.

The desktop holds no remote secrets and never syncs itself: Sync now (everything, or one person)
is written into the store as a request, the server's daemon does it, and the desktop shows the
run the server recorded for it. A login that may not add requests (the watcher role) is told it
can watch but not act.
"""

from __future__ import annotations

import asyncio
import getpass
import logging
import socket
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError, OperationalError

from syncmonitor.app.errors import UserFacingError
from syncmonitor.domain.timestamps import format_iso, utc_now
from syncmonitor.engine.runs.events import (
    CancelToken,
    ProgressCallback,
    RunOutcome,
    RunResult,
    SyncProgress,
)
from syncmonitor.engine.runs.kinds import SyncKind
from syncmonitor.engine.runs.service import SyncService
from syncmonitor.engine.team.watch import run_result
from syncmonitor.store import team, team_requests
from syncmonitor.store.database import Database
from syncmonitor.store.postgres import StoreUnreachableError, safe_url
from syncmonitor.store.runs import run_of_trigger
from syncmonitor.store.team_requests import Request

log = logging.getLogger(__name__)

WAIT_POLL_S = 0.5  # the longest wait between two reads of a request the server is doing
FIRST_WAIT_S = 0.05  # a quick action (a dismiss, a save) is seen done within ~0.1 s


class WatchOnlyError(UserFacingError):
    """This desktop's login may read the team store but not ask the server for anything."""

    title = "This login can only watch the team store"


def who() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "someone"
    return f"{user}@{socket.gethostname()}"


def _may_insert(conn: Connection) -> bool:
    return bool(
        conn.execute(
            text("SELECT has_table_privilege(current_user, 'team_requests', 'INSERT')")
        ).scalar()
    )


def can_request(database: Database) -> bool:
    """True when this login may add requests (the syncer, or a watcher granted INSERT on them)."""
    with database.engine.connect() as conn:
        return _may_insert(conn)


def submit(database: Database, action: str, payload: dict[str, Any], *, join: bool = False) -> int:
    """Add a request to the store; a clear error for a watcher or an unreachable server.
    `join`: when the same request is already waiting or running, return that one instead of
    sending it twice (a second click on Fix name)."""
    try:
        with database.engine.begin() as conn:
            if join:
                pending = team_requests.pending_like(conn, action, payload)
                if pending is not None and _may_insert(conn):
                    return pending
            return team_requests.add_request(conn, action, payload, who(), format_iso(utc_now()))
    except OperationalError as exc:
        raise StoreUnreachableError(
            f"The team store {database.url} did not answer, so the request was not sent.",
            "Check the network and try again; the pages keep what they showed.",
        ) from exc
    except DBAPIError as exc:
        if "permission denied" in str(exc.orig).lower():
            raise _watch_only(database) from exc
        raise


def _watch_only(database: Database) -> WatchOnlyError:
    return WatchOnlyError(
        f"The login in [cache] url ({safe_url(database.url or '')}) may read the team store "
        "but not send it requests, so Sync now and the other actions are off on this desktop.",
        "Ask the store's administrator to grant this login INSERT on team_requests, or to give "
        "you the syncer role (docs/team-mode.md).",
    )


def server_running(database: Database) -> bool:
    with database.engine.connect() as conn:
        return team.lock_is_held(conn)


def read_request(database: Database, request_id: int) -> Request | None:
    with database.engine.connect() as conn:
        return team_requests.get_request(conn, request_id)


def withdraw(database: Database, request_id: int) -> bool:
    with database.engine.begin() as conn:
        return team_requests.cancel_waiting(conn, request_id, format_iso(utc_now()))


async def wait_for(
    database: Database, request_id: int, cancel: CancelToken | None = None
) -> Request:
    """Until the server has finished the request (or it was withdrawn on cancel): read at once,
    then again after 0.05, 0.1, 0.2, 0.4 s and every 0.5 s from then on."""
    pause = FIRST_WAIT_S
    while True:
        request = await asyncio.to_thread(read_request, database, request_id)
        if request is None:
            raise UserFacingError(f"Request #{request_id} is no longer in the team store.", "")
        if request.finished:
            return request
        if (
            cancel is not None
            and cancel.cancelled
            and await asyncio.to_thread(withdraw, database, request_id)
        ):
            request = await asyncio.to_thread(read_request, database, request_id)
            assert request is not None
            return request
        await asyncio.sleep(pause)
        pause = min(WAIT_POLL_S, pause * 2)


def _failed(title: str, message: str, outcome: RunOutcome = RunOutcome.FAILED) -> RunResult:
    now = format_iso(utc_now())
    return RunResult(0, outcome, now, now, 0.0, error_title=title, error_message=message)


def result_of(database: Database, request: Request) -> RunResult:
    """The server's run for the request, as this desktop shows a run of its own."""
    with database.engine.connect() as conn:
        run = run_of_trigger(conn, request.trigger)
    if request.state == team_requests.CANCELLED:
        return _failed("Cancelled", request.result or "", RunOutcome.CANCELLED)
    if run is None:
        return _failed("The team server could not do it", request.result or "")
    return run_result(run)


class TeamDesktopService(SyncService):
    """A SyncService whose runs are carried out by the team server. `tell` shows a line on the
    window's status bar (the window sets it): where a request is, for the other actions
    (engine/team/asking.py)."""

    tell: Callable[[str], None] | None = None

    async def sync_once(
        self,
        *,
        trigger: str = "forced",
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
        kind: SyncKind | str = SyncKind.FULL,
        person: int | None = None,
    ) -> RunResult:
        async with self._running:
            try:
                return await self._ask(SyncKind(kind), person, progress, cancel)
            except UserFacingError as exc:
                return _failed(exc.title, exc.message)

    async def _ask(
        self,
        kind: SyncKind,
        person: int | None,
        progress: ProgressCallback | None,
        cancel: CancelToken | None,
    ) -> RunResult:
        database = self.database
        payload: dict[str, Any] = {"kind": kind.value}
        action = "sync"
        if person is not None:
            payload["person"] = person
            action = "sync_person"
        request_id = await asyncio.to_thread(submit, database, action, payload)
        if not await asyncio.to_thread(server_running, database):
            return _failed(
                "No team server is running",
                f"Your request #{request_id} waits in the team store and is carried out when "
                "the Sync Monitor server (syncmonitor daemon) starts.",
            )
        if progress is not None:
            progress(
                SyncProgress("team", f"Sent to the team server (request #{request_id}); waiting")
            )
        request = await wait_for(database, request_id, cancel)
        result = await asyncio.to_thread(result_of, database, request)
        self._last = result
        return result
