"""The Queue page on a desktop watching a team store: the queue the server recorded, with its age,
said to be the server's reading, with no Workbooks or Spotler credentials on this desktop."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from gui_fakes import eventually, services_over
from pytestqt.qtbot import QtBot

import loopback_http
from recording_sink import RecordingSink
from store_backends import open_sqlite
from syncmonitor.app.config import MailshotSettings
from syncmonitor.engine.mailshots.actions import ActionOutcome
from syncmonitor.engine.mailshots.monitor import QueueMonitor
from syncmonitor.engine.mailshots.recorded import ServerQueue, record_reading
from syncmonitor.engine.runs.service import Remotes
from syncmonitor.sandbox.process import SandboxEndpoints, SandboxProcess
from syncmonitor.store.database import Database
from syncmonitor.ui.queue.page import QueuePage
from syncmonitor.ui.queue.poller import QueuePoller

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(90)]
LONG = "L" * 101


@pytest.fixture
def sandbox() -> Iterator[SandboxEndpoints]:
    with SandboxProcess(seed=9, people=10, tick=0) as process:
        ep = process.endpoints
        assert ep is not None
        with loopback_http.client(base_url=ep.admin_url, timeout=30) as admin:
            admin.put(
                "/gatormail",
                json={"seconds_per_mailshot": 0.05, "seconds_per_record": 0.00005, "new_every": 0},
            ).raise_for_status()
            deadline = time.monotonic() + 10  # the world starts with two queued mailshots
            while admin.get("/gatormail").json()["queue"]:
                assert time.monotonic() < deadline
                time.sleep(0.05)
        yield ep


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    db = open_sqlite(tmp_path / "store.sqlite3")
    yield db
    db.close()


class Server:
    """The team server's side: its own monitor with the credentials, recording each reading."""

    def __init__(self, database: Database, ep: SandboxEndpoints) -> None:
        self.database = database
        self.ep = ep
        remotes = Remotes(
            None,
            None,
            ep.workbooks_base_url,
            ep.workbooks_api_key,
            spotler_base_url=ep.spotler_base_url,
            spotler_consumer_key=ep.spotler_consumer_key,
            spotler_consumer_secret=ep.spotler_consumer_secret,
        )
        self.monitor = QueueMonitor(
            database,
            remotes,
            settings=MailshotSettings(busy_poll_seconds=0.2, idle_poll_seconds=5),
            sink=RecordingSink(),
        )

    async def read(self) -> None:
        result = await self.monitor.poll_once()
        record_reading(self.database, result.snapshot, "queue-server-1")

    def create(self, **fields: object) -> list[int]:
        response = loopback_http.post(f"{self.ep.admin_url}/gatormail/mailshots", json=fields)
        response.raise_for_status()
        return list(response.json()["ids"])


@asynccontextmanager
async def watching(page: QueuePage, database: Database) -> AsyncIterator[QueuePoller]:
    poller = page.attach(ServerQueue(database))  # what open_monitor gives a watching desktop
    try:
        yield poller
    finally:
        await poller.stop()


@pytest.fixture
def page(qtbot: QtBot, database: Database) -> QueuePage:
    queue_page = QueuePage()
    qtbot.addWidget(queue_page)
    queue_page.resize(1300, 700)
    queue_page.set_services(services_over(database))
    queue_page.show()
    return queue_page


async def test_a_watching_desktop_shows_the_servers_reading_with_its_age(
    qtbot: QtBot, page: QueuePage, database: Database, sandbox: SandboxEndpoints
) -> None:
    server = Server(database, sandbox)
    try:
        async with watching(page, database) as poller:
            assert poller.watching
            await eventually(lambda: poller.polls >= 1)
            assert page.empty.title.text() == "The team server has not read the GatorMail queue yet"
            assert "has not read the queue yet" in page.freshness.text()

            await server.read()
            await eventually(lambda: page.model.rowCount() > 0, timeout=10)
            shown = poller.monitor.snapshot
            assert shown == server.monitor.snapshot  # every figure as the server read it
            assert "read by the team server (queue-server-1)" in page.freshness.text()
            assert page.read_now.text() == "Show latest"
            assert not page.record_check.isHidden()  # a check is a request to the server

            (long_id,) = server.create(name=LONG)
            server.create(count=2)
            for _ in range(4):  # the server reads; this desktop never asks a remote
                await server.read()
            await eventually(lambda: page.banner.isVisible(), timeout=10)
            assert "The GatorMail queue is blocked" in page.banner_text.text()
            assert poller.monitor.requests_made() == 0

            page.select_mailshot(long_id)
            page._fix(long_id, "A short name")
            await eventually(
                lambda: "This desktop watches the team store" in page.detail.outcome.text()
            )
    finally:
        await server.monitor.aclose()


async def test_an_old_server_reading_says_the_daemon_may_have_stopped(
    qtbot: QtBot, page: QueuePage, database: Database, sandbox: SandboxEndpoints
) -> None:
    server = Server(database, sandbox)
    try:
        await server.read()
    finally:
        await server.monitor.aclose()
    async with watching(page, database) as poller:
        await eventually(lambda: page.model.rowCount() > 0, timeout=10)
        assert isinstance(poller.monitor, ServerQueue) and poller.monitor.snapshot is not None
        old = poller.monitor.snapshot
        poller.monitor.snapshot = replace(old, taken_at=old.taken_at - timedelta(minutes=20))
        page._update_freshness()
        assert "is its daemon running?" in page.freshness.text()


class AskingQueue:
    """A watching desktop's QueueService: each action is a request the team server carries out
    (engine/team/asking.py; the request itself is tested in test_team_actions.py)."""

    watching = True

    def __init__(self) -> None:
        self.asked: list[tuple[str, int, str | None]] = []

    async def fix_name(self, monitor: object, mailshot_id: int, name: str) -> ActionOutcome:
        assert monitor is None  # no monitor of its own: the server's does it
        self.asked.append(("fix_name", mailshot_id, name))
        words = f'Fix name: done by the team server. "{name}" (#99) is queued.'
        return ActionOutcome(words, None, 99)

    async def record_key_check(self, monitor: object, until: object, enabled: bool) -> None:
        assert monitor is None
        self.asked.append(("key_check", 0, str(enabled)))

    async def cancel(self, monitor: object, mailshot_id: int) -> ActionOutcome:
        self.asked.append(("cancel", mailshot_id, None))
        return ActionOutcome("Cancel: done by the team server.", None)


async def test_a_watching_desktops_fix_name_is_sent_to_the_team_server(
    qtbot: QtBot, page: QueuePage, database: Database, sandbox: SandboxEndpoints
) -> None:
    server = Server(database, sandbox)
    try:
        (long_id,) = server.create(name=LONG)
        for _ in range(4):
            await server.read()
        async with watching(page, database) as poller:
            asking = AskingQueue()
            poller.service = asking  # type: ignore[assignment]
            await eventually(lambda: page.banner.isVisible(), timeout=10)
            page.select_mailshot(long_id)
            page._fix(long_id, "A short name")
            await eventually(lambda: "done by the team server" in page.detail.outcome.text())
            assert asking.asked == [("fix_name", long_id, "A short name")]
            poller.record_key_check(None, True)  # "Record a check": the server records it
            await eventually(lambda: ("key_check", 0, "True") in asking.asked)
            await eventually(lambda: "recorded the check" in page.detail.outcome.text())
            assert "This desktop watches the team store" not in page.detail.outcome.text()
            assert poller.monitor.requests_made() == 0  # this desktop asked no remote
    finally:
        await server.monitor.aclose()
