"""The main window with a fake SyncService: Sync now, progress, cancel, failures, the schedule."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
import pytest_asyncio
from gui_cache import PersonSpec, Transition, insert_people
from gui_fakes import FakeServices, FakeSyncService, eventually, succeeded_run
from PySide6.QtCore import QSettings, Qt
from pytestqt.qtbot import QtBot

from syncmonitor.app.config import Config, ConfigError, OutreachSettings, WorkbooksSettings
from syncmonitor.domain.timestamps import utc_now
from syncmonitor.engine.runs.kinds import SyncKind
from syncmonitor.store.database import Database
from syncmonitor.ui import status_bar
from syncmonitor.ui.app import SyncMonitorApp
from syncmonitor.ui.main_window import SANDBOX_TEXT, MainWindow
from syncmonitor.ui.notifier import Level, RecordingNotifier
from syncmonitor.ui.sync_controller import Phase

pytestmark = pytest.mark.asyncio

REAL_REMOTES = Config(
    outreach=OutreachSettings(base_url="https://api.outreach.io/api/v2"),
    workbooks=WorkbooksSettings(base_url="https://secure.workbooks.com"),
)


@dataclass
class Running:
    """An app on a fake service, started and idle."""

    gui: SyncMonitorApp
    service: FakeSyncService
    services: FakeServices
    notifier: RecordingNotifier

    @property
    def window(self) -> MainWindow:
        return self.gui.window


@pytest_asyncio.fixture
async def start_app(
    qtbot: QtBot, make_cache: Callable[..., Database]
) -> AsyncIterator[Callable[..., Running]]:
    apps: list[SyncMonitorApp] = []

    def start(config: Config | None = None, people: int = 30, sandbox: bool = True) -> Running:
        service = FakeSyncService(make_cache(people=people), sandbox_mode=sandbox)
        service.previous = succeeded_run(minutes_ago=2)  # no catch-up run at start
        services = FakeServices(service)
        notifier = RecordingNotifier()
        gui = SyncMonitorApp(
            config or Config(), lambda: services, use_tray=False, notifier=notifier
        )
        apps.append(gui)  # not qtbot.addWidget: the teardown below closes it, after shutdown
        gui.start()
        return Running(gui, service, services, notifier)

    yield start
    for gui in apps:  # cancel what still runs and close the services, as Quit does
        await gui.shutdown()
        gui.window.deleteLater()


async def started(qtbot: QtBot, make: Callable[..., Running], **kwargs: object) -> Running:
    app = make(**kwargs)
    await eventually(lambda: app.gui.controller.phase is Phase.IDLE)
    await eventually(lambda: app.window.people.model.source and not app.window.people.model.loading)
    return app


async def test_sync_now_shows_progress_becomes_cancel_and_cancel_works(
    qtbot: QtBot, start_app: Callable[..., Running]
) -> None:
    app = await started(qtbot, start_app)
    window, service = app.window, app.service
    assert window.sync_action.text() == "Sync now" and window.sync_action.isEnabled()
    service.hold = True

    assert window.cancel_action.isVisible() and not window.cancel_action.isEnabled()
    window.sync_action.trigger()
    await eventually(lambda: service.reached_page.is_set())
    assert window.cancel_action.isEnabled() and window.cancel_action.text() == "Cancel sync"
    progress = window.status.progress
    await eventually(lambda: progress.maximum() == 1000 and progress.value() == 200)
    assert progress.isVisible()
    assert "Reading Outreach sequence states… (200 of 1,000)" in window.status.activity.text()
    assert window.status.next_label.text() == "Next sync: after this one"

    window.cancel_action.trigger()
    assert window.cancel_action.text() == "Cancelling…"
    assert not window.cancel_action.isEnabled()
    await eventually(lambda: app.gui.controller.phase is Phase.IDLE)
    assert window.sync_action.text() == "Sync now"
    assert window.cancel_action.isVisible() and not window.cancel_action.isEnabled()
    assert window.status.activity.text() == (
        "Sync cancelled; everything read before the cancel is kept."
    )
    assert window.status.last_label.text() == "Last sync cancelled just now"
    assert not progress.isVisible()
    assert service.runs == ["forced"]


async def test_progress_is_busy_while_the_total_is_unknown(
    qtbot: QtBot, start_app: Callable[..., Running]
) -> None:
    app = await started(qtbot, start_app)
    app.service.hold = True
    app.service.known_total = False
    app.window.sync_action.trigger()
    await eventually(lambda: "Reading Outreach" in app.window.status.activity.text())
    assert app.window.status.progress.maximum() == 0  # Qt's busy indicator
    app.service.release()
    await eventually(lambda: not app.gui.controller.running)


async def test_failure_is_shown_dismissible_and_notified_once(
    qtbot: QtBot, start_app: Callable[..., Running]
) -> None:
    app = await started(qtbot, start_app)
    window, status = app.window, app.window.status
    app.service.fail_with = (
        "Outreach refused the token",
        "The token was rejected (401). Sign in to Outreach again in Settings.",
    )
    window.sync_action.trigger()
    await eventually(lambda: bool(status.error_text))
    assert status.error_text == (
        "Outreach refused the token. The token was rejected (401). "
        "Sign in to Outreach again in Settings."
    )
    assert status.last_label.text() == "Last sync failed just now"
    assert [(n.level, n.title) for n in app.notifier.sent] == [
        (Level.ERROR, "Outreach refused the token")
    ]

    qtbot.mouseClick(status.dismiss_button, Qt.MouseButton.LeftButton)
    assert status.error_text == ""
    assert not status.error_box.isVisible()

    window.sync_action.trigger()  # the same failure again: shown again, not notified again
    await eventually(lambda: bool(status.error_text))
    assert len(app.notifier.sent) == 1

    app.service.fail_with = None
    window.sync_action.trigger()
    await eventually(lambda: status.last_label.text() == "Last sync just now")
    assert status.error_text == ""
    assert app.notifier.sent[-1].level is Level.INFO
    assert app.notifier.sent[-1].title == "Sync works again"


async def test_people_page_refreshes_after_a_sync(
    qtbot: QtBot, start_app: Callable[..., Running]
) -> None:
    app = await started(qtbot, start_app, people=30)
    page = app.window.people
    assert page.count_label.text() == "30 people"
    newcomer = PersonSpec(
        5000, "Aaron Aardvark", "aaron@example.com", history={1: [Transition("active", 1)]}
    )
    app.service.on_sync = lambda db: insert_people(db, [newcomer])

    app.window.sync_action.trigger()
    await eventually(lambda: page.count_label.text() == "31 people")
    assert page.model.index(0, 0).data() == "Aaron Aardvark"


async def test_sandbox_banner_only_in_sandbox_mode(
    qtbot: QtBot, start_app: Callable[..., Running]
) -> None:
    sandbox = await started(qtbot, start_app)
    assert sandbox.window.banner.isVisible()
    assert sandbox.window.banner_label.text() == SANDBOX_TEXT
    assert "sandbox" in sandbox.window.windowTitle()

    real = await started(qtbot, start_app, config=REAL_REMOTES, sandbox=False)
    assert not real.window.banner.isVisible()
    assert real.window.windowTitle() == "Sync Monitor"


async def test_window_shows_at_once_while_the_services_start(
    qtbot: QtBot, make_cache: Callable[..., Database]
) -> None:
    service = FakeSyncService(make_cache(people=3))
    service.previous = succeeded_run(minutes_ago=1)
    gate = threading.Event()

    def slow_start() -> FakeServices:
        gate.wait(5)
        return FakeServices(service)

    gui = SyncMonitorApp(Config(), slow_start, use_tray=False, notifier=RecordingNotifier())
    qtbot.addWidget(gui.window)
    gui.start()
    window = gui.window
    await eventually(lambda: window.isVisible())
    assert window.people.empty.title.text() == "Starting the sandbox…"
    assert window.status.activity.text() == "Starting the sandbox…"
    assert not window.sync_action.isEnabled()

    gate.set()
    await eventually(lambda: window.sync_action.isEnabled())
    await eventually(lambda: window.people.count_label.text() == "3 people")
    assert window.status.last_label.text() == "Last sync 1 min ago"
    await gui.shutdown()


async def test_a_start_failure_says_what_to_do_and_can_be_retried(
    qtbot: QtBot, make_cache: Callable[..., Database]
) -> None:
    service = FakeSyncService(make_cache(people=2))
    service.previous = succeeded_run()
    attempts: list[int] = []

    def start() -> FakeServices:
        attempts.append(1)
        if len(attempts) == 1:
            raise ConfigError("[outreach] base_url is not a web address.", "Fix the value.")
        return FakeServices(service)

    notifier = RecordingNotifier()
    gui = SyncMonitorApp(Config(), start, use_tray=False, notifier=notifier)
    qtbot.addWidget(gui.window)
    gui.start()
    window = gui.window
    await eventually(lambda: window.sync_action.text() == "Retry start")
    assert window.status.error_text == (
        "The configuration file has a problem. "
        "[outreach] base_url is not a web address. Fix the value."
    )
    assert notifier.sent[0].level is Level.ERROR

    window.sync_action.trigger()
    await eventually(lambda: window.sync_action.isEnabled() and not window.status.error_text)
    assert window.sync_action.text() == "Sync now"
    await eventually(lambda: window.people.count_label.text() == "2 people")
    await gui.shutdown()


async def test_the_interval_runs_a_scheduled_sync_and_next_sync_is_never_past(
    qtbot: QtBot, start_app: Callable[..., Running]
) -> None:
    app = await started(qtbot, start_app)
    controller = app.gui.controller
    assert app.window.status.next_label.text() == "Next full sync in 28 min"

    controller.set_intervals(
        {SyncKind.FULL: timedelta(minutes=30), SyncKind.INBOUND: timedelta(seconds=0.2)}
    )  # counted from the last run, 2 min ago: inbound is overdue and runs at once
    await eventually(lambda: app.service.runs == ["scheduled"])
    assert app.service.requests[0][1] == "inbound"
    await eventually(lambda: controller.phase is Phase.IDLE)
    assert controller.next_due is not None and controller.next_due >= utc_now()
    assert app.window.status.next_label.text() in (
        "Next inbound sync due now",
        "Next inbound sync in 1 min",
    )


async def test_last_sync_time_stays_fresh(
    qtbot: QtBot, start_app: Callable[..., Running], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = await started(qtbot, start_app)
    status = app.window.status
    assert status.last_label.text() == "Last sync 2 min ago"
    assert status._clock.interval() == 30_000 and status._clock.isActive()

    later = utc_now() + timedelta(minutes=45)
    monkeypatch.setattr(status_bar, "utc_now", lambda: later)
    status._clock.timeout.emit()
    assert status.last_label.text() == "Last sync 47 min ago"
    assert status.next_label.text() == "Next full sync due now"


async def test_window_geometry_is_saved_and_restored(
    qtbot: QtBot, start_app: Callable[..., Running]
) -> None:
    app = await started(qtbot, start_app)
    app.window.resize(800, 610)  # inside the offscreen screen (800 x 800)
    app.window.save_geometry()
    assert QSettings().value("window/geometry") is not None

    again = await started(qtbot, start_app)
    assert again.window.size().width() == 800
    assert again.window.size().height() == 610
