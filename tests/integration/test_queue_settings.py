"""Settings saved while the app runs reach the queue monitor with no restart: the next read uses
the new addresses, credentials and intervals, a read in flight finishes on the old ones, a queue
that was not set up can be read once it is, one switched off says why, and the Salesmate import
follows too."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from gatormail_helpers import GatorMailSandbox, start_gatormail

from recording_sink import RecordingSink
from syncmonitor.app.config import (
    Config,
    MailshotSettings,
    SalesmateSettings,
    ScheduleSettings,
    SpotlerSettings,
    WorkbooksSettings,
)
from syncmonitor.app.credentials import Secret, store_secret
from syncmonitor.app.paths import app_paths
from syncmonitor.engine.bootstrap import Services, start_services
from syncmonitor.engine.mailshots.monitor import QueueMonitor, QueueNotConfiguredError
from syncmonitor.sandbox.admin import AdminClient

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(90)]

SPOTLER_READ = "Spotler GET /campaign/list"


@pytest.fixture
def gatormail() -> Iterator[GatorMailSandbox]:
    yield from start_gatormail()


def real_config(gatormail: GatorMailSandbox, *, spotler: bool = True) -> Config:
    """Workbooks and Spotler at the sandbox's addresses, as a person types them in Settings."""
    ep = gatormail.endpoints
    return Config(
        workbooks=WorkbooksSettings(base_url=ep.workbooks_base_url),
        spotler=SpotlerSettings(base_url=ep.spotler_base_url if spotler else None),
        mailshots=MailshotSettings(busy_poll_seconds=1.0, idle_poll_seconds=30.0),
        schedule=ScheduleSettings(paused=True),
    )


def save_keys(gatormail: GatorMailSandbox, spotler_key: str | None = None) -> None:
    ep = gatormail.endpoints
    store_secret(Secret.WORKBOOKS_API_KEY, ep.workbooks_api_key)
    store_secret(Secret.SPOTLER_CONSUMER_KEY, spotler_key or ep.spotler_consumer_key)
    store_secret(Secret.SPOTLER_CONSUMER_SECRET, ep.spotler_consumer_secret)


def spotler_ok(services: Services, result_reads: tuple) -> bool:  # type: ignore[type-arg]
    (read,) = [r for r in result_reads if r.name == SPOTLER_READ]
    return bool(read.ok)


@pytest.fixture
def services(tmp_home: Path) -> Iterator[list[Services]]:
    opened: list[Services] = []
    yield opened
    for s in opened:
        s.close()


def start(config: Config, opened: list[Services]) -> Services:
    s = start_services(config, app_paths())
    opened.append(s)
    return s


async def test_a_spotler_key_changed_in_settings_is_used_by_the_next_read_without_a_restart(
    gatormail: GatorMailSandbox, services: list[Services]
) -> None:
    config = real_config(gatormail)
    save_keys(gatormail, spotler_key="an-old-key-spotler-no-longer-knows")
    app = start(config, services)
    monitor = app.queue.open_monitor(RecordingSink())
    assert monitor is not None
    try:
        first = await monitor.poll_once()
        assert not spotler_ok(app, first.snapshot.reads)  # 401: unknown consumer key
        save_keys(gatormail)  # the person types the right key in Settings and saves
        await asyncio.to_thread(app.reconfigure, config)
        second = await monitor.poll_once()
        assert spotler_ok(app, second.snapshot.reads)
        assert monitor.remotes.spotler_consumer_key == gatormail.endpoints.spotler_consumer_key
    finally:
        await monitor.aclose()


async def test_a_read_in_flight_finishes_on_the_old_settings_and_the_next_takes_the_new(
    gatormail: GatorMailSandbox, services: list[Services]
) -> None:
    config = real_config(gatormail)
    save_keys(gatormail)
    app = start(config, services)
    monitor = app.queue.open_monitor(RecordingSink())
    assert monitor is not None
    try:
        await monitor.poll_once()
        admin = AdminClient(gatormail.endpoints.admin_url)
        admin.set_faults(latency_ms=400)  # every answer takes 0.4 s: the read is in flight
        in_flight = asyncio.ensure_future(monitor.poll_once())
        await asyncio.sleep(0.15)
        assert not in_flight.done()
        save_keys(gatormail, spotler_key="a-key-typed-wrong")
        await asyncio.to_thread(app.reconfigure, config)
        during = await in_flight
        admin.clear_faults()
        admin.close()
        assert spotler_ok(app, during.snapshot.reads)  # finished on the key it started with
        gatormail.create()  # something waits: the next read asks Spotler for arrivals
        after = await monitor.poll_once()
        assert not spotler_ok(app, after.snapshot.reads)  # the new (wrong) key, told as such
        (line,) = [n.message for n in after.snapshot.notes if n.code == "read_failed"]
        assert "consumer key" in line
    finally:
        await monitor.aclose()


async def test_new_poll_intervals_apply_from_the_next_read(
    gatormail: GatorMailSandbox, services: list[Services]
) -> None:
    config = real_config(gatormail)
    save_keys(gatormail)
    app = start(config, services)
    monitor = app.queue.open_monitor(RecordingSink())
    assert monitor is not None
    try:
        assert (await monitor.poll_once()).next_delay == 30.0  # idle: nothing queued
        faster = replace(
            config, mailshots=MailshotSettings(busy_poll_seconds=2, idle_poll_seconds=12)
        )
        await asyncio.to_thread(app.reconfigure, faster)
        assert (await monitor.poll_once()).next_delay == 12.0
        assert monitor.settings.busy_poll_seconds == 2
    finally:
        await monitor.aclose()


async def test_a_queue_not_set_up_can_be_read_once_spotler_is_and_one_switched_off_says_why(
    gatormail: GatorMailSandbox, services: list[Services]
) -> None:
    save_keys(gatormail)
    without = real_config(gatormail, spotler=False)
    app = start(without, services)
    with pytest.raises(QueueNotConfiguredError, match="Spotler is not configured"):
        app.queue.open_monitor(RecordingSink())
    assert app.queue.problem() is not None

    with_spotler = real_config(gatormail)
    await asyncio.to_thread(app.reconfigure, with_spotler)
    assert app.queue.problem() is None
    monitor = app.queue.open_monitor(RecordingSink())
    assert isinstance(monitor, QueueMonitor)
    try:
        result = await monitor.poll_once()
        assert result.error is None and spotler_ok(app, result.snapshot.reads)

        await asyncio.to_thread(app.reconfigure, without)  # Spotler switched off again
        problem = app.queue.problem()
        assert problem is not None and "Spotler is not configured" in problem.message
        assert "Settings" in problem.message  # what to do
        # The monitor keeps what it had (the window stops it); it never reads half set up.
        assert monitor.remotes.spotler_base_url == gatormail.endpoints.spotler_base_url
    finally:
        await monitor.aclose()


async def test_the_salesmate_import_asks_the_salesmate_saved_in_settings(
    gatormail: GatorMailSandbox, services: list[Services]
) -> None:
    config = real_config(gatormail)
    save_keys(gatormail)
    app = start(config, services)
    assert not app.imports.asks_salesmate  # no Salesmate yet: rows match the cache only
    ep = gatormail.endpoints
    store_secret(Secret.SALESMATE_TOKEN, ep.salesmate_token)
    salesmate = SalesmateSettings(ep.salesmate_base_url, ep.salesmate_linkname)
    await asyncio.to_thread(app.reconfigure, replace(config, salesmate=salesmate))
    assert app.imports.asks_salesmate
    assert app.imports.salesmate is app.salesmate


async def test_settings_whose_secret_is_not_saved_yet_keep_the_queue_on_the_previous_ones(
    gatormail: GatorMailSandbox, services: list[Services], memory_keyring: object
) -> None:
    config = real_config(gatormail)
    save_keys(gatormail)
    app = start(config, services)
    monitor = app.queue.open_monitor(RecordingSink())
    assert monitor is not None
    try:
        await monitor.poll_once()
        # Spotler's secret deleted from the keyring, then Settings saved: nothing to sign with.
        memory_keyring.passwords = {  # type: ignore[attr-defined]
            k: v
            for k, v in memory_keyring.passwords.items()  # type: ignore[attr-defined]
            if k[1] != Secret.SPOTLER_CONSUMER_SECRET.value
        }
        await asyncio.to_thread(app.reconfigure, config)
        unapplied = app.queue.unapplied
        assert unapplied is not None and "Spotler" in unapplied.message
        assert "Settings" in unapplied.message  # what to do
        result = await monitor.poll_once()
        assert result.error is None  # still reading, on the previous settings
        secret = gatormail.endpoints.spotler_consumer_secret
        assert monitor.remotes.spotler_consumer_secret == secret

        save_keys(gatormail)  # saved now: taken at the next reconfigure
        await asyncio.to_thread(app.reconfigure, config)
        assert app.queue.unapplied is None
    finally:
        await monitor.aclose()
