"""The queue in a team store: the server's monitor records its readings, a watching desktop (no
remote secrets) gets them through the facade, every figure as the server read it, on SQLite and
on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from gatormail_helpers import LONG_NAME, GatorMailSandbox, start_gatormail

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

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(90)]


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
        assert desktop.read_once().snapshot == result.snapshot  # `syncmonitor queue` too
        assert shown.requests_made() == 0
    finally:
        await server.aclose()
