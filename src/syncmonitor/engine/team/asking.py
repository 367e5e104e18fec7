"""A watching desktop's actions as requests: the engine's services call `ask` instead of writing
the store or calling a remote themselves, so the window's pages keep calling the same methods.

`ask` sends the request (a second identical one joins the first rather than being sent twice),
says on the status bar that it was sent, waits until the server has done it, and returns its
answer, or raises a UserFacingError with the server's words (the page shows it as it shows any
failure of that action). A login that may only watch gets the same refusal as for Sync now.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import OperationalError

from syncmonitor.app.errors import UserFacingError
from syncmonitor.engine.team.desktop import (
    TeamDesktopService,
    server_running,
    submit,
    wait_for,
)
from syncmonitor.store import team_requests
from syncmonitor.store.database import Database
from syncmonitor.store.postgres import StoreUnreachableError


class RequestFailedError(UserFacingError):
    """The team server did not do what this desktop asked (its words say why)."""

    title = "The team server could not do it"


class NoServerError(UserFacingError):
    title = "No team server is running"


class ServerStoppedError(UserFacingError):
    title = "The team server stopped"


SERVER_CHECK_S = 5.0  # while waiting: is the server (the lock's holder) still there?


@dataclass(frozen=True)
class Done:
    """What the server did: in words, and its answer (a copy's id, a count)."""

    words: str
    answer: dict[str, Any] = field(default_factory=dict)


async def _until_done(database: Database, request_id: int) -> team_requests.Request:
    """The finished request; a clear error when the store stops answering, or the server stops
    (no one holds the store's lock) before it is done."""
    waiting = asyncio.ensure_future(wait_for(database, request_id))
    try:
        while True:
            done, _ = await asyncio.wait({waiting}, timeout=SERVER_CHECK_S)
            if done:
                return waiting.result()
            if not await asyncio.to_thread(server_running, database):
                raise ServerStoppedError(
                    f"The team server stopped while it was doing request #{request_id}.",
                    "When it starts again it finishes the request, runs it again, or fails it "
                    "if it may have been half done (docs/team-mode.md); this page shows the "
                    "result then.",
                )
    except OperationalError as exc:
        raise StoreUnreachableError(
            f"The team store stopped answering while request #{request_id} was under way; "
            "the server may still carry it out.",
            "Check the network; the pages show the result when the store answers again.",
        ) from exc
    finally:
        waiting.cancel()


def watching(sync: Any) -> TeamDesktopService | None:
    """The desktop's service when this desktop watches a team store (its actions are requests);
    None when it acts on its cache itself."""
    return sync if isinstance(sync, TeamDesktopService) else None


def _tell(desktop: TeamDesktopService, words: str) -> None:
    if desktop.tell is not None:
        desktop.tell(words)


async def ask(
    desktop: TeamDesktopService, action: str, payload: dict[str, Any], *, doing: str
) -> Done:
    """Have the team server do `action`; `doing` names it for the status bar ("Fix name")."""
    database = desktop.database
    size = len(json.dumps(payload, sort_keys=True))
    if size > team_requests.MAX_PAYLOAD_CHARS:
        _tell(desktop, f"{doing}: not sent (too large for a request).")
        raise RequestFailedError(
            f"{doing} needs {size:,} characters of details, more than the "
            f"{team_requests.MAX_PAYLOAD_CHARS:,} a request to the team server may carry, so it "
            "was not sent.",
            "Do it on the server (or with the syncer login), or split it into smaller parts.",
        )
    try:
        request_id = await asyncio.to_thread(submit, database, action, payload, join=True)
    except UserFacingError as exc:  # a watch-only login, the store unreachable
        _tell(desktop, f"{doing}: not sent. {exc.message}")
        raise
    if not await asyncio.to_thread(server_running, database):
        _tell(desktop, f"{doing}: no team server is running; request #{request_id} waits.")
        raise NoServerError(
            f"{doing}: your request #{request_id} waits in the team store and is carried out "
            "when the Sync Monitor server (syncmonitor daemon) starts.",
            "Start the server, or ask its administrator to.",
        )
    _tell(desktop, f"{doing}: sent to the team server (request #{request_id})…")
    try:
        request = await _until_done(database, request_id)
    except UserFacingError as exc:
        _tell(desktop, f"{doing}: {exc.message}")
        raise
    if request.ok:
        _tell(desktop, f"{doing}: done by the team server. {request.result or ''}".strip())
        return Done(request.result or "", dict(request.answer or {}))
    answer = request.answer or {}
    if request.state == team_requests.CANCELLED:
        message = request.result or "The request was withdrawn."
    else:
        message = str(answer.get("error_message") or request.result or "")
    _tell(desktop, f"{doing}: failed on the team server: {message}")
    error = RequestFailedError(message)
    if answer.get("error_title"):
        error.title = str(answer["error_title"])
    raise error
