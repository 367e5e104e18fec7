"""A watching desktop's actions besides syncs, as requests the team server carries out: the
queue's Fix name (once, even when two desktops ask), saving the mappings and the two-way scope,
dismissing an issue; a watcher login cannot; a malformed request fails with its message and the
server lives on; a Fix name cut short by a dead server is never sent again; the server hears new
requests (LISTEN) instead of polling, and hears them again after its connection drops.
All on the test PostgreSQL (tests/store_backends.py) and a GatorMail sandbox."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
import pytest_asyncio
from gatormail_helpers import LONG_NAME, GatorMailSandbox, start_gatormail
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from store_backends import StoreFactory
from syncmonitor.app.config import Config, MailshotSettings
from syncmonitor.app.errors import UserFacingError
from syncmonitor.domain.mailshots.queue import QueueState
from syncmonitor.domain.mappings.mapping_set import MappingSet
from syncmonitor.domain.mappings.statuses import StatusMapping, StatusRule
from syncmonitor.domain.mappings.values import StatusKind
from syncmonitor.domain.scope import Condition, ScopeFilter
from syncmonitor.domain.timestamps import format_iso, utc_now
from syncmonitor.engine.bootstrap import CacheServices
from syncmonitor.engine.mailshots.monitor import QueueMonitor
from syncmonitor.engine.runs.service import Remotes, SyncService
from syncmonitor.engine.team.actions import ServerActions
from syncmonitor.engine.team.desktop import TeamDesktopService, WatchOnlyError
from syncmonitor.engine.team.lock import StoreLock
from syncmonitor.engine.team.recover import CUT_SHORT
from syncmonitor.engine.team.server import RequestServer
from syncmonitor.store import team_requests
from syncmonitor.store.database import Database, open_store
from syncmonitor.store.issues import RecordIssue, open_issues, record_issues
from syncmonitor.store.mailshots import latest_checks

pytestmark = pytest.mark.asyncio

SETTINGS = MailshotSettings(busy_poll_seconds=1, idle_poll_seconds=5)


@pytest.fixture
def team(store_backend: StoreFactory) -> StoreFactory:
    if not store_backend.postgresql:
        pytest.skip("requests are a team store's (PostgreSQL)")
    return store_backend


@pytest.fixture
def gatormail() -> Iterator[GatorMailSandbox]:
    yield from start_gatormail()


@dataclass
class Desktop:
    """A watching desktop: the engine facade over a TeamDesktopService, no secrets."""

    services: CacheServices
    told: list[str] = field(default_factory=list)

    @property
    def service(self) -> TeamDesktopService:
        assert isinstance(self.services.sync, TeamDesktopService)
        return self.services.sync


def open_desktop(url: str, password: str | None = None) -> Desktop:
    database = open_store(url, password)
    service = TeamDesktopService(
        Config(),
        database,
        Remotes(None, None, None, None),
        lock=StoreLock(database.engine),
        sandbox_mode=False,
    )
    desktop = Desktop(CacheServices(database, service))
    service.tell = desktop.told.append
    return desktop


@dataclass
class Server:
    service: SyncService
    monitor: QueueMonitor
    url: str

    @property
    def database(self) -> Database:
        return self.service.database


@pytest_asyncio.fixture
async def server(
    team: StoreFactory, gatormail: GatorMailSandbox, tmp_path: Path
) -> AsyncIterator[Server]:
    database = team.open(tmp_path / "server")
    lock = StoreLock(database.engine, role="server")
    service = SyncService(Config(), database, gatormail.remotes, lock=lock, sandbox_mode=False)
    monitor = QueueMonitor(database, gatormail.remotes, settings=SETTINGS)
    monitor.status_every = 0
    yield Server(service, monitor, team.by_folder[tmp_path / "server"])
    await monitor.aclose()


@contextlib.asynccontextmanager
async def serving(server: Server, *, poll_s: float = 30.0) -> AsyncIterator[RequestServer]:
    """The daemon's request server, with the queue monitor the daemon runs. `poll_s` is long:
    a request is served at once only because the server LISTENs."""
    server.service.lock.acquire()
    requests = RequestServer(server.service, poll_s=poll_s)
    ServerActions(server.service, lambda: server.monitor).register(requests)
    await requests.recover()
    stop = asyncio.Event()
    task = asyncio.ensure_future(requests.run(stop))
    try:
        yield requests
    finally:
        stop.set()
        await task
        server.service.lock.release()


async def blocked(server: Server, mailshot_id: int) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        result = await server.monitor.poll_once()
        item = result.snapshot.item(mailshot_id)
        if item is not None and item.state is QueueState.BLOCKED:
            return
        await asyncio.sleep(0.3)
    raise AssertionError(f"mailshot {mailshot_id} never blocked the queue")


def requests_in(database: Database) -> list[team_requests.Request]:
    with database.engine.connect() as conn:
        return list(reversed(team_requests.recent_requests(conn)))


async def test_a_fix_name_from_one_desktop_is_done_once_and_shown_on_both(
    server: Server, gatormail: GatorMailSandbox
) -> None:
    (long_id,) = gatormail.create(name=LONG_NAME, audience=12)
    await blocked(server, long_id)
    a, b = open_desktop(server.url), open_desktop(server.url)
    try:
        async with serving(server) as requests:
            # Both desktops press Fix name on the same mailshot while the server has not begun
            # it (it waits for both to be sent): one request, one copy.
            gate = asyncio.Event()
            fix = requests.handlers["queue_fix_name"]

            async def gated(request: team_requests.Request) -> object:
                await gate.wait()
                return await fix(request)

            requests.handlers["queue_fix_name"] = gated  # type: ignore[assignment]

            async def both_sent() -> None:
                while not all(any("sent" in t for t in d.told) for d in (a, b)):
                    await asyncio.sleep(0.02)
                gate.set()

            first, second, _ = await asyncio.gather(
                a.services.queue.fix_name(None, long_id, "Autumn newsletter"),
                b.services.queue.fix_name(None, long_id, "Autumn newsletter"),
                asyncio.wait_for(both_sent(), 30),
            )
        assert first.copy_id is not None and first.copy_id == second.copy_id
        # The server's own words, on A (queued or already arrived: the sandbox is fast).
        assert f'"Autumn newsletter" (#{first.copy_id}) is ' in first.message
        assert "The original was deleted in Workbooks." in first.message
        assert first.poll is None  # the queue page reads the queue again itself
        assert a.told[0].startswith("Fix name: sent to the team server (request #")
        assert a.told[-1].startswith("Fix name: done by the team server.")
        assert gatormail.mailshot(long_id)["is_deleted"] is True
        copies = gatormail.workbooks(
            "email/integrated_mailshots.api",
            [("_ff[]", "name"), ("_ft[]", "eq"), ("_fc[]", "Autumn newsletter")],
        )
        assert [c["id"] for c in copies["data"]] == [first.copy_id]  # never two copies
        assert [(r.action, r.state) for r in requests_in(server.database)] == [
            ("queue_fix_name", "done")
        ]
        # B sees what the server did in the shared store: the original's timeline.
        events = await b.services.queue.timeline_async(long_id)
        assert any(f"#{first.copy_id}" in e.detail for e in events)
    finally:
        a.services.close()
        b.services.close()


async def test_a_fix_name_cut_short_by_a_dead_server_is_not_sent_again(
    server: Server, gatormail: GatorMailSandbox
) -> None:
    (long_id,) = gatormail.create(name=LONG_NAME, audience=3)
    with server.database.engine.begin() as conn:
        request_id = team_requests.add_request(
            conn, "queue_fix_name", {"mailshot": long_id, "name": "Short"}, "ann@desk", "now"
        )
        team_requests.claim_next(conn, "dead-server:1", format_iso(utc_now()))
    async with serving(server):  # the new holder closes it: failed, and never run
        pass
    with server.database.engine.connect() as conn:
        request = team_requests.get_request(conn, request_id)
    assert request is not None and request.state == "failed" and request.result == CUT_SHORT
    assert gatormail.mailshot(long_id)["is_deleted"] is False  # nothing was sent


async def test_mappings_scope_and_a_dismiss_from_one_desktop_reach_the_other(
    server: Server,
) -> None:
    with server.database.engine.begin() as conn:
        record_issues(
            conn, [RecordIssue("outreach", "person", "7", "Ann", "Bad email", "Fix it")], None
        )
        (issue,) = open_issues(conn)
    a, b = open_desktop(server.url), open_desktop(server.url)
    rule = StatusRule("Qualified", "Interested")
    mappings = MappingSet().with_status(StatusMapping(StatusKind.LEAD, (rule,)))
    scope = ScopeFilter(mine=False, conditions=(Condition("name", "contains", "Ann"),))
    try:
        async with serving(server):
            saved = await a.services.mappings.save_async(mappings, None)
            await a.services.two_way.write_scope(scope)
            await a.services.issues.dismiss(issue.id)
            await a.services.issues.dismiss(issue.id)  # twice: the same as once
        assert saved == mappings
        loaded = await b.services.mappings.load_async()
        assert loaded.mappings.status[StatusKind.LEAD].rules == (rule,)
        assert await b.services.two_way.read_scope() == scope
        assert b.services.issues.count() == 0
        done = [(r.action, r.state) for r in requests_in(server.database)]
        assert done == [
            ("save_mappings", "done"),
            ("save_scope", "done"),
            ("dismiss_issue", "done"),
            ("dismiss_issue", "done"),
        ]
    finally:
        a.services.close()
        b.services.close()


async def test_a_malformed_request_fails_with_its_message_and_the_server_lives_on(
    server: Server,
) -> None:
    engine = server.database.engine
    bad = [
        ("launch_rockets", {}, None, "cannot do 'launch_rockets' requests"),
        ("queue_fix_name", {}, "{not json", "not valid JSON"),
        ("dismiss_issue", {}, "[1, 2]", "not a JSON object"),
        ("save_scope", {}, '{"scope": "' + "x" * 300_000 + '"}', "more than the 262,144"),
        ("queue_retry", {"mailshot": "1; DROP TABLE"}, None, "positive whole number"),
        ("queue_fix_name", {"mailshot": 5, "name": "n" * 300}, None, "1 to 255 characters"),
        ("dismiss_issue", {"issue": 999_999}, None, "Issue #999999 is not in the team store"),
        ("save_scope", {"scope": {"mine": "yes"}}, None, "not a valid two-way scope"),
        ("hazard_action", {"kind": "planet", "crm_id": 1}, None, "not a kind of record"),
        ("save_mappings", {"mappings": "{}"}, None, "mapping"),
        ("queue_key_check", {"enabled": "yes"}, None, "must be true or false"),
        ("queue_key_check", {"enabled": True, "until": "soon"}, None, "a date and time or empty"),
        ("queue_integration_check", {}, None, "must be true or false"),
    ]
    with engine.begin() as conn:
        ids = [
            team_requests.add_request(conn, action, payload, "mallory@desk", "now", raw_payload=raw)
            for action, payload, raw, _ in bad
        ]
    a = open_desktop(server.url)
    try:
        async with serving(server, poll_s=0.2):
            scope = ScopeFilter(mine=True)
            await a.services.two_way.write_scope(scope)  # served after all of them
        with engine.connect() as conn:
            for request_id, (action, _, _, words) in zip(ids, bad, strict=True):
                request = team_requests.get_request(conn, request_id)
                assert request is not None and request.state == "failed", action
                assert words in (request.result or ""), (action, request.result)
        assert requests_in(server.database)[-1].state == "done"
    finally:
        a.services.close()


async def test_a_check_recorded_on_a_desktop_is_recorded_by_the_server(server: Server) -> None:
    """Record a check (what an admin saw of the API key and the integration): no API reads
    them, so a watching desktop's answer is a request and the server's monitor keeps it."""
    a = open_desktop(server.url)
    until = datetime(2027, 3, 1, tzinfo=UTC)
    try:
        async with serving(server):
            await a.services.queue.record_key_check(None, until, True)
            await a.services.queue.record_integration_check(None, False)
        with server.database.engine.connect() as conn:
            checks = latest_checks(conn)
        key = checks["api_key"]
        assert key.ok is True and key.valid_until is not None
        assert key.valid_until.startswith("2027-03-01")
        assert checks["integration"].ok is False
        assert [r.action for r in requests_in(server.database)] == [
            "queue_key_check",
            "queue_integration_check",
        ]
        assert a.told[-1].startswith("Record a check: done by the team server.")
    finally:
        a.services.close()


async def test_a_watcher_login_cannot_act(server: Server) -> None:
    url = make_url(server.url)
    role = f"sm_act_watch_{abs(hash(server.url)) % 100000}"
    admin = create_engine(server.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        conn.execute(text(f"CREATE ROLE \"{role}\" LOGIN PASSWORD 'watch-pw'"))
        conn.execute(text(f'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{role}"'))
    watcher = open_desktop(
        url._replace(username=role, password=None).render_as_string(hide_password=False),
        "watch-pw",
    )
    try:
        async with serving(server):
            for action in (
                watcher.services.issues.dismiss(1),
                watcher.services.queue.fix_name(None, 5, "Short"),
                watcher.services.two_way.write_scope(ScopeFilter()),
            ):
                with pytest.raises(WatchOnlyError) as refused:
                    await action
                assert "INSERT on team_requests" in refused.value.message
        assert requests_in(server.database) == []
    finally:
        watcher.services.close()
        with admin.connect() as conn:
            conn.execute(text(f'DROP OWNED BY "{role}"'))
            conn.execute(text(f'DROP ROLE "{role}"'))
        admin.dispose()


def listening_pids(url: str) -> list[int]:
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            return list(
                conn.execute(
                    text(
                        "SELECT pid FROM pg_stat_activity WHERE query LIKE 'LISTEN "
                        f"{team_requests.CHANNEL}%' AND pid <> pg_backend_pid()"
                    )
                ).scalars()
            )
    finally:
        admin.dispose()


async def test_the_server_hears_requests_at_once_and_again_after_its_listener_drops(
    server: Server,
) -> None:
    a = open_desktop(server.url)
    try:
        async with serving(server, poll_s=30.0) as requests:  # a poll would take 30 s
            await asyncio.sleep(0.5)
            started = time.monotonic()
            await a.services.two_way.write_scope(ScopeFilter(mine=False))
            assert time.monotonic() - started < 3.0
            pids = listening_pids(server.url)
            assert pids, "the server holds a LISTEN connection"
            admin = create_engine(server.url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:  # the store drops the listening connection
                for pid in pids:
                    conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
            admin.dispose()
            await asyncio.sleep(3.0)  # it reconnects (after 2 s) and listens again
            assert requests.listener is not None and requests.listener.connections >= 2
            started = time.monotonic()
            await a.services.two_way.write_scope(ScopeFilter(mine=True))
            assert time.monotonic() - started < 3.0
    finally:
        a.services.close()


async def test_a_failed_action_raises_the_servers_words_on_the_desktop(server: Server) -> None:
    a = open_desktop(server.url)
    try:
        async with serving(server):
            with pytest.raises(UserFacingError) as failed:
                await a.services.issues.dismiss(424242)
        assert failed.value.title == "The server refused the request"
        assert "Issue #424242 is not in the team store" in failed.value.message
        assert a.told[-1].startswith("Dismiss: failed on the team server: Issue #424242")
    finally:
        a.services.close()


async def test_a_desktop_waiting_on_a_server_that_stops_is_told(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    from syncmonitor.engine.team import asking

    monkeypatch.setattr(asking, "SERVER_CHECK_S", 0.3)
    a = open_desktop(server.url)
    release = asyncio.Event()
    try:
        async with serving(server) as requests:
            begun = asyncio.Event()

            async def hangs(request: team_requests.Request) -> object:
                begun.set()
                await release.wait()
                return True, "late"

            requests.handlers["save_scope"] = hangs  # type: ignore[assignment]
            asked = asyncio.ensure_future(a.services.two_way.write_scope(ScopeFilter()))
            await asyncio.wait_for(begun.wait(), 10)
            server.service.lock.release()  # the server's session ends: the lock is gone
            with pytest.raises(asking.ServerStoppedError) as stopped:
                await asyncio.wait_for(asked, 10)
            assert "stopped while it was doing request #" in stopped.value.message
            assert "The team server stopped while" in a.told[-1]
            server.service.lock.acquire()  # for serving()'s own release
            release.set()
    finally:
        a.services.close()
