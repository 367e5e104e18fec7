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
