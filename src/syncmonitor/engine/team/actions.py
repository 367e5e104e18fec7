"""The team server's handlers for a watching desktop's actions (besides syncs): the mailshot
queue's Fix name, retry and cancel; saving the mappings and the two-way scope; dismissing an
issue and a deleted record's actions; counting a scope and the mapping editors' remote reads.

Each handler checks its request's details before it does anything: a desktop's request is
untrusted input (another version, a broken or hostile client). A bad id, a missing or oversize
value, fails the request with a BadRequestError saying what was wrong; nothing is done. The
server does the action through the same engine services a one-person desktop uses, with its own
secrets and remotes.

Which may run again after a crash (recover.py): saves, a dismiss, a count and a refresh leave
the same as doing them once; Fix name, retry, cancel, a deleted record's action and creating a
stage may have reached a remote, so one cut short is failed, never sent again by the server.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from syncmonitor.domain.mappings.files import from_json as mappings_from_json
from syncmonitor.domain.scope import ScopeFilter
from syncmonitor.domain.scope import from_json as scope_from_json
from syncmonitor.domain.timestamps import parse_iso
from syncmonitor.engine.mailshots.actions import ActionOutcome
from syncmonitor.engine.mailshots.monitor import QueueMonitor
from syncmonitor.engine.runs.service import SyncService
from syncmonitor.engine.services.issues import HazardAction, IssuesService
from syncmonitor.engine.services.mappings import MappingsService
from syncmonitor.engine.services.queue import QueueService
from syncmonitor.engine.services.two_way import TwoWayService
from syncmonitor.engine.team.recover import REPEATABLE_ACTIONS
from syncmonitor.engine.team.server import BadRequestError, Outcome, RequestServer
from syncmonitor.store.issues_schema import sync_issues
from syncmonitor.store.team_requests import Request

MAX_NAME = 255  # a mailshot's or a stage's name
MAX_CONDITIONS = 100
MAX_ISSUES = 20_000  # one Dismiss all: 20,000 ids of 7 digits fit in a request (256 kB)
HAZARD_KINDS = ("person", "organisation", "opportunity")
MonitorSource = Callable[[], QueueMonitor | None]
QueueTurn = Callable[[Callable[[QueueMonitor], Awaitable[ActionOutcome]]], Awaitable[ActionOutcome]]


def record_id(request: Request, key: str) -> int:
    """A positive whole-number id from the request's details, or a clear refusal."""
    value = request.payload.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**63:
        raise BadRequestError(
            f"The request's {key!r} must be a positive whole number (an id), not {value!r:.60}.",
            "Nothing was done.",
        )
    return value


def a_bool(request: Request, key: str) -> bool:
    value = request.payload.get(key)
    if not isinstance(value, bool):
        raise BadRequestError(
            f"The request's {key!r} must be true or false, not {value!r:.60}.",
            "Nothing was recorded.",
        )
    return value


def short_text(request: Request, key: str, limit: int = MAX_NAME) -> str:
    value = request.payload.get(key)
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise BadRequestError(
            f"The request's {key!r} must be a text of 1 to {limit} characters.",
            "Nothing was done.",
        )
    return value


def scope_of(request: Request) -> ScopeFilter:
    """The scope in the request, checked strictly (the stored reader forgives; this does not)."""
    raw = request.payload.get("scope")
    wrong = BadRequestError(
        "The request's scope is not a valid two-way scope.", "Nothing was done."
    )
    if not isinstance(raw, dict):
        raise wrong
    conditions = raw.get("conditions", [])
    if (
        not isinstance(raw.get("mine", True), bool)
        or not isinstance(raw.get("match_all", True), bool)
        or not (raw.get("me") is None or type(raw.get("me")) is int)
        or not isinstance(conditions, list)
        or len(conditions) > MAX_CONDITIONS
        or not all(
            isinstance(c, dict)
            and all(isinstance(c.get(k, ""), str) and len(c.get(k, "")) <= 1000 for k in c)
            and isinstance(c.get("field"), str)
            and isinstance(c.get("operator"), str)
            for c in conditions
        )
    ):
        raise wrong
    return scope_from_json(json.dumps(raw))


@dataclass
class ServerActions:
    """The handlers, over the server's own services."""

    service: SyncService
    queue_monitor: MonitorSource | None = None
    # The daemon's turn on its queue monitor (DaemonQueue.act): an action waits for a poll under
    # way, and the reading after it is recorded for the watching desktops.
    queue_turn: QueueTurn | None = None

    def __post_init__(self) -> None:
        db = self.service.database
        self.mappings = MappingsService(db, self.service)
        self.issues = IssuesService(db, self.service)
        self.two_way = TwoWayService(db, self.service)
        self.queue = QueueService(db, self.service)
        self._own_monitor: QueueMonitor | None = None

    def register(self, server: RequestServer) -> None:
        for action, handler in (
            ("queue_fix_name", self.fix_name),
            ("queue_retry", self.retry),
            ("queue_cancel", self.cancel),
            ("queue_key_check", self.key_check),
            ("queue_integration_check", self.integration_check),
            ("save_mappings", self.save_mappings),
            ("dismiss_issue", self.dismiss_issue),
            ("dismiss_issues", self.dismiss_issues),
            ("hazard_action", self.hazard_action),
            ("save_scope", self.save_scope),
            ("count_scope", self.count_scope),
            ("refresh_sources", self.refresh_sources),
            ("create_stage", self.create_stage),
            ("read_samples", self.read_samples),
        ):  # which may run again after a crash: one list, for the lock's recovery too
            server.register(action, handler, repeatable=action in REPEATABLE_ACTIONS)

    # -- the mailshot queue ----------------------------------------------------------------------

    def monitor(self) -> QueueMonitor:
        """The daemon's queue monitor when it runs one; else one of the server's own (opening it
        raises a UserFacingError when Workbooks or Spotler is not set up on the server)."""
        found = self.queue_monitor() if self.queue_monitor is not None else None
        if found is not None:
            return found
        if self._own_monitor is None:
            opened = self.queue.open_monitor(None)  # the server's: never a ServerQueue
            self._own_monitor = opened if isinstance(opened, QueueMonitor) else None
        if self._own_monitor is None:
            raise BadRequestError(
                "The server has no Workbooks or Spotler configured, so it cannot act on the "
                "mailshot queue.",
                "Configure [workbooks] and [spotler] on the server (docs/team-mode.md).",
            )
        return self._own_monitor

    async def _on_queue(
        self, action: Callable[[QueueMonitor], Awaitable[ActionOutcome]]
    ) -> Outcome:
        monitor = self.monitor()
        daemons = self.queue_monitor() if self.queue_monitor is not None else None
        if self.queue_turn is not None and daemons is monitor:  # the daemon's: between its polls
            outcome = await self.queue_turn(action)
        else:
            outcome = await action(monitor)
        return True, outcome.message, {"copy_id": outcome.copy_id}

    async def fix_name(self, request: Request) -> Outcome:
        mailshot, name = record_id(request, "mailshot"), short_text(request, "name")
        return await self._on_queue(lambda m: self.queue.fix_name(m, mailshot, name))

    async def retry(self, request: Request) -> Outcome:
        mailshot = record_id(request, "mailshot")
        return await self._on_queue(lambda m: self.queue.retry(m, mailshot))

    async def cancel(self, request: Request) -> Outcome:
        mailshot = record_id(request, "mailshot")
        return await self._on_queue(lambda m: self.queue.cancel(m, mailshot))

    async def key_check(self, request: Request) -> Outcome:
        """What an admin saw of the GatorMail API key in Workbooks (no API reads it)."""
        enabled = a_bool(request, "enabled")
        until_text = request.payload.get("until")
        until = parse_iso(until_text) if isinstance(until_text, str) else None
        if until_text is not None and until is None:
            raise BadRequestError(
                f"The request's 'until' must be a date and time or empty, not {until_text!r:.60}.",
                "Nothing was recorded.",
            )

        async def record(monitor: QueueMonitor) -> ActionOutcome:
            await monitor.record_key_check(until, enabled)
            return ActionOutcome("The server recorded the API key check.", None)

        return await self._on_queue(record)

    async def integration_check(self, request: Request) -> Outcome:
        """What an admin saw of 'Integration running' in GatorMail."""
        running = a_bool(request, "running")

        async def record(monitor: QueueMonitor) -> ActionOutcome:
            await monitor.record_integration_check(running)
            return ActionOutcome("The server recorded the integration check.", None)

        return await self._on_queue(record)

    # -- mappings --------------------------------------------------------------------------------

    async def save_mappings(self, request: Request) -> Outcome:
        text = request.payload.get("mappings")
        if not isinstance(text, str):
            raise BadRequestError("The request carries no mappings to save.", "Nothing was saved.")
        mappings = mappings_from_json(text, "The request's mappings")  # refuses a bad set
        saved = await self.mappings.save_async(mappings, None)
        rules = sum(len(s.rules) for s in saved.status.values())
        return True, f"The mappings were saved by the server ({rules} status rules)."

    async def refresh_sources(self, request: Request) -> Outcome:
        report = await self.mappings.refresh_sources()
        return True, report.summary, {"read": report.read, "errors": report.errors}

    async def create_stage(self, request: Request) -> Outcome:
        stage = await self.mappings.create_stage(short_text(request, "name"))
        answer = {"id": stage.id, "name": stage.name, "order": stage.order}
        return True, f"Stage {stage.name!r} was created in Outreach by the server.", answer

    async def read_samples(self, request: Request) -> Outcome:
        count = await self.mappings.read_samples()
        return True, f"The server read {count} sample records.", {"count": count}

    # -- issues and the two-way sync -------------------------------------------------------------

    async def dismiss_issue(self, request: Request) -> Outcome:
        issue = record_id(request, "issue")
        if not await _issue_exists(self.issues, issue):
            raise BadRequestError(f"Issue #{issue} is not in the team store.", "Nothing was done.")
        await self.issues.dismiss(issue)
        return True, f"Issue #{issue} was dismissed."

    async def dismiss_issues(self, request: Request) -> Outcome:
        """A whole group of issues (Dismiss all): the ids that exist are dismissed."""
        ids = request.payload.get("issues")
        if (
            not isinstance(ids, list)
            or not 0 < len(ids) <= MAX_ISSUES
            or not all(type(i) is int and 0 < i < 2**63 for i in ids)
        ):
            raise BadRequestError(
                f"The request's 'issues' must be a list of 1 to {MAX_ISSUES:,} issue ids.",
                "Nothing was done.",
            )

        count = await self.issues.dismiss_many([int(i) for i in ids])
        return True, f"{count} issue(s) were dismissed.", {"dismissed": count}

    async def hazard_action(self, request: Request) -> Outcome:
        kind = request.payload.get("kind")
        if kind not in HAZARD_KINDS:
            raise BadRequestError(f"{kind!r:.40} is not a kind of record Sync Monitor syncs.", "")
        crm_id = record_id(request, "crm_id")
        try:
            action = HazardAction(str(request.payload.get("action")))
        except ValueError:
            raise BadRequestError(
                f"{request.payload.get('action')!r:.40} is not an action on a deleted record.", ""
            ) from None
        hazard = await _open_hazard(self.issues, str(kind), crm_id)
        if hazard is None:
            raise BadRequestError(
                f"The {kind} {crm_id} has no open delete warning (it was handled already).",
                "Nothing was done.",
            )
        await self.issues.act_on_hazard(hazard, action)
        return True, f"The {kind} {crm_id}'s deletion was handled: {action.value}."

    async def save_scope(self, request: Request) -> Outcome:
        await self.two_way.write_scope(scope_of(request))
        return True, "The two-way scope was saved by the server."

    async def count_scope(self, request: Request) -> Outcome:
        count = await self.two_way.count_scope(scope_of(request))
        return True, f"The scope matches {count} Workbooks people.", {"count": count}


async def _issue_exists(issues: IssuesService, issue_id: int) -> bool:
    def read() -> bool:
        with issues.database.engine.connect() as conn:
            query = select(sync_issues.c.id).where(sync_issues.c.id == issue_id)
            return conn.execute(query).first() is not None

    return await asyncio.to_thread(read)


async def _open_hazard(issues: IssuesService, kind: str, crm_id: int) -> Any:
    return await asyncio.to_thread(issues.open_hazard, kind, crm_id)
