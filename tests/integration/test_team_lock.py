"""One syncer per team store across machines: the advisory lock, who holds it, and since when.

A second daemon started at the same time is refused with the first one's host and process; a
desktop's Sync now while the server syncs is refused the same way; a holder killed mid-run frees
the store at once (PostgreSQL ends its session)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from engine_helpers import harness
from sqlalchemy.engine import make_url

from store_backends import StoreFactory
from syncmonitor.engine.runs.events import RunOutcome
from syncmonitor.engine.runs.lock import AlreadySyncingError
from syncmonitor.engine.team.lock import StoreLock
from syncmonitor.sandbox.process import SandboxEndpoints
from syncmonitor.store import team
from syncmonitor.store.database import open_store


@pytest.fixture
def team_url(store_backend: StoreFactory) -> str:
    if not store_backend.postgresql:
        pytest.skip("the advisory lock is the team store's (SQLite keeps its file lock)")
    return store_backend.new_url()


def test_a_second_holder_is_told_who_holds_the_store_and_since_when(team_url: str) -> None:
    first_db, second_db = open_store(team_url, None), open_store(team_url, None)
    try:
        server = StoreLock(first_db.engine, role="server")
        server.acquire()
        server.acquire()  # re-entrant: the daemon's life, then each of its runs
        server.release()
        with pytest.raises(AlreadySyncingError) as err:
            StoreLock(second_db.engine).acquire()
        text = str(err.value)
        assert f"the Sync Monitor server on {socket.gethostname()} (process {os.getpid()})" in text
        assert " since " in text and "UTC" in text
        with first_db.engine.connect() as conn:
            assert team.lock_is_held(conn)
        server.release()
        with first_db.engine.connect() as conn:
            assert not team.lock_is_held(conn)
            assert team.current_holder(conn) is None
        with StoreLock(second_db.engine):  # free again
            pass
    finally:
        first_db.close()
        second_db.close()


HOLD = """
import sys, time
from syncmonitor.store.database import open_store
from syncmonitor.engine.team.lock import StoreLock
db = open_store(sys.argv[1], None)
StoreLock(db.engine, role="command").acquire()
print("held", flush=True)
time.sleep(600)
"""


def test_a_holder_killed_half_way_frees_the_store(team_url: str) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", HOLD, team_url], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "held"
        db = open_store(team_url, None)
        with pytest.raises(AlreadySyncingError, match=f"process {child.pid}"):
            StoreLock(db.engine).acquire()
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        deadline = time.monotonic() + 10
        while True:  # the server notices the closed socket within moments
            try:
                with StoreLock(db.engine):
                    break
            except AlreadySyncingError:
                assert time.monotonic() < deadline, "a dead holder still blocks the store"
                time.sleep(0.1)
        db.close()
    finally:
        child.kill()
        child.wait(10)


def test_sync_now_while_the_server_syncs_is_refused_with_the_holder(
    make_sandbox, tmp_path: Path, store_backend: StoreFactory
) -> None:
    if not store_backend.postgresql:
        pytest.skip("PostgreSQL only")
    endpoints: SandboxEndpoints = make_sandbox(seed=3, people=20)
    with harness(endpoints, tmp_path / "desktop") as desktop:
        server = StoreLock(desktop.engine, role="server")
        with server:
            result = desktop.sync()
        assert result.outcome is RunOutcome.FAILED
        assert result.error_title == "Another Sync Monitor is syncing"
        assert "the Sync Monitor server on" in (result.error_message or "")
        assert desktop.sync().ok  # the server let go: the desktop's own run goes through


def daemon_env(home: Path, url: str) -> dict[str, str]:
    parsed = make_url(url)
    (home / "config").mkdir(parents=True, exist_ok=True)
    bare = parsed._replace(password=None).render_as_string(hide_password=False)
    (home / "config" / "config.toml").write_text(
        f'[cache]\nurl = "{bare}"\n[schedule]\npaused = true\n[sandbox]\npeople = 20\n',
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNCMONITOR_")}
    env.update(
        SYNCMONITOR_HOME=str(home),
        SYNCMONITOR_CACHE_PASSWORD=parsed.password or "",
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
    )
    return env


def test_two_daemons_started_at_once_one_syncs_the_other_is_told_who(
    team_url: str, tmp_path: Path
) -> None:
    daemons = [
        subprocess.Popen(
            [sys.executable, "-m", "syncmonitor", "daemon"],
            env=daemon_env(tmp_path / f"server{i}", team_url),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(2)
    ]
    try:
        deadline = time.monotonic() + 60
        while all(d.poll() is None for d in daemons):
            assert time.monotonic() < deadline, "neither daemon was refused"
            time.sleep(0.2)
        refused = next(d for d in daemons if d.poll() is not None)
        running = next(d for d in daemons if d is not refused)
        _, err = refused.communicate(timeout=10)
        assert refused.returncode == 1, err
        assert "Another Sync Monitor is syncing" in err
        assert f"the Sync Monitor server on {socket.gethostname()} (process {running.pid})" in err
        time.sleep(1)
        assert running.poll() is None, "the first daemon stopped too"
    finally:
        for d in daemons:
            if d.poll() is None:
                d.send_signal(signal.SIGTERM)
        for d in daemons:
            try:
                d.wait(30)
            except subprocess.TimeoutExpired:
                d.kill()
                d.wait(10)


def test_a_request_whose_daemon_is_killed_half_way_is_done_by_the_next_once(
    team_url: str, tmp_path: Path
) -> None:
    """A real `syncmonitor daemon` killed (SIGKILL) in the middle of a desktop's Sync now; the
    next daemon runs that request again, once, and the desktop's request ends done."""
    from sqlalchemy import func, select

    from syncmonitor.domain.timestamps import format_iso, utc_now
    from syncmonitor.store import team_requests
    from syncmonitor.store.schema import state_history, sync_runs

    store = open_store(team_url, None)
    with store.engine.begin() as conn:  # what a desktop's Sync now writes
        request_id = team_requests.add_request(
            conn, "sync", {"kind": "inbound"}, "ann@desk-1", format_iso(utc_now())
        )
    trigger = f"request:{request_id}"

    def state() -> tuple[str, list[str], int]:
        with store.engine.connect() as conn:
            request = team_requests.get_request(conn, request_id)
            runs = list(
                conn.execute(
                    select(sync_runs.c.outcome)
                    .where(sync_runs.c.trigger == trigger)
                    .order_by(sync_runs.c.id)
                ).scalars()
            )
            written = conn.execute(select(func.count()).select_from(state_history)).scalar_one()
        assert request is not None
        return request.state, runs, written

    def start(name: str) -> subprocess.Popen[str]:
        env = daemon_env(tmp_path / name, team_url)
        config = tmp_path / name / "config" / "config.toml"
        text = config.read_text(encoding="utf-8").replace("people = 20", "people = 1500")
        config.write_text(
            text + "[outreach]\npage_size = 10\n", encoding="utf-8"
        )  # slow: many pages
        return subprocess.Popen(
            [sys.executable, "-m", "syncmonitor", "daemon"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    first = start("server-a")
    try:
        deadline = time.monotonic() + 90
        while not (state()[0] == "running" and state()[2] > 0):  # half-way through its run
            assert first.poll() is None, first.communicate()[1]
            assert time.monotonic() < deadline, f"the first daemon never started: {state()}"
            time.sleep(0.05)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        assert state()[0] == "running" and state()[1] == ["running"]  # left half-way
    finally:
        if first.poll() is None:
            first.kill()
            first.wait(10)

    second = start("server-b")
    try:
        deadline = time.monotonic() + 180
        while state()[0] != "done":
            assert second.poll() is None, second.communicate()[1]
            assert time.monotonic() < deadline, f"the request was not picked up again: {state()}"
            time.sleep(0.2)
        _, runs, _ = state()
        assert runs == ["failed", "succeeded"]  # the killed run, marked; one run that did it
        with store.engine.connect() as conn:
            request = team_requests.get_request(conn, request_id)
        assert request is not None and request.attempts == 2 and request.ok
        assert request.result is not None and request.result.startswith("Synced by the server")
    finally:
        second.send_signal(signal.SIGTERM)
        try:
            second.wait(30)
        except subprocess.TimeoutExpired:
            second.kill()
            second.wait(10)
        store.close()


def test_a_real_daemon_hears_a_desktops_action_and_refuses_a_bad_one(
    team_url: str, tmp_path: Path
) -> None:
    """`syncmonitor daemon` registers the desktops' actions: a scope saved from a desktop is
    carried out at once (LISTEN: the daemon's fallback poll is 5 s), a dismiss of an issue that
    does not exist fails with its message, and the daemon runs on."""
    import asyncio

    from syncmonitor.app.config import Config
    from syncmonitor.domain.scope import Condition, ScopeFilter
    from syncmonitor.engine.bootstrap import CacheServices
    from syncmonitor.engine.runs.service import Remotes
    from syncmonitor.engine.team.asking import RequestFailedError
    from syncmonitor.engine.team.desktop import TeamDesktopService

    daemon = subprocess.Popen(
        [sys.executable, "-m", "syncmonitor", "daemon"],
        env=daemon_env(tmp_path / "server", team_url),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    database = open_store(team_url, None)
    desktop = TeamDesktopService(
        Config(),
        database,
        Remotes(None, None, None, None),
        lock=StoreLock(database.engine),
        sandbox_mode=False,
    )
    services = CacheServices(database, desktop)
    try:
        deadline = time.monotonic() + 60
        while True:  # the daemon holds the store's lock: it is serving
            with database.engine.connect() as conn:
                if team.lock_is_held(conn):
                    break
            assert daemon.poll() is None, daemon.communicate()[1]
            assert time.monotonic() < deadline, "the daemon never took the store's lock"
            time.sleep(0.2)
        time.sleep(1.0)  # its LISTEN connection is up
        scope = ScopeFilter(mine=False, conditions=(Condition("name", "contains", "Zoe"),))
        started = time.monotonic()
        asyncio.run(services.two_way.write_scope(scope))
        assert time.monotonic() - started < 3.0  # heard, not found by the 5 s poll
        assert asyncio.run(services.two_way.read_scope()) == scope
        with pytest.raises(RequestFailedError) as refused:
            asyncio.run(services.issues.dismiss(31337))
        assert "Issue #31337 is not in the team store" in refused.value.message
        assert daemon.poll() is None, "the daemon lives on"
    finally:
        services.close()
        daemon.send_signal(signal.SIGTERM)
        try:
            daemon.wait(30)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait(10)
