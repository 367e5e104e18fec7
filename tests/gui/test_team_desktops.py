"""Team mode on screen: a server (the daemon's service and request server, in this process) and two
watching desktops (the real app, offscreen) on one PostgreSQL store.

What the server writes appears on both desktops within seconds; a desktop's Sync now is carried
out by the server and its result shown on that desktop; a store that stops answering is named on
the status bar with the time, the pages keep their last view; a watcher login is told it can only
watch, and Sync now is off."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from gui_fakes import eventually
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import create_engine, func, select, text, update
from sqlalchemy.engine import make_url

from store_backends import StoreFactory
from syncmonitor.app.config import CacheSettings, Config, OutreachSettings, WorkbooksSettings
from syncmonitor.app.paths import app_paths
from syncmonitor.engine.bootstrap import Services, start_services
from syncmonitor.engine.runs.service import Remotes, SyncService
from syncmonitor.engine.team.actions import ServerActions
from syncmonitor.engine.team.lock import lock_for
from syncmonitor.engine.team.server import RequestServer
from syncmonitor.engine.team.watch import WATCH_ONLY_TEXT
from syncmonitor.sandbox.process import SandboxProcess
from syncmonitor.store.issues import RecordIssue, count_open_issues, record_issues
from syncmonitor.store.schema import prospects
from syncmonitor.ui.app import SyncMonitorApp
from syncmonitor.ui.notifier import RecordingNotifier
from syncmonitor.ui.sync_controller import Phase

pytestmark = pytest.mark.asyncio

PEOPLE = 40


@dataclass
class Server:
    """The server's SyncService on the team store, reaching a sandbox with the secrets."""

    service: SyncService


@dataclass
class Team:
    server: Server
    url: str  # without its password
    password: str
    requests: RequestServer
    stop: asyncio.Event
    serving: asyncio.Future[None]


@pytest.fixture
def store(store_backend: StoreFactory) -> StoreFactory:
    if not store_backend.postgresql:
        pytest.skip("team mode is PostgreSQL's")
    return store_backend


@pytest.fixture
def server_harness(store: StoreFactory, tmp_path: Path) -> Iterator[Server]:
    process = SandboxProcess(seed=11, people=PEOPLE, tick=0)
    ep = process.start(timeout=60)
    try:
        database = store.open(tmp_path / "server")
        config = Config(
            outreach=OutreachSettings(base_url=ep.outreach_base_url),
            workbooks=WorkbooksSettings(base_url=ep.workbooks_base_url, two_way_enabled=False),
        )
        remotes = Remotes(
            ep.outreach_base_url, ep.outreach_token, ep.workbooks_base_url, ep.workbooks_api_key
        )
        lock = lock_for(database, tmp_path / "server.lock", role="server")
        yield Server(SyncService(config, database, remotes, lock=lock, sandbox_mode=False))
    finally:
        process.stop()


@dataclass
class Setup:
    server: Server
    url: str  # without its password (that is in SYNCMONITOR_CACHE_PASSWORD)
    password: str
    admin_url: str


@pytest.fixture
def setup(
    store: StoreFactory, server_harness: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Setup:
    full = make_url(store.by_folder[tmp_path / "server"])
    monkeypatch.setenv("SYNCMONITOR_CACHE_PASSWORD", full.password or "")
    bare = full._replace(password=None).render_as_string(hide_password=False)
    return Setup(
        server_harness, bare, full.password or "", str(store.by_folder[tmp_path / "server"])
    )


@contextlib.asynccontextmanager
async def serving(setup: Setup) -> AsyncIterator[Team]:
    """The server holding the store's lock and serving requests, as `syncmonitor daemon` does."""
    server = setup.server
    server.service.lock.acquire()
    requests = RequestServer(server.service, poll_s=0.2)
    ServerActions(server.service).register(requests)  # the daemon's handlers (Fix name, ...)
    await requests.recover()
    stop = asyncio.Event()
    team = Team(
        server, setup.url, setup.password, requests, stop, asyncio.ensure_future(requests.run(stop))
    )
    try:
        yield team
    finally:
        team.stop.set()
        await team.serving
        server.service.lock.release()


async def open_desktop(url: str, home_started: list[Services]) -> SyncMonitorApp:
    config = Config(cache=CacheSettings(url=url))

    def starter() -> Services:
        services = start_services(config, app_paths())
        home_started.append(services)
        return services

    gui = SyncMonitorApp(config, starter, use_tray=False, notifier=RecordingNotifier())
    gui.start()
    await eventually(lambda: gui.controller.phase is Phase.IDLE, timeout=30)
    return gui


@contextlib.asynccontextmanager
async def watching(url: str, count: int = 2) -> AsyncIterator[list[SyncMonitorApp]]:
    """`count` desktops (the real app) pointed at the team store."""
    started: list[Services] = []
    apps: list[SyncMonitorApp] = []
    try:
        for _ in range(count):
            apps.append(await open_desktop(url, started))
        yield apps
    finally:
        for gui in apps:  # no more page reads, and the ones still out delivered, before closing
            gui.team_watch.stop()
        await asyncio.sleep(0.6)
        for gui in apps:
            await gui.shutdown()
            gui.window.deleteLater()


def people_shown(gui: SyncMonitorApp) -> str:
    return gui.window.people.count_label.text()


async def test_what_the_server_writes_appears_on_both_desktops(
    setup: Setup, tmp_home: Path
) -> None:
    async with serving(setup) as team, watching(setup.url) as desktops:
        for gui in desktops:
            assert gui.controller.scheduler.paused  # the server syncs; desktops do not
            assert gui.window.windowTitle() == "Sync Monitor"  # no sandbox banner here
            service = gui.controller.service
            assert service is not None and service.remotes.outreach_token is None  # no secrets
            # The Salesmate import writes the store itself: on a team store the server does it.
            assert not gui.window.import_salesmate_action.isEnabled()
            assert "runs on the server" in gui.window.import_salesmate_action.toolTip()
            # The queue is the server's to read: the page shows its readings from the store,
            # not "set up Workbooks".
            await eventually(
                lambda gui=gui: (
                    gui.window.queue.poller is not None and gui.window.queue.poller.watching
                ),
                10,
            )
            assert "set up" not in gui.window.queue.empty.title.text().lower()
        result = await team.server.service.sync_once(trigger="scheduled")
        assert result.ok, result.summary
        for gui in desktops:  # polled once a second: well within the 5 s the issue allows
            await eventually(lambda gui=gui: people_shown(gui) == f"{PEOPLE} people", timeout=5)
        # A change no run start or history row marks (a prospect renamed): the store's notice
        # alone brings it to both screens.
        with team.server.service.database.engine.begin() as conn:
            conn.execute(
                update(prospects)
                .where(prospects.c.id == select(func.min(prospects.c.id)).scalar_subquery())
                .values(name="Aaron Renamed-On-The-Server")
            )
        for gui in desktops:
            model = gui.window.people.model
            await eventually(
                lambda m=model: m.index(0, 0).data() == "Aaron Renamed-On-The-Server", timeout=5
            )


async def test_sync_now_on_a_desktop_is_done_by_the_server_and_shown(
    qtbot: QtBot, setup: Setup, tmp_home: Path
) -> None:
    async with serving(setup) as team, watching(setup.url) as (asker, other):
        button = asker.window.toolbar.widgetForAction(asker.window.sync_action)
        assert button is not None and button.isEnabled()
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        await eventually(
            lambda: asker.controller.last_result is not None and not asker.controller.running, 60
        )
        result = asker.controller.last_result
        assert result is not None and result.ok, result and result.summary
        assert result.records_written["transitions"] > 0  # the server's run, shown here
        assert team.server.service.last_run().run_id == result.run_id  # type: ignore[union-attr]
        await eventually(lambda: people_shown(asker) == f"{PEOPLE} people", timeout=5)
        await eventually(lambda: people_shown(other) == f"{PEOPLE} people", timeout=5)


def set_connections(url: str, allowed: bool) -> None:
    """Let the store's database take new connections or not, and end the open ones."""
    parsed = make_url(url)
    name = parsed.database
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(allowed).lower()}'))
        if not allowed:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :n AND pid <> pg_backend_pid()"
                ),
                {"n": name},
            )
    admin.dispose()


async def test_an_unreachable_store_is_named_with_the_time_and_the_view_is_kept(
    setup: Setup, tmp_home: Path
) -> None:
    async with serving(setup) as team:
        assert (await team.server.service.sync_once(trigger="scheduled")).ok
    async with watching(setup.url, 1) as (gui,):
        await eventually(lambda: people_shown(gui) == f"{PEOPLE} people", timeout=5)
        set_connections(setup.admin_url, False)
        try:
            status = gui.window.status
            await eventually(lambda: status.error_box.isVisible(), timeout=15)
            shown = status.error_text  # the whole message (the label has its title)
            assert "The team store cannot be reached since " in shown
            since = gui.team_watch.unreachable_since
            assert since is not None and f"since {since:%H:%M}" in shown
            await asyncio.sleep(1.5)  # more polls fail: the pages keep their last view
            assert people_shown(gui) == f"{PEOPLE} people"
            assert gui.window.people.model.rowCount() == PEOPLE
        finally:
            set_connections(setup.admin_url, True)
        await eventually(lambda: not gui.window.status.error_box.isVisible(), timeout=15)
        assert gui.team_watch.unreachable_since is None


async def test_a_watcher_login_is_told_it_can_only_watch(
    setup: Setup, tmp_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = make_url(setup.url)
    role = f"sm_gui_watch_{abs(hash(str(tmp_home))) % 100000}"
    admin = create_engine(setup.admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        conn.execute(text(f"CREATE ROLE \"{role}\" LOGIN PASSWORD 'watch-pw'"))
        conn.execute(text(f'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{role}"'))
    monkeypatch.setenv("SYNCMONITOR_CACHE_PASSWORD", "watch-pw")
    try:
        watcher = url._replace(username=role).render_as_string(hide_password=False)
        async with watching(watcher, 1) as (gui,):
            await eventually(lambda: gui.team_watch.watch_only, timeout=10)
            assert not gui.window.sync_action.isEnabled()
            assert gui.window.sync_action.toolTip() == WATCH_ONLY_TEXT
            assert gui.window.status.activity.text() == WATCH_ONLY_TEXT
            gui.controller.phase_changed.emit()  # a phase change does not turn it back on
            assert not gui.window.sync_action.isEnabled()
            # Every other action is off too, with the same reason, even when its page would
            # turn it on (an issue selected).
            for action in (gui.window.scope_action, gui.window.sync_person_action):
                assert not action.isEnabled() and action.toolTip() == WATCH_ONLY_TEXT
                action.setEnabled(True)  # a person selected would turn it on: it stays off
                assert not action.isEnabled()
            issues = gui.window.issues
            for button in (issues.dismiss_button, issues.retry_button):
                assert not button.isEnabled()
                assert button.toolTip() == WATCH_ONLY_TEXT
                button.setEnabled(True)
                assert not button.isEnabled()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP OWNED BY "{role}"'))
            conn.execute(text(f'DROP ROLE "{role}"'))
        admin.dispose()


async def test_a_dismiss_on_one_desktop_is_done_by_the_server_and_seen_on_both(
    qtbot: QtBot, setup: Setup, tmp_home: Path
) -> None:
    engine = setup.server.service.database.engine
    async with serving(setup) as team:
        assert (await team.server.service.sync_once(trigger="scheduled")).ok
        with engine.begin() as conn:  # a record the server could not sync
            record_issues(
                conn,
                [RecordIssue("outreach", "person", "77", "Ann Issue", "Bad email", "Fix it")],
                None,
            )
        async with watching(setup.url) as (asker, other):
            page = asker.window.issues
            asker.window.show_page(page)
            await eventually(lambda: page.model.rowCount() >= 1, timeout=10)
            row = next(
                r
                for r, group in enumerate(page.model.groups)
                if any(i.record_key == "77" for i in group.issues)
            )
            page.select_group(row)
            assert page.dismiss_button.isEnabled()
            qtbot.mouseClick(page.dismiss_button, Qt.MouseButton.LeftButton)
            status = asker.window.status.activity
            await eventually(lambda: "Dismiss: done by the team server" in status.text(), 15)
            with engine.connect() as conn:
                assert count_open_issues(conn) == 0  # the server wrote it, once
            for gui in (asker, other):
                model = gui.window.issues.model
                await eventually(
                    lambda m=model: all(i.record_key != "77" for g in m.groups for i in g.issues),
                    timeout=10,
                )
