"""The queue as the team server read it: its snapshot kept in the store, and a watching desktop's
view of it.

In team mode the server's daemon is the one process that talks to the remotes, so it is the one
that reads the queue (engine.runs.daemon_queue). After every poll it writes the whole snapshot
(`encode`) into the store; a watching desktop reads it back (`ServerQueue`) every few seconds,
with no Workbooks or Spotler credentials of its own, and shows how old the reading is.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from syncmonitor.app.config import MailshotSettings
from syncmonitor.app.errors import UserFacingError
from syncmonitor.domain.mailshots.queue import (
    IntegrationFacts,
    MailshotFacts,
    Problem,
    QueueItem,
    QueueSnapshot,
    QueueState,
    ReadState,
)
from syncmonitor.domain.mailshots.rules import ApiKeyFacts
from syncmonitor.domain.mailshots.statuses import StatusMeanings, StatusRole
from syncmonitor.domain.timestamps import format_iso, utc_now
from syncmonitor.engine.mailshots.checks import load_meanings
from syncmonitor.engine.mailshots.monitor import PollResult
from syncmonitor.store.database import Database
from syncmonitor.store.mailshots import load_server_reading, save_server_reading

WATCH_POLL_S = 3.0  # issue 18: a watching desktop shows every page live, polling at most every 5 s
FORMAT = 1


def _t(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None  # to the microsecond


def _back_t(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _problem(p: Problem) -> dict[str, Any]:
    return {"code": p.code, "message": p.message, "blocking": p.blocking}


def _item(item: QueueItem) -> dict[str, Any]:
    f = item.facts
    return {
        "facts": {
            "id": f.id,
            "name": f.name,
            "status": f.status,
            "mailing_list_id": f.mailing_list_id,
            "audience": f.audience,
            "queued_at": _t(f.queued_at),
            "deleted": f.deleted,
            "campaign_id": f.campaign_id,
            "arrived_at": _t(f.arrived_at),
            "role": f.role.value,
            "matched_by": f.matched_by,
            "subject": f.subject,
            "remarks": list(f.remarks),
        },
        "state": item.state.value,
        "position": item.position,
        "waiting_s": item.waiting_s,
        "eta_s": item.eta_s,
        "eta_note": item.eta_note,
        "problems": [_problem(p) for p in item.problems],
    }


def encode(snapshot: QueueSnapshot, by: str = "") -> str:
    """The whole snapshot as text for the store (every figure the Queue page shows)."""
    key, integration = snapshot.key, snapshot.integration
    data = {
        "format": FORMAT,
        "by": by,
        "taken_at": _t(snapshot.taken_at),
        "items": [_item(i) for i in snapshot.items],
        "key": (
            {
                "name": key.name,
                "enabled": key.enabled,
                "valid_from": _t(key.valid_from),
                "valid_until": _t(key.valid_until),
                "source": key.source,
                "recorded_on": _t(key.recorded_on),
            }
            if key is not None
            else None
        ),
        "integration": (
            {
                "running": integration.running,
                "source": integration.source,
                "checked_at": _t(integration.checked_at),
            }
            if integration is not None
            else None
        ),
        "queue_problem": _problem(snapshot.queue_problem) if snapshot.queue_problem else None,
        "throughput": snapshot.throughput,
        "notes": [_problem(n) for n in snapshot.notes],
        "reads": [
            {
                "name": r.name,
                "backs": r.backs,
                "ok": r.ok,
                "message": r.message,
                "last_ok_at": _t(r.last_ok_at),
            }
            for r in snapshot.reads
        ],
    }
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def _back_problem(d: dict[str, Any]) -> Problem:
    return Problem(str(d["code"]), str(d["message"]), bool(d.get("blocking", False)))


def _back_item(d: dict[str, Any]) -> QueueItem:
    f = d["facts"]
    try:
        role = StatusRole(f["role"])
    except ValueError:
        role = StatusRole.UNKNOWN
    facts = MailshotFacts(
        id=int(f["id"]),
        name=str(f["name"]),
        status=str(f["status"]),
        mailing_list_id=f["mailing_list_id"],
        audience=f["audience"],
        queued_at=_back_t(f["queued_at"]),
        deleted=bool(f["deleted"]),
        campaign_id=f["campaign_id"],
        arrived_at=_back_t(f["arrived_at"]),
        role=role,
        matched_by=f["matched_by"],
        subject=f["subject"],
        remarks=tuple(f["remarks"]),
    )
    return QueueItem(
        facts,
        QueueState(d["state"]),
        d["position"],
        d["waiting_s"],
        d["eta_s"],
        str(d["eta_note"]),
        tuple(_back_problem(p) for p in d["problems"]),
    )


def decode(text: str) -> tuple[QueueSnapshot, str]:
    """A snapshot written by `encode`, and who took it. Raises ValueError on anything else."""
    data = json.loads(text)
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError("not a queue reading this version of Sync Monitor knows")
    taken_at = _back_t(data["taken_at"])
    if taken_at is None:
        raise ValueError("a queue reading without its time")
    k, i = data["key"], data["integration"]
    key = (
        ApiKeyFacts(
            str(k["name"]),
            bool(k["enabled"]),
            _back_t(k["valid_from"]),
            _back_t(k["valid_until"]),
            str(k["source"]),
            _back_t(k["recorded_on"]),
        )
        if k is not None
        else None
    )
    integration = (
        IntegrationFacts(i["running"], str(i["source"]), _back_t(i["checked_at"]))
        if i is not None
        else None
    )
    snapshot = QueueSnapshot(
        items=tuple(_back_item(d) for d in data["items"]),
        taken_at=taken_at,
        key=key,
        integration=integration,
        queue_problem=_back_problem(data["queue_problem"]) if data["queue_problem"] else None,
        throughput=data["throughput"],
        notes=tuple(_back_problem(n) for n in data["notes"]),
        reads=tuple(
            ReadState(
                str(r["name"]),
                str(r["backs"]),
                bool(r["ok"]),
                str(r["message"]),
                _back_t(r["last_ok_at"]),
            )
            for r in data["reads"]
        ),
    )
    return snapshot, str(data.get("by") or "")


def record_reading(database: Database, snapshot: QueueSnapshot, by: str) -> None:
    """Write the server's latest reading into the store (blocking: the daemon's writer thread)."""
    text = encode(snapshot, by)
    with database.engine.begin() as conn:
        save_server_reading(conn, text, format_iso(snapshot.taken_at))


class WatchingOnlyError(UserFacingError):
    """An action on the queue from a desktop that only watches the team store."""

    title = "The team server acts on the queue"


class ServerQueue:
    """The queue on a watching desktop: what the team server last read, from the store.

    Stands in for a QueueMonitor in the window's poller (`poll_once`, `refresh_mailshot`,
    `settings`, `aclose`); it asks no remote. `recorded_by` and `snapshot.taken_at` say whose
    reading it is and how old."""

    watching = True

    def __init__(self, database: Database) -> None:
        self.database = database
        self.settings = MailshotSettings(WATCH_POLL_S, WATCH_POLL_S)
        self.snapshot: QueueSnapshot | None = None
        self.recorded_by = ""
        self.meanings = StatusMeanings({})
        self.busy = False
        self.unreachable_since: datetime | None = None

    def read(self) -> PollResult:
        """The server's last reading (blocking; the poller runs it off the event loop). A store
        that does not answer keeps the last reading on screen, with a note saying since when."""
        try:
            with self.database.engine.connect() as conn:
                text = load_server_reading(conn)
                self.meanings = load_meanings(conn)
        except (SQLAlchemyError, UserFacingError, OSError) as exc:
            return PollResult(self._unreachable(exc), [], WATCH_POLL_S)
        self.unreachable_since = None
        if text is None:
            return PollResult(_nothing_yet(), [], WATCH_POLL_S)
        try:
            snapshot, by = decode(text)
        except (ValueError, KeyError, TypeError):
            return PollResult(_unreadable(), [], WATCH_POLL_S)
        self.snapshot, self.recorded_by = snapshot, by
        return PollResult(snapshot, [], WATCH_POLL_S)

    def _unreachable(self, exc: BaseException) -> QueueSnapshot:
        now = utc_now()
        if self.unreachable_since is None:
            self.unreachable_since = now
        why = exc.message if isinstance(exc, UserFacingError) else type(exc).__name__
        note = Problem(
            "store_unreachable",
            f"The team store cannot be reached since {self.unreachable_since:%H:%M} UTC ({why}): "
            "the queue shown is the server's last reading this desktop got. It comes back by "
            "itself when the store answers.",
        )
        last = self.snapshot or _nothing_yet()
        return replace(last, notes=(note, *last.notes))

    async def poll_once(self) -> PollResult:
        return await asyncio.to_thread(self.read)

    async def refresh_mailshot(self, mailshot_id: int) -> PollResult:
        return await self.poll_once()

    def requests_made(self) -> int:
        return 0  # never a remote

    def status_meanings(self) -> StatusMeanings:
        return self.meanings

    async def aclose(self) -> None:
        return None

    @staticmethod
    def refuse(doing: str) -> WatchingOnlyError:
        return WatchingOnlyError(
            f"This desktop watches the team store, and the server's daemon is the one that "
            f"reads the queue and talks to Workbooks and Spotler, so {doing} is not done here.",
            "Do it on the server (or in Workbooks itself); this page shows the server's readings.",
        )


def server_said(result: PollResult, by: str) -> PollResult:
    """The reading with a first note saying whose it is and when it was taken (for the command
    line, which shows no freshness of its own)."""
    snapshot = result.snapshot
    if not snapshot.reads:  # nothing read yet: its own note says so
        return result
    who = f" ({by})" if by else ""
    note = Problem(
        "server_reading",
        f"Read by the team server{who} at {format_iso(snapshot.taken_at)}: this desktop shows "
        "the server's readings and asks no remote itself.",
    )
    return replace(result, snapshot=replace(snapshot, notes=(note, *snapshot.notes)))


def _nothing_yet() -> QueueSnapshot:
    note = Problem(
        "server_not_read",
        "The team server has not read the GatorMail queue yet: its daemon reads it when "
        "Workbooks and Spotler are set up in the server's configuration.",
    )
    return QueueSnapshot((), utc_now(), None, None, None, None, notes=(note,))


def _unreadable() -> QueueSnapshot:
    note = Problem(
        "server_reading_unknown",
        "The team server's last queue reading was written by another version of Sync Monitor "
        "and cannot be shown here. Update this desktop to the server's version.",
    )
    return QueueSnapshot((), utc_now(), None, None, None, None, notes=(note,))
