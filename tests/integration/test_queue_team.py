"""The queue in a team store: the server's monitor records its readings, a watching desktop (no
remote secrets) gets them through the facade, every figure as the server read it, on SQLite and
on PostgreSQL."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from gatormail_helpers import LONG_NAME, GatorMailSandbox, start_gatormail
from sqlalchemy.engine import make_url

from recording_sink import RecordingSink
from store_backends import StoreFactory
from syncmonitor.app.config import Config, MailshotSettings
from syncmonitor.engine.mailshots.monitor import QueueMonitor
from syncmonitor.engine.mailshots.recorded import ServerQueue, record_reading
from syncmonitor.engine.runs.service import Remotes
from syncmonitor.engine.services.queue import QueueService
from syncmonitor.engine.team.desktop import TeamDesktopService
from syncmonitor.engine.team.lock import StoreLock
from syncmonitor.store.database import Database, open_store

pytestmark = [pytest.mark.timeout(90)]


@pytest.fixture
def gatormail() -> Iterator[GatorMailSandbox]:
    yield from start_gatormail()


def watching_desktop(store_backend: StoreFactory, folder: Path, server: Database) -> QueueService:
    """The facade's queue service of a desktop on the same store, holding no remote secret."""
    database = (
        open_store(store_backend.by_folder[folder], None) if store_backend.postgresql else server
    )
    if database is not server:
        store_backend.opened.append(database)
    desktop = TeamDesktopService(
        Config(),
        database,
        Remotes(None, None, None, None),
        lock=StoreLock(database.engine),
        sandbox_mode=False,
    )
    return QueueService(database, desktop)


@pytest.mark.asyncio
async def test_a_watching_desktop_gets_the_queue_the_server_recorded(
    store_backend: StoreFactory, gatormail: GatorMailSandbox, tmp_path: Path
) -> None:
    folder = tmp_path / "store"
    store = store_backend.open(folder)
    server = QueueMonitor(
        store,
        gatormail.remotes,
        settings=MailshotSettings(busy_poll_seconds=0.5, idle_poll_seconds=5),
        sink=RecordingSink(),
    )
    desktop = watching_desktop(store_backend, folder, store)
    assert desktop.watching and desktop.problem() is None  # nothing to set up on a desktop
    shown = desktop.open_monitor(None)
    assert isinstance(shown, ServerQueue)
    first = await shown.poll_once()
    assert first.snapshot.items == () and first.snapshot.notes[0].code == "server_not_read"
    try:
        (long_id,) = gatormail.create(name=LONG_NAME)
        gatormail.create(count=2)
        for _ in range(3):
            result = await server.poll_once()
            record_reading(store, result.snapshot, "server-a")
        seen = await shown.poll_once()
        assert seen.snapshot == result.snapshot
        assert shown.recorded_by == "server-a"
        problem = seen.snapshot.queue_problem
        assert problem is not None and problem.code == "blocked"
        assert seen.snapshot.blocked_by is not None and seen.snapshot.blocked_by.id == long_id
        printed = desktop.read_once().snapshot  # what `syncmonitor queue` prints there
        assert printed.items == result.snapshot.items
        assert printed.notes[0].code == "server_reading"
        assert "Read by the team server (server-a)" in printed.notes[0].message
        assert printed.notes[1:] == result.snapshot.notes
        assert shown.requests_made() == 0
    finally:
        await server.aclose()


def env_for(home: Path, url: str, *, server: bool) -> dict[str, str]:
    """A `syncmonitor` process on the team store: the server (sandbox mode: it starts its own
    emulated remotes) or a watching desktop (the store's login only, no remote secret)."""
    parsed = make_url(url)
    (home / "config").mkdir(parents=True, exist_ok=True)
    bare = parsed._replace(password=None).render_as_string(hide_password=False)
    text = f'[cache]\nurl = "{bare}"\n'
    if server:
        text += "[schedule]\npaused = true\n[sandbox]\npeople = 20\n"
        text += "[mailshots]\nbusy_poll_seconds = 1\nidle_poll_seconds = 5\n"
    (home / "config" / "config.toml").write_text(text, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNCMONITOR_")}
    env.update(
        SYNCMONITOR_HOME=str(home),
        SYNCMONITOR_CACHE_PASSWORD=parsed.password or "",
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
    )
    return env


@pytest.mark.timeout(150)
def test_syncmonitor_daemon_reads_the_queue_and_a_watching_desktop_prints_it(
    store_backend: StoreFactory, tmp_path: Path
) -> None:
    if not store_backend.postgresql:
        pytest.skip("a watching desktop is a team store's (PostgreSQL)")
    url = store_backend.new_url()
    daemon = subprocess.Popen(
        [sys.executable, "-m", "syncmonitor", "-v", "daemon"],
        env=env_for(tmp_path / "server", url, server=True),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    desktop = env_for(tmp_path / "desktop", url, server=False)
    try:
        deadline = time.monotonic() + 90
        while True:
            assert daemon.poll() is None, daemon.communicate()[1]
            done = subprocess.run(
                [sys.executable, "-m", "syncmonitor", "queue", "--json"],
                env=desktop,
                capture_output=True,
                text=True,
                timeout=60,
            )
            data = json.loads(done.stdout) if done.stdout.strip() else {}
            if data.get("mailshots"):
                break
            assert time.monotonic() < deadline, done.stderr
            time.sleep(0.5)
        assert data["notes"][0]["code"] == "server_reading"
        assert socket.gethostname() in data["notes"][0]["message"]
    finally:
        daemon.send_signal(signal.SIGTERM)
        try:
            _, err = daemon.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            daemon.kill()
            _, err = daemon.communicate(timeout=10)
    assert daemon.returncode == 0, err
    assert "the mailshot queue is read every 1 s while mailshots move" in err
