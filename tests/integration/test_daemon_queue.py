"""`syncmonitor daemon` watches the GatorMail queue beside its scheduled syncs (issue 18: the server
is the one process that talks to the remotes): its notices go through the daemon's policy, told
once, its readings go to the store for watching desktops, and a failing queue read never stops a
sync, nor a failing sync the queue."""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from gatormail_helpers import LONG_NAME, GatorMailSandbox, start_gatormail

from syncmonitor.app.config import (
    Config,
    MailshotSettings,
    OutreachSettings,
    SpotlerSettings,
    SyncSettings,
    WorkbooksSettings,
)
from syncmonitor.app.credentials import Secret, store_secret
from syncmonitor.app.paths import app_paths
from syncmonitor.domain.mailshots.queue import QueueState
from syncmonitor.engine.bootstrap import Services, start_services
from syncmonitor.engine.mailshots.recorded import ServerQueue
from syncmonitor.engine.runs.daemon import Daemon
from syncmonitor.engine.runs.events import RunResult
from syncmonitor.engine.runs.notices import Notice
from syncmonitor.engine.runs.targets import RunRequest
from syncmonitor.sandbox.admin import AdminClient

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(120)]


@pytest.fixture
def gatormail() -> Iterator[GatorMailSandbox]:
    yield from start_gatormail()


def server_config(gatormail: GatorMailSandbox) -> Config:
    ep = gatormail.endpoints
    return Config(
        outreach=OutreachSettings(base_url=ep.outreach_base_url),
        workbooks=WorkbooksSettings(base_url=ep.workbooks_base_url),
        spotler=SpotlerSettings(base_url=ep.spotler_base_url),
        mailshots=MailshotSettings(busy_poll_seconds=0.3, idle_poll_seconds=1.0),
        sync=SyncSettings(confirm_writes=True),  # a server set up by script
    )


@pytest.fixture
def services(gatormail: GatorMailSandbox, tmp_home: Path) -> Iterator[Services]:
    ep = gatormail.endpoints
    store_secret(Secret.OUTREACH_TOKEN, ep.outreach_token)
    store_secret(Secret.WORKBOOKS_API_KEY, ep.workbooks_api_key)
    store_secret(Secret.SPOTLER_CONSUMER_KEY, ep.spotler_consumer_key)
    store_secret(Secret.SPOTLER_CONSUMER_SECRET, ep.spotler_consumer_secret)
    started = start_services(server_config(gatormail), app_paths())
    try:
        yield started
    finally:
        started.close()


class Watched:
    """A daemon running in this loop, with every notice its policy delivered and every run."""

    def __init__(self, services: Services, config: Config) -> None:
        self.daemon = Daemon(services.service, config, out=io.StringIO())
        self.told: list[Notice] = []
        self.runs: list[RunResult] = []
        deliver = self.daemon.policy.deliver

        def record(notice: Notice) -> None:
            self.told.append(notice)
            deliver(notice)

        self.daemon.policy.deliver = record
        listener = self.daemon.scheduler.listener
        finished = listener.finished

        def run_finished(request: RunRequest, result: RunResult) -> None:
            self.runs.append(result)
            finished(request, result)

        listener.finished = run_finished
        self.task: asyncio.Task[int] | None = None

    def events(self, event: str) -> list[Notice]:
        return [n for n in self.told if n.event == event]

    async def __aenter__(self) -> Watched:
        self.task = asyncio.ensure_future(self.daemon.run(install_signals=False))
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.daemon.stop()
        assert self.task is not None
        assert await asyncio.wait_for(self.task, timeout=60) == 0


async def until(check: Callable[[], bool], timeout: float = 30.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        await asyncio.sleep(0.1)


async def test_the_daemon_tells_a_blocked_queue_once_and_its_recovery_once_beside_its_syncs(
    gatormail: GatorMailSandbox, services: Services
) -> None:
    config = server_config(gatormail)
    (long_id,) = gatormail.create(name=LONG_NAME)
    gatormail.create(count=2)
    watched = Watched(services, config)
    assert watched.daemon.queue_monitor is not None
    desktop = ServerQueue(services.database)  # what a watching desktop reads from the store
    async with watched:
        await until(lambda: bool(watched.events("queue.blocked")), what="the block told")
        blocked = watched.events("queue.blocked")[0]
        assert "its name has 101 characters and GatorMail accepts at most 100" in blocked.message

        def recorded_blocked() -> bool:
            problem = desktop.read().snapshot.queue_problem
            return problem is not None and problem.code == "blocked"

        await until(recorded_blocked, what="the blocked queue recorded in the store")
        reading = await desktop.poll_once()
        item = reading.snapshot.item(long_id)
        assert item is not None and item.state is QueueState.BLOCKED
        assert desktop.recorded_by  # whose reading it is

        await until(lambda: bool(watched.runs), timeout=60, what="the scheduled full sync")
        assert watched.runs[0].ok, watched.runs[0].error_message

        gatormail.delete(long_id)  # an admin deletes the long-named mailshot in Workbooks
        await until(lambda: bool(watched.events("queue.recovered")), what="the recovery told")
        polls = watched.daemon.queue.polls
        await until(lambda: watched.daemon.queue.polls >= polls + 4, what="more polls")
        await until(lambda: desktop.read().snapshot.queue_problem is None, what="recorded")
    assert len(watched.events("queue.blocked")) == 1
    assert len(watched.events("queue.recovered")) == 1
    assert watched.daemon.queue.failures == 0
    out = watched.daemon.out.getvalue()  # type: ignore[attr-defined]
    assert out.count("queue: The GatorMail queue is blocked:") == 1  # one line each, stderr
    assert out.count("queue: The GatorMail queue moves again:") == 1


async def test_an_interrupted_queue_read_does_not_stop_a_sync_and_the_queue_is_read_again(
    gatormail: GatorMailSandbox, services: Services
) -> None:
    watched = Watched(services, server_config(gatormail))
    monitor = watched.daemon.queue_monitor
    assert monitor is not None
    real_poll = monitor.poll_once
    cut = {"left": 3}

    async def interrupted():  # type: ignore[no-untyped-def]
        if cut["left"] > 0:
            cut["left"] -= 1
            await asyncio.sleep(0.05)
            raise ConnectionResetError("the connection was reset mid-read")
        return await real_poll()

    monitor.poll_once = interrupted  # type: ignore[method-assign]
    async with watched:
        await until(lambda: bool(watched.runs), timeout=60, what="the scheduled full sync")
        assert watched.runs[0].ok, watched.runs[0].error_message
        await until(lambda: watched.daemon.queue.polls >= 1, what="a queue read after the cuts")
    assert watched.daemon.queue.failures == 3
    assert not watched.events("sync.failed")


async def test_a_failing_sync_does_not_stop_the_queue(
    gatormail: GatorMailSandbox, services: Services
) -> None:
    admin = AdminClient(gatormail.endpoints.admin_url)
    admin.set_faults(target="outreach", fail_next=100_000, fail_status=401)  # token refused
    watched = Watched(services, server_config(gatormail))
    try:
        async with watched:
            await until(lambda: bool(watched.runs), timeout=60, what="the failed sync")
            assert not watched.runs[0].ok
            polls = watched.daemon.queue.polls
            await until(lambda: watched.daemon.queue.polls >= polls + 2, what="queue reads")
    finally:
        admin.clear_faults()
        admin.close()
    assert watched.daemon.queue.last is not None and watched.daemon.queue.last.error is None


async def test_an_expired_key_is_told_once_by_the_daemon_and_its_recovery_once(
    gatormail: GatorMailSandbox, services: Services
) -> None:
    gatormail.settings(undocumented_reads=True)  # an account that offers admin/api_keys
    gatormail.api_key(valid_until=int(time.time()) - 60)
    gatormail.create(count=2)
    watched = Watched(services, server_config(gatormail))
    async with watched:
        await until(lambda: bool(watched.events("queue.blocked")), what="the expired key told")
        assert "expired on" in watched.events("queue.blocked")[0].message
        gatormail.api_key(valid_until=int(time.time()) + 90 * 86400)  # an admin moves Until
        await until(lambda: bool(watched.events("queue.recovered")), what="the recovery told")
        polls = watched.daemon.queue.polls
        await until(lambda: watched.daemon.queue.polls >= polls + 4, what="more polls")
    assert len(watched.events("queue.blocked")) == 1
    (recovered,) = watched.events("queue.recovered")
    assert recovered.title == "The GatorMail API key is valid again"
