"""The road from the sandbox to a real account, in Settings with no restart: once real addresses
are saved, the first two-way sync to them waits for its preview and a confirmation (the sandbox's
free writes do not carry over), and the app no longer says it runs the sandbox."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from syncmonitor.app.config import (
    Config,
    OutreachSettings,
    SandboxSettings,
    ScheduleSettings,
    WorkbooksSettings,
)
from syncmonitor.app.credentials import Secret, store_secret
from syncmonitor.app.paths import app_paths
from syncmonitor.engine.bootstrap import start_services
from syncmonitor.engine.runs.first_sync import held_counts
from syncmonitor.sandbox.process import SandboxEndpoints, SandboxProcess

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(120)]


@pytest.fixture
def real() -> Iterator[SandboxEndpoints]:
    """Another sandbox process, standing for the person's real Outreach and Workbooks."""
    process = SandboxProcess(seed=6, people=10, tick=0)
    try:
        yield process.start(timeout=60)
    finally:
        process.stop()


async def test_real_addresses_saved_over_the_sandbox_hold_the_first_writes_for_a_preview(
    real: SandboxEndpoints, tmp_home: Path
) -> None:
    sandbox_config = Config(
        sandbox=SandboxSettings(people=10, tick_seconds=0), schedule=ScheduleSettings(paused=True)
    )
    services = await asyncio.to_thread(start_services, sandbox_config, app_paths())
    try:
        service = services.service
        assert service.sandbox_mode and service.writes_held() == frozenset()  # ours to write

        store_secret(Secret.OUTREACH_TOKEN, real.outreach_token)
        store_secret(Secret.WORKBOOKS_API_KEY, real.workbooks_api_key)
        real_config = Config(
            outreach=OutreachSettings(base_url=real.outreach_base_url),
            workbooks=WorkbooksSettings(base_url=real.workbooks_base_url),
            schedule=ScheduleSettings(paused=True),
        )
        await asyncio.to_thread(services.reconfigure, real_config)

        assert not service.sandbox_mode
        assert service.remotes.outreach_base_url == real.outreach_base_url
        assert await asyncio.to_thread(service.writes_held) == {"outreach", "workbooks"}
        result = await service.sync_once(kind="full")
        assert held_counts(result), "the first full sync wrote to the real remotes unasked"
    finally:
        await asyncio.to_thread(services.close)
