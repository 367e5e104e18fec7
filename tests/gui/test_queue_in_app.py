"""The whole app in sandbox mode watches the GatorMail queue from the start, on whatever page it
shows, and tells the person when the queue blocks."""

from __future__ import annotations

from pathlib import Path

import pytest
from gui_fakes import eventually
from pytestqt.qtbot import QtBot

import loopback_http
from syncmonitor.app.config import Config, MailshotSettings, SandboxSettings
from syncmonitor.app.paths import app_paths
from syncmonitor.engine.bootstrap import Services, start_services
from syncmonitor.engine.runs.events import RunResult
from syncmonitor.engine.runs.notices import NoticeLevel
from syncmonitor.engine.runs.targets import RunRequest
from syncmonitor.ui.app import SyncMonitorApp
from syncmonitor.ui.notifier import RecordingNotifier
from syncmonitor.ui.sync_controller import Phase

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(120)]

CONFIG = Config(
    sandbox=SandboxSettings(seed=4, people=50, tick_seconds=0),
    mailshots=MailshotSettings(busy_poll_seconds=1.0, idle_poll_seconds=5.0),
)


async def test_the_queue_is_watched_in_the_background_and_a_block_is_told(
    qtbot: QtBot, tmp_home: Path
) -> None:
    started: list[Services] = []

    def starter() -> Services:
        services = start_services(CONFIG, app_paths())
        started.append(services)
        return services

    notifier = RecordingNotifier()
    gui = SyncMonitorApp(CONFIG, starter, use_tray=False, notifier=notifier)
    gui.start()
    try:
        await eventually(lambda: gui.controller.phase is Phase.IDLE, timeout=60)
        window = gui.window
        page = window.queue
        await eventually(lambda: page.poller is not None and page.poller.polls >= 1, timeout=30)
        poller = page.poller
        assert poller is not None
        assert window.pages.currentWidget() is window.people  # the queue page is not on screen
        assert not poller.visible
        assert page.model.rowCount() >= 6  # the sandbox's history and its queue

        sandbox = started[0].sandbox
        assert sandbox is not None and sandbox.endpoints is not None
        with loopback_http.client(base_url=sandbox.endpoints.admin_url) as admin:
            admin.put("/gatormail", json={"new_every": 0, "seconds_per_mailshot": 0.05})
            admin.post("/gatormail/mailshots", json={"name": "N" * 130})
            admin.post("/gatormail/mailshots", json={"count": 2})
        await eventually(
            lambda: any(n.title == "The GatorMail queue is blocked" for n in notifier.sent),
            timeout=30,
        )
        blocked = [n for n in notifier.sent if n.title == "The GatorMail queue is blocked"]
        assert len(blocked) == 1 and blocked[0].level is NoticeLevel.ERROR
        assert "its name has 130 characters and GatorMail accepts at most 100" in (
            blocked[0].message
        )

        window.sidebar.setCurrentRow(window.all_pages().index(page))
        await eventually(lambda: poller.visible)
        assert page.banner.isVisible()
    finally:
        await gui.shutdown()
        gui.window.deleteLater()


async def test_read_again_now_is_a_scheduler_run_with_the_syncs(
    qtbot: QtBot, tmp_home: Path
) -> None:
    gui = SyncMonitorApp(
        CONFIG,
        lambda: start_services(CONFIG, app_paths()),
        use_tray=False,
        notifier=RecordingNotifier(),
    )
    gui.start()
    try:
        await eventually(lambda: gui.controller.phase is Phase.IDLE, timeout=60)
        page = gui.window.queue
        await eventually(lambda: page.poller is not None and page.model.rowCount() > 0, timeout=30)
        assert page.poller is not None
        requests: list[RunRequest] = []
        results: list[RunResult] = []
        gui.controller.run_started.connect(requests.append)
        gui.controller.run_finished.connect(results.append)
        page.table.selectRow(0)
        mailshot = page.detail.item
        assert mailshot is not None
        reads = page.poller.monitor.requests_made()

        page.detail.refresh_button.click()

        await eventually(lambda: len(results) == 1, timeout=30)
        assert requests[0].target.type == "mailshot"
        assert requests[0].target.key == str(mailshot.facts.id)
        assert mailshot.facts.name in requests[0].target.label
        assert results[0].ok, results[0].error_message
        assert page.poller.monitor.requests_made() > reads  # it really read the mailshot again
        assert gui.controller.scheduler.failures == 0
    finally:
        await gui.shutdown()
