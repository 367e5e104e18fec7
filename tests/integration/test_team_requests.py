"""Watching desktops ask, the team server does: Sync now becomes a request in the store, the
server's daemon carries it out with its own secrets, the desktop shows the server's run. A watcher
login cannot ask. A request whose daemon died half-way is picked up again and never done twice.
All on the test PostgreSQL (tests/store_backends.py)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from engine_helpers import Harness, harness, requests_made
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from store_backends import StoreFactory
from syncmonitor.app.config import Config
from syncmonitor.domain.timestamps import format_iso, utc_now
from syncmonitor.engine.runs.events import RunOutcome
from syncmonitor.engine.runs.service import Remotes
from syncmonitor.engine.team.desktop import TeamDesktopService
from syncmonitor.engine.team.lock import StoreLock
from syncmonitor.engine.team.server import RequestServer
from syncmonitor.sandbox.process import SandboxEndpoints
from syncmonitor.store import team_requests
from syncmonitor.store.database import Database, open_store
from syncmonitor.store.runs import finish_run, start_run
from syncmonitor.store.schema import sync_runs


@pytest.fixture
def team(store_backend: StoreFactory) -> StoreFactory:
    if not store_backend.postgresql:
        pytest.skip("requests are a team store's (PostgreSQL)")
    return store_backend


@pytest.fixture
def server(team: StoreFactory, make_sandbox, tmp_path: Path) -> Iterator[Harness]:  # type: ignore[no-untyped-def]
    endpoints: SandboxEndpoints = make_sandbox(seed=5, people=30)
    with harness(endpoints, tmp_path / "server") as h:
        yield h


def desktop_for(url: str, password: str | None = None) -> TeamDesktopService:
    database = open_store(url, password)
    return TeamDesktopService(
        Config(),
        database,
        Remotes(None, None, None, None),  # no secrets on a desktop
        lock=StoreLock(database.engine),
        sandbox_mode=False,
    )


@contextlib.contextmanager
def held(server: Harness) -> Iterator[None]:
    """The server's own sync lock held, as the daemon holds it for its life."""
    server.service.lock.acquire()
    try:
        yield
    finally:
        server.service.lock.release()


def store_url(team: StoreFactory, folder: Path) -> str:
    return team.by_folder[folder]


def runs_for(database: Database, trigger: str) -> list[str]:
    with database.engine.connect() as conn:
        return list(
            conn.execute(
                select(sync_runs.c.outcome)
                .where(sync_runs.c.trigger == trigger)
                .order_by(sync_runs.c.id)
            ).scalars()
        )


async def serve_until(server: RequestServer, done: asyncio.Future[object]) -> None:
    stop = asyncio.Event()
    task = asyncio.ensure_future(server.run(stop))
    try:
        await asyncio.wait_for(asyncio.shield(done), 120)
    finally:
        stop.set()
        await task


def test_sync_now_on_a_desktop_is_done_by_the_server_and_shown_there(
    team: StoreFactory, server: Harness, tmp_path: Path
) -> None:
    desktop = desktop_for(store_url(team, tmp_path / "server"))
    lock = server.service.lock

    async def scenario() -> object:
        lock.acquire()
        try:
            requests = RequestServer(server.service, poll_s=0.2)
            await requests.recover()
            asked = asyncio.ensure_future(desktop.sync_once(trigger="forced"))
            await serve_until(requests, asked)
            return asked.result()
        finally:
            lock.release()

    result = asyncio.run(scenario())
    desktop.database.close()
    assert result.outcome is RunOutcome.SUCCEEDED, result  # type: ignore[attr-defined]
    assert result.records_written["transitions"] > 0  # type: ignore[attr-defined]
    with server.engine.connect() as conn:
        (request,) = team_requests.recent_requests(conn)
    assert request.state == "done" and request.ok
    assert request.action == "sync" and "@" in request.requested_by
    assert request.result and request.result.startswith("Synced by the server")
    assert runs_for(server.database, request.trigger) == ["succeeded"]
    assert result.run_id == server.service.last_run().run_id  # type: ignore[attr-defined,union-attr]


def test_without_a_running_server_the_request_waits_and_runs_when_it_starts(
    team: StoreFactory, server: Harness, tmp_path: Path
) -> None:
    desktop = desktop_for(store_url(team, tmp_path / "server"))
    result = asyncio.run(desktop.sync_once(person=None))
    desktop.database.close()
    assert result.outcome is RunOutcome.FAILED
    assert result.error_title == "No team server is running"
    assert "request #1 waits" in (result.error_message or "")

    async def start_server() -> object:
        with held(server):
            requests = RequestServer(server.service)
            await requests.recover()
            return await requests.serve_one()

    served = asyncio.run(start_server())
    assert served is not None and served.state == "done"  # type: ignore[attr-defined]


def test_a_watcher_login_can_watch_but_not_ask(
    team: StoreFactory, server: Harness, tmp_path: Path
) -> None:
    url = store_url(team, tmp_path / "server")
    role = f"sm_watch_{abs(hash(str(tmp_path))) % 100000}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        conn.execute(text(f"CREATE ROLE \"{role}\" LOGIN PASSWORD 'watch-pw'"))
        conn.execute(text(f'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{role}"'))
    try:
        watcher_url = make_url(url)._replace(username=role, password=None)
        desktop = desktop_for(watcher_url.render_as_string(hide_password=False), "watch-pw")
        assert desktop.database.writable is False
        result = asyncio.run(desktop.sync_once())
        desktop.database.close()
        assert result.error_title == "This login can only watch the team store"
        assert "INSERT on team_requests" in (result.error_message or "")
        with server.engine.connect() as conn:
            assert team_requests.recent_requests(conn) == []
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP OWNED BY "{role}"'))
            conn.execute(text(f'DROP ROLE "{role}"'))
        admin.dispose()


def claim_as_dead_daemon(database: Database) -> team_requests.Request:
    """A request added by a desktop and claimed by a daemon that then died."""
    with database.engine.begin() as conn:
        team_requests.add_request(conn, "sync", {"kind": "full"}, "ann@desk", format_iso(utc_now()))
        claimed = team_requests.claim_next(conn, "old-server:4242", format_iso(utc_now()))
    assert claimed is not None and claimed.state == "running"
    return claimed


def test_a_request_whose_daemon_died_mid_run_runs_again_once(server: Harness) -> None:
    request = claim_as_dead_daemon(server.database)
    with server.engine.begin() as conn:  # the dead daemon's run, cut short
        start_run(conn, "full", request.trigger, utc_now())

    async def next_server() -> object:
        with held(server):  # taking the lock afresh closed what the dead one left
            with server.engine.connect() as conn:
                again = team_requests.get_request(conn, request.id)
            assert again is not None and again.state == "waiting"
            requests = RequestServer(server.service)
            assert await requests.recover() == 0  # nothing left for the daemon's own pass
            served = await requests.serve_one()
            assert await requests.serve_one() is None  # nothing left to do
            return served

    served = asyncio.run(next_server())
    assert served is not None and served.state == "done" and served.attempts == 2  # type: ignore[attr-defined]
    # the cut-short run is marked as such, and exactly one run did the work
    assert runs_for(server.database, request.trigger) == ["failed", "succeeded"]


def test_a_request_whose_daemon_died_after_its_run_is_not_done_twice(server: Harness) -> None:
    assert server.sync().ok  # nothing new for the request's run below to find
    request = claim_as_dead_daemon(server.database)
    before = requests_made(server.admin)
    with server.engine.begin() as conn:  # the dead daemon's run had finished
        run_id = start_run(conn, "full", request.trigger, utc_now())
        finish_run(
            conn,
            run_id,
            outcome="succeeded",
            finished=utc_now(),
            duration_s=1.5,
            records_read={},
            records_written={"transitions": 7},
        )

    async def next_server() -> object:
        with held(server):
            requests = RequestServer(server.service)
            assert await requests.recover() == 0
            return await requests.serve_one()

    assert asyncio.run(next_server()) is None
    with server.engine.connect() as conn:
        done = team_requests.get_request(conn, request.id)
        runs = conn.execute(select(func.count()).select_from(sync_runs)).scalar_one()
    assert done is not None and done.state == "done"
    assert done.result == "Synced by the server in 1.5 s: 7 new transitions."
    assert runs == 2  # the sync above and the dead daemon's: no third
    assert requests_made(server.admin) == before  # the remotes were not asked again
