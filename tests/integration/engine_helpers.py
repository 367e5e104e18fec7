"""Helpers for the engine's end-to-end tests: a SyncService on a sandbox, what the sandbox really
holds (read over its own APIs, not through the connectors), and snapshots of the cache to compare.

The expected Workbooks fields come from the sandbox's Outreach answers and the rule in
`syncmonitor.domain.person_state`, never from the cache the engine wrote, so an engine that writes
the wrong thing cannot agree with itself.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Engine, select

import loopback_http
from store_backends import open_cache
from syncmonitor.app.config import Config, OutreachSettings, WorkbooksSettings
from syncmonitor.connectors.http.retry import RetryPolicy
from syncmonitor.connectors.outreach.auth import RefreshingBearer
from syncmonitor.domain.person_state import CurrentSequenceState, person_fields
from syncmonitor.domain.states import ResolvedState, resolve_outreach
from syncmonitor.engine.runs.events import RunResult, SyncProgress
from syncmonitor.engine.runs.service import Remotes, SyncService
from syncmonitor.engine.team.lock import lock_for
from syncmonitor.sandbox.admin import AdminClient
from syncmonitor.sandbox.process import SandboxEndpoints
from syncmonitor.store.database import Database
from syncmonitor.store.runs import get_cursor, recent_runs
from syncmonitor.store.schema import (
    prospects,
    push_outbox,
    sequence_states,
    state_history,
    workbooks_people,
)

# Short waits so that faults cost milliseconds, not the default half-second backoffs.
FAST_RETRY = RetryPolicy(
    max_attempts=3,
    base_delay=0.01,
    max_delay=0.05,
    max_wait_for_rate_limit=5.0,
    redirect_delay=0.01,
)
WATERMARK = "outreach.sequenceStates.updatedAt"
PARKED_ATTEMPTS = 3  # workbooks_push.PARKED: a person no Workbooks record matches
FIRST_PERSON_ID = 10001
SEQUENCE_STATE = "cf_person_sequence_state"
STATE_UPDATED_AT = "cf_person_sequence_state_updated_at"
OUTREACH_ID = "cf_person_outreach_id"
NO_EMAIL = "no_email_soliciting"
EMAIL = "main_location[email]"


# -- running the engine -------------------------------------------------------------------------


@dataclass
class Harness:
    """A SyncService with its own cache folder, pointed at one sandbox."""

    endpoints: SandboxEndpoints
    admin: AdminClient
    service: SyncService
    database: Database
    folder: Path

    @property
    def engine(self) -> Engine:
        return self.database.engine

    def sync(self, progress: Callable[[SyncProgress], None] | None = None) -> RunResult:
        return asyncio.run(self.service.sync_once(trigger="forced", progress=progress))

    def close(self) -> None:
        self.database.close()


def make_harness(
    endpoints: SandboxEndpoints,
    folder: Path,
    *,
    page_size: int = 50,
    retry_policy: RetryPolicy | None = FAST_RETRY,
    outreach_token: str | None = None,
    workbooks_api_key: str | None = None,
    push_enabled: bool = True,
    outreach_auth: RefreshingBearer | None = None,
    two_way: bool = False,
) -> Harness:
    """A fresh cache in `folder` and a service reaching the sandbox with its real credentials
    unless others are given."""
    folder.mkdir(parents=True, exist_ok=True)
    database = open_cache(folder)  # SQLite, or PostgreSQL under the `store_backend` fixture
    config = Config(
        outreach=OutreachSettings(base_url=endpoints.outreach_base_url, page_size=page_size),
        workbooks=WorkbooksSettings(
            base_url=endpoints.workbooks_base_url,
            push_enabled=push_enabled,
            two_way_enabled=two_way,  # the two-way sync's own tests turn it on
        ),
    )
    remotes = Remotes(
        endpoints.outreach_base_url,
        None if outreach_auth else (outreach_token or endpoints.outreach_token),
        endpoints.workbooks_base_url,
        workbooks_api_key or endpoints.workbooks_api_key,
        outreach_auth=outreach_auth,
    )
    service = SyncService(
        config,
        database,
        remotes,
        lock=lock_for(database, folder / "sync.lock"),
        sandbox_mode=False,
        retry_policy=retry_policy,
    )
    return Harness(endpoints, AdminClient(endpoints.admin_url), service, database, folder)


@contextlib.contextmanager
def harness(endpoints: SandboxEndpoints, folder: Path, **options: Any) -> Iterator[Harness]:
    h = make_harness(endpoints, folder, **options)
    try:
        yield h
    finally:
        h.admin.close()
        h.close()


def fault_after(admin: AdminClient, phase: str, after: int, **faults: Any) -> FaultAfter:
    """A progress callback that switches `faults` on once the run has reported `phase` progress
    `after` times: for "outreach" that is after `after` pages were read, so the next page meets
    the fault; for "workbooks-push" after that many batches of people were pushed."""
    return FaultAfter(admin, phase, after, faults)


class FaultAfter:
    """See `fault_after`. `requests_before` holds the requests served when the fault went on."""

    def __init__(self, admin: AdminClient, phase: str, after: int, faults: dict[str, Any]) -> None:
        self.admin, self.phase, self.after, self.faults = admin, phase, after, faults
        self.seen = 0
        self.requests_before: dict[str, int] | None = None

    @property
    def fired(self) -> bool:
        return self.requests_before is not None

    def __call__(self, report: SyncProgress) -> None:
        if report.phase != self.phase or self.fired:
            return
        self.seen += 1
        if self.seen >= self.after:
            self.requests_before = requests_made(self.admin)
            self.admin.set_faults(**self.faults)


def requests_made(admin: AdminClient) -> dict[str, int]:
    """Requests the sandbox has served per service so far."""
    counts: dict[str, int] = admin.stats()["requests"]
    return {"outreach": counts.get("outreach", 0), "workbooks": counts.get("workbooks", 0)}


def last_recorded_run(engine: Engine) -> dict[str, Any]:
    with engine.connect() as conn:
        runs = recent_runs(conn, 1)
    assert runs, "no run was recorded in sync_runs"
    return runs[0]


# -- what the sandbox holds, read over its own APIs ---------------------------------------------


@dataclass(frozen=True)
class OutreachState:
    id: int
    prospect_id: int
    sequence_id: int | None
    step_id: int | None
    raw: str
    state_changed_at: str | None
    updated_at: str
    resolved: ResolvedState


@dataclass(frozen=True)
class OutreachProspect:
    id: int
    email: str
    opted_out: bool
    person_id: int  # externalId: the Workbooks person this prospect is


@dataclass
class OutreachWorld:
    states: dict[int, OutreachState] = field(default_factory=dict)
    prospects: dict[int, OutreachProspect] = field(default_factory=dict)

    def states_of(self, prospect_id: int) -> list[OutreachState]:
        return sorted(
            (s for s in self.states.values() if s.prospect_id == prospect_id), key=lambda s: s.id
        )

    def expected_fields(self, prospect_id: int) -> tuple[str, datetime | None, bool]:
        """(Sequence State, State Updated At, No Email) the Workbooks person should carry, by the
        rule in domain/person_state.py applied to what Outreach says."""
        states = [
            CurrentSequenceState(s.id, "", s.resolved, _iso(s.state_changed_at))
            for s in self.states_of(prospect_id)
        ]
        fields = person_fields(states, prospect_opted_out=self.prospects[prospect_id].opted_out)
        return fields.sequence_state, fields.state_updated_at, fields.no_email


def _iso(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def _outreach_pages(endpoints: SandboxEndpoints, collection: str) -> Iterator[dict[str, Any]]:
    with loopback_http.client(
        headers={
            "Authorization": f"Bearer {endpoints.outreach_token}",
            "Content-Type": "application/vnd.api+json",
        },
        timeout=30,
    ) as client:
        url: str | None = f"{endpoints.outreach_base_url}/{collection}?page[size]=1000"
        while url:
            response = client.get(url)
            response.raise_for_status()
            doc = response.json()
            yield from doc["data"]
            url = doc.get("links", {}).get("next")


def _rel_id(resource: dict[str, Any], name: str) -> int | None:
    data = (resource.get("relationships", {}).get(name) or {}).get("data")
    return int(data["id"]) if data else None


def read_outreach(endpoints: SandboxEndpoints) -> OutreachWorld:
    """Every sequence state and prospect the sandbox's Outreach serves right now."""
    world = OutreachWorld()
    for r in _outreach_pages(endpoints, "sequenceStates"):
        a = r["attributes"]
        world.states[r["id"]] = OutreachState(
            id=r["id"],
            prospect_id=_rel_id(r, "prospect") or 0,
            sequence_id=_rel_id(r, "sequence"),
            step_id=_rel_id(r, "sequenceStep"),
            raw=a["state"],
            state_changed_at=a["stateChangedAt"],
            updated_at=a["updatedAt"],
            resolved=resolve_outreach(
                a["state"],
                pause_reason=a.get("pauseReason"),
                reply_count=a.get("replyCount"),
                bounce_count=a.get("bounceCount"),
                opt_out_count=a.get("optOutCount"),
            ),
        )
    for r in _outreach_pages(endpoints, "prospects"):
        a = r["attributes"]
        world.prospects[r["id"]] = OutreachProspect(
            id=r["id"],
            email=(a["emails"] or [""])[0],
            opted_out=bool(a["optedOut"]),
            person_id=int(a["externalId"]),
        )
    return world


def workbooks_datetime(text: str | None) -> datetime | None:
    """A Workbooks datetime ("Fri May 15 14:36:54 UTC 2009"), parsed here, not by the app."""
    if not text:
        return None
    return datetime.strptime(text, "%a %b %d %H:%M:%S UTC %Y").replace(tzinfo=UTC)


def read_people(admin: AdminClient, count: int) -> dict[int, dict[str, Any]]:
    """Every stored Workbooks person (deleted ones too), as the sandbox keeps them."""
    stored = admin.people()  # one request (one per person made crash safety's rounds 30% longer)
    return {i: stored[i] for i in range(FIRST_PERSON_ID, FIRST_PERSON_ID + count)}


def person_sequence_fields(person: dict[str, Any]) -> tuple[Any, datetime | None, bool]:
    return (
        person[SEQUENCE_STATE],
        workbooks_datetime(person[STATE_UPDATED_AT]),
        bool(person[NO_EMAIL]),
    )


def mismatches(
    world: OutreachWorld, people: dict[int, dict[str, Any]], prospect_ids: Any = None
) -> dict[int, tuple[Any, Any]]:
    """Live Workbooks people whose sequence fields differ from what the rule derives:
    {person id: (found, expected)}. No Email is checked where it must be set."""
    wrong: dict[int, tuple[Any, Any]] = {}
    for pid in world.prospects if prospect_ids is None else prospect_ids:
        prospect = world.prospects[pid]
        person = people[prospect.person_id]
        if person["is_deleted"] or not world.states_of(pid):
            continue
        state, when, no_email = world.expected_fields(pid)
        found = person_sequence_fields(person)
        expected_when = when.replace(microsecond=0) if when else found[1]
        if found[0] != state or found[1] != expected_when or (no_email and not found[2]):
            wrong[prospect.person_id] = (found, (state, expected_when, no_email))
    return wrong


# -- Workbooks set-up writes (raw API, not the app's connector) ----------------------------------


def workbooks_write(
    endpoints: SandboxEndpoints,
    objects: list[dict[str, Any]],
    method: str = "PUT",
    endpoint: str = "crm/people",
) -> dict[str, Any]:
    """Write people through the sandbox's Workbooks API: each object has `id` and
    `lock_version` (for PUT/DELETE) and fields; None empties a field."""
    names = sorted({k for o in objects for k in o if k not in ("id", "lock_version")})
    form: list[tuple[str, str]] = [
        ("api_key", endpoints.workbooks_api_key),
        ("_per_object_transactions", "true"),
        ("_fm", "or"),
    ]
    for o in objects:
        form += [("_ff[]", "id"), ("_ft[]", "eq"), ("_fc[]", str(o.get("id", 0)))]
    for o in objects:
        form += [
            ("__method[]", method),
            ("id[]", str(o.get("id", 0))),
            ("lock_version[]", str(o.get("lock_version", 0))),
        ]
        for name in names:
            value = o.get(name, ":no_value:")
            if value is None:
                value = ":null_value:"
            elif isinstance(value, bool):
                value = "1" if value else "0"
            form.append((f"{name}[]", str(value)))
    response = loopback_http.put(
        f"{endpoints.workbooks_base_url}/{endpoint}.api",
        content=urlencode(form).encode(),
        headers={
            "User-Agent": "syncmonitor-tests/1.0",
            "Content-Type": "application/x-www-form-urlencoded",
        },
        timeout=30,
    )
    response.raise_for_status()
    answer: dict[str, Any] = response.json()
    assert answer["success"], answer
    return answer


# -- the cache ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CacheSnapshot:
    """The cache's tables in a comparable form (ids and observed_at of history left out)."""

    sequence_states: list[tuple[Any, ...]]
    history: list[tuple[Any, ...]]
    prospects: list[tuple[Any, ...]]
    pending: list[int]  # people still to be pushed
    parked: list[int]  # people parked (no Workbooks person)
    workbooks_people: list[tuple[Any, ...]]
    watermark: str | None


def snapshot(engine: Engine) -> CacheSnapshot:
    h = state_history.c
    w = workbooks_people.c
    with engine.connect() as conn:
        outbox = conn.execute(select(push_outbox.c.prospect_id, push_outbox.c.attempts)).all()
        return CacheSnapshot(
            sequence_states=sorted(tuple(r) for r in conn.execute(select(sequence_states))),
            history=sorted(
                tuple(r)
                for r in conn.execute(
                    select(
                        h.provider,
                        h.sequence_state_id,
                        h.prospect_id,
                        h.sequence_id,
                        h.step_id,
                        h.raw_state,
                        h.state,
                        h.reason,
                        h.state_changed_at,
                    )
                )
            ),
            prospects=sorted(tuple(r) for r in conn.execute(select(prospects))),
            pending=sorted(pid for pid, attempts in outbox if attempts < PARKED_ATTEMPTS),
            parked=sorted(pid for pid, attempts in outbox if attempts >= PARKED_ATTEMPTS),
            workbooks_people=sorted(
                tuple(r)
                for r in conn.execute(
                    select(
                        w.id,
                        w.email,
                        w.outreach_id,
                        w.sequence_state,
                        w.state_updated_at,
                        w.no_email,
                        w.is_deleted,
                    )
                )
            ),
            watermark=get_cursor(conn, WATERMARK),
        )


def history_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return len(conn.execute(select(state_history.c.id)).all())


def assert_no_duplicate_history(snap: CacheSnapshot) -> None:
    assert len(snap.history) == len(set(snap.history)), "a transition was recorded twice"
