"""Saving Settings reaches the window with no restart: a queue that was not set up starts being
read once Spotler is, a changed Spotler key is used from the next read, and switching Spotler off
stops the reading, each said on the page; real addresses saved in the sandbox end its banner."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from gui_fakes import eventually
from pytestqt.qtbot import QtBot

import loopback_http
from syncmonitor.app.config import (
    Config,
    MailshotSettings,
    OutreachSettings,
    SandboxSettings,
    ScheduleSettings,
    SpotlerSettings,
    WorkbooksSettings,
)
from syncmonitor.app.credentials import Secret, store_secret
from syncmonitor.app.paths import app_paths
from syncmonitor.engine.bootstrap import start_services
from syncmonitor.sandbox.process import SandboxEndpoints, SandboxProcess
from syncmonitor.ui.app import SyncMonitorApp
from syncmonitor.ui.notifier import RecordingNotifier
from syncmonitor.ui.sync_controller import Phase

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(120)]


@pytest.fixture
def sandbox() -> Iterator[SandboxEndpoints]:
    process = SandboxProcess(seed=5, people=10, tick=0)
    try:
        yield process.start(timeout=60)
    finally:
        process.stop()


async def test_settings_switch_the_queue_on_change_its_key_and_switch_it_off_without_a_restart(
    qtbot: QtBot, tmp_home: Path, sandbox: SandboxEndpoints
) -> None:
    ep = sandbox
    store_secret(Secret.WORKBOOKS_API_KEY, ep.workbooks_api_key)
    store_secret(Secret.SPOTLER_CONSUMER_KEY, ep.spotler_consumer_key)
    store_secret(Secret.SPOTLER_CONSUMER_SECRET, ep.spotler_consumer_secret)
    without_spotler = Config(
        workbooks=WorkbooksSettings(base_url=ep.workbooks_base_url),
        mailshots=MailshotSettings(busy_poll_seconds=1.0, idle_poll_seconds=5.0),
        schedule=ScheduleSettings(paused=True),
    )
    with_spotler = replace(without_spotler, spotler=SpotlerSettings(base_url=ep.spotler_base_url))
    gui = SyncMonitorApp(
        without_spotler,
        lambda: start_services(without_spotler, app_paths()),
        use_tray=False,
        notifier=RecordingNotifier(),
    )
    gui.start()
    try:
        await eventually(lambda: gui.controller.phase is Phase.IDLE, timeout=60)
        page = gui.window.queue
        assert page.poller is None
        assert "Spotler is not configured" in page.empty.hint.text()

        gui._apply_settings(with_spotler)  # what saving Settings does
        await eventually(lambda: page.poller is not None and page.poller.polls >= 1, timeout=30)
        assert page.model.rowCount() > 0
        assert "the queue is set up, reading it now" in page.settings_note.text()
        assert not page.settings_note.isHidden()

        # A key that Spotler no longer knows, saved in Settings: the next read uses it.
        store_secret(Secret.SPOTLER_CONSUMER_KEY, "a-regenerated-old-key")
        poller = page.poller
        assert poller is not None
        polls = poller.polls
        # Something waits: Spotler is asked.
        with loopback_http.client(base_url=ep.admin_url) as admin:
            admin.put("/gatormail", json={"new_every": 0, "seconds_per_mailshot": 30})
            admin.post("/gatormail/mailshots", json={"count": 1})
        gui._apply_settings(replace(with_spotler))
        await eventually(lambda: "from the next read on" in page.settings_note.text())

        def told_key() -> bool:
            return poller.polls > polls and "consumer key" in page.notes.text()

        await eventually(told_key, timeout=30)

        gui._apply_settings(without_spotler)  # Spotler switched off
        await eventually(lambda: page.poller is None, timeout=30)
        assert "switched it off" in page.empty.hint.text()
        assert page.list_stack.currentWidget() is page.empty
        assert not page.read_now.isEnabled()
        await eventually(lambda: page.stopping is not None and page.stopping.done(), timeout=30)
        polls = poller.polls
        await asyncio.sleep(2.5)  # more than two busy-rate polls (1 s)
        assert poller.polls == polls  # no read after it was switched off
    finally:
        await gui.shutdown()
        gui.window.deleteLater()


async def test_real_addresses_saved_in_the_sandbox_end_the_sandbox_banner(
    qtbot: QtBot, tmp_home: Path, sandbox: SandboxEndpoints
) -> None:
    sandbox_config = Config(
        sandbox=SandboxSettings(people=10, tick_seconds=0), schedule=ScheduleSettings(paused=True)
    )
    gui = SyncMonitorApp(
        sandbox_config,
        lambda: start_services(sandbox_config, app_paths()),
        use_tray=False,
        notifier=RecordingNotifier(),
    )
    gui.start()
    try:
        await eventually(lambda: gui.controller.phase is Phase.IDLE, timeout=60)
        window = gui.window
        assert window.banner.isVisibleTo(window) and "(sandbox)" in window.windowTitle()
        assert window.sandbox_menu.menuAction().isVisible()
        ep = sandbox  # standing for the person's real Outreach and Workbooks
        store_secret(Secret.OUTREACH_TOKEN, ep.outreach_token)
        store_secret(Secret.WORKBOOKS_API_KEY, ep.workbooks_api_key)
        gui._apply_settings(
            replace(
                sandbox_config,
                outreach=OutreachSettings(base_url=ep.outreach_base_url),
                workbooks=WorkbooksSettings(base_url=ep.workbooks_base_url),
            )
        )
        await eventually(lambda: not window.banner.isVisibleTo(window), timeout=30)
        assert "(sandbox)" not in window.windowTitle()
        assert not window.sandbox_menu.menuAction().isVisible()
    finally:
        await gui.shutdown()
        gui.window.deleteLater()
