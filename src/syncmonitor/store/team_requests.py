"""The request queue in a team store: desktops add, the server's daemon claims and finishes.

Claiming uses FOR UPDATE SKIP LOCKED on PostgreSQL, so even two claimers never take one request;
in practice one daemon claims (it holds the store's sync lock). A NOTIFY on the channel
`syncmonitor_requests` wakes a listening daemon at once; it also polls, so none is lost.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, insert, select, text, update

from syncmonitor.store.dialect import is_postgresql
from syncmonitor.store.runs import INTERRUPTED_TITLE, run_of_trigger
from syncmonitor.store.team_schema import team_requests

CHANNEL = "syncmonitor_requests"
REQUEST_LOCK_CLASS = 0x534D5251  # "SMRQ": pg_advisory_xact_lock(class, key) while sending one
# A desktop's request is untrusted input: a payload longer than this is refused unread (the
# largest real one, a mapping set of a few hundred rules, is a few tens of kB).
MAX_PAYLOAD_CHARS = 256 * 1024
WAITING, RUNNING, DONE, FAILED, CANCELLED = "waiting", "running", "done", "failed", "cancelled"
FINISHED = (DONE, FAILED, CANCELLED)


@dataclass(frozen=True)
class Request:
    id: int
    action: str
    payload: dict[str, Any]
    requested_by: str
    requested_at: str
    state: str
    claimed_by: str | None
    attempts: int
    finished_at: str | None
    ok: bool | None
    result: str | None
    answer: dict[str, Any] | None = None  # what the handler returned beyond words
    malformed: str | None = None  # why the payload cannot be read (then `payload` is empty)

    @property
    def finished(self) -> bool:
        return self.state in FINISHED

    @property
    def trigger(self) -> str:
        """The sync_runs trigger of a run made for this request (how a re-claim finds it)."""
        return f"request:{self.id}"


def _payload(raw: str | None) -> tuple[dict[str, Any], str | None]:
    """The payload as a dict, or why it is not one (never raises: a desktop wrote it)."""
    if raw is not None and len(raw) > MAX_PAYLOAD_CHARS:
        return {}, (
            f"The request is {len(raw):,} characters long, more than the {MAX_PAYLOAD_CHARS:,} "
            "a request may carry, so the server did not read it."
        )
    try:
        value = json.loads(raw or "{}")
    except ValueError as exc:
        return {}, f"The request's details are not valid JSON ({exc})."
    if not isinstance(value, dict):
        return {}, "The request's details are not a JSON object."
    return value, None


def _answer(raw: str | None) -> dict[str, Any] | None:
    try:
        value = json.loads(raw) if raw else None
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _request(row: Any) -> Request:
    payload, malformed = _payload(row.payload)
    return Request(
        id=int(row.id),
        action=row.action,
        payload=payload,
        requested_by=row.requested_by,
        requested_at=row.requested_at,
        state=row.state,
        claimed_by=row.claimed_by,
        attempts=int(row.attempts or 0),
        finished_at=row.finished_at,
        ok=None if row.ok is None else bool(row.ok),
        result=row.result,
        answer=_answer(row.answer),
        malformed=malformed,
    )


def pending_like(conn: Connection, action: str, payload: dict[str, Any]) -> int | None:
    """A request for the same action with the same details, not finished yet (a second click on
    Fix name joins the first instead of sending it twice). On PostgreSQL two desktops asking at
    the same moment are taken one after the other (a lock for this transaction, on these
    details), so the second sees the first's request."""
    details = json.dumps(payload, sort_keys=True)
    if is_postgresql(conn):
        key = zlib.crc32(f"{action}\n{details}".encode()) - 2**31  # a signed int4
        conn.execute(
            text("SELECT pg_advisory_xact_lock(:c, :k)"), {"c": REQUEST_LOCK_CLASS, "k": key}
        )
    found = conn.execute(
        select(team_requests.c.id)
        .where(
            team_requests.c.action == action,
            team_requests.c.payload == details,
            team_requests.c.state.in_((WAITING, RUNNING)),
        )
        .order_by(team_requests.c.id)
        .limit(1)
    ).scalar_one_or_none()
    return None if found is None else int(found)


def add_request(
    conn: Connection,
    action: str,
    payload: dict[str, Any],
    requested_by: str,
    at: str,
    *,
    raw_payload: str | None = None,
) -> int:
    """Queue a request; returns its id (a listening daemon is woken on commit). `raw_payload`
    is written as it is instead of `payload` (tests of what a broken desktop may send)."""
    new_id = conn.execute(
        insert(team_requests)
        .values(
            action=action,
            payload=raw_payload if raw_payload is not None else json.dumps(payload, sort_keys=True),
            requested_by=requested_by,
            requested_at=at,
            state=WAITING,
            attempts=0,
        )
        .returning(team_requests.c.id)
    ).scalar_one()
    if is_postgresql(conn):
        conn.execute(text("SELECT pg_notify(:c, :p)"), {"c": CHANNEL, "p": str(new_id)})
    return int(new_id)


def get_request(conn: Connection, request_id: int) -> Request | None:
    row = conn.execute(select(team_requests).where(team_requests.c.id == request_id)).first()
    return None if row is None else _request(row)


def recent_requests(conn: Connection, limit: int = 50) -> list[Request]:
    rows = conn.execute(select(team_requests).order_by(team_requests.c.id.desc()).limit(limit))
    return [_request(r) for r in rows]


def waiting_count(conn: Connection) -> int:
    return int(
        conn.execute(
            select(func.count()).select_from(team_requests).where(team_requests.c.state == WAITING)
        ).scalar_one()
    )


def claim_next(conn: Connection, claimer: str, at: str) -> Request | None:
    """The oldest waiting request, now running for `claimer` (in the caller's transaction)."""
    query = (
        select(team_requests.c.id)
        .where(team_requests.c.state == WAITING)
        .order_by(team_requests.c.id)
        .limit(1)
    )
    if is_postgresql(conn):
        query = query.with_for_update(skip_locked=True)
    found = conn.execute(query).scalar_one_or_none()
    if found is None:
        return None
    conn.execute(
        update(team_requests)
        .where(team_requests.c.id == found, team_requests.c.state == WAITING)
        .values(
            state=RUNNING,
            claimed_by=claimer,
            claimed_at=at,
            attempts=team_requests.c.attempts + 1,
        )
    )
    return get_request(conn, int(found))


def left_running(conn: Connection) -> list[Request]:
    """Requests a daemon claimed and never finished (it died): for the lock's new holder."""
    rows = conn.execute(
        select(team_requests).where(team_requests.c.state == RUNNING).order_by(team_requests.c.id)
    )
    return [_request(r) for r in rows]


def requeue(conn: Connection, request_id: int) -> None:
    conn.execute(
        update(team_requests)
        .where(team_requests.c.id == request_id, team_requests.c.state == RUNNING)
        .values(state=WAITING, claimed_by=None, claimed_at=None)
    )


def finish(
    conn: Connection,
    request_id: int,
    *,
    ok: bool,
    result: str,
    at: str,
    answer: dict[str, Any] | None = None,
) -> None:
    """Record the outcome; a request already finished is left as it is (never finished twice)."""
    conn.execute(
        update(team_requests)
        .where(team_requests.c.id == request_id, team_requests.c.state.not_in(FINISHED))
        .values(
            state=DONE if ok else FAILED,
            ok=ok,
            result=result,
            finished_at=at,
            answer=None if answer is None else json.dumps(answer, sort_keys=True),
        )
    )


def cancel_waiting(conn: Connection, request_id: int, at: str) -> bool:
    """Withdraw a request the server has not started; False when it already has."""
    done = conn.execute(
        update(team_requests)
        .where(team_requests.c.id == request_id, team_requests.c.state == WAITING)
        .values(
            state=CANCELLED, ok=False, result="Withdrawn before the server began.", finished_at=at
        )
    )
    return bool(done.rowcount)


def finished_run_for(conn: Connection, request: Request) -> dict[str, Any] | None:
    """The finished sync run made for `request`, if a previous claimer got that far."""
    run = run_of_trigger(conn, request.trigger)
    if run is None or run["outcome"] == "running" or run["error_title"] == INTERRUPTED_TITLE:
        return None  # never started, or cut short: the sync runs again (it is crash-safe)
    return run
