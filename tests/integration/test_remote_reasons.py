"""The remotes' documented error reasons, end to end against the sandbox: a Workbooks database
being migrated is waited out or told as temporarily unavailable (never the API key), a
Salesforce org over its daily limit is told as that (never the token)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from engine_helpers import Harness, harness

from syncmonitor.connectors.errors import QuotaExceededError
from syncmonitor.connectors.salesforce import SalesforceClient
from syncmonitor.engine.runs.events import RunOutcome
from syncmonitor.sandbox.process import SandboxEndpoints


@pytest.fixture
def h(make_sandbox: Callable[..., SandboxEndpoints], tmp_path: Path) -> Iterator[Harness]:
    endpoints = make_sandbox(seed=7, people=60, tick=0)
    with harness(endpoints, tmp_path / "cache") as made:
        yield made


def migrating(h: Harness, times: int) -> None:
    h.admin.set_faults(
        target="workbooks", fail_status=403, fail_reason="database_being_migrated", fail_next=times
    )


def test_a_database_migration_that_passes_is_waited_out(h: Harness) -> None:
    migrating(h, 2)  # FAST_RETRY: three attempts
    result = h.sync()
    assert result.outcome is RunOutcome.SUCCEEDED, result.error_message


def test_a_long_migration_is_temporarily_unavailable_not_the_api_key(h: Harness) -> None:
    migrating(h, 500)
    result = h.sync()
    # The Outreach pull still runs; every part that writes to Workbooks fails with the reason.
    assert result.outcome is RunOutcome.PARTLY_FAILED
    failed = [job for job in result.jobs if job.outcome.value == "failed"]
    assert failed and all(j.error_title == "Workbooks is temporarily unavailable" for j in failed)
    assert all("API key" not in (j.error_message or "") for j in failed)
    assert {j.error_kind for j in failed} == {"unavailable"}
    h.admin.clear_faults()
    assert h.sync().outcome is RunOutcome.SUCCEEDED


def test_the_salesforce_daily_limit_is_told_as_such(
    h: Harness,
) -> None:
    e = h.endpoints
    h.admin.set_faults(
        target="salesforce", fail_status=403, fail_reason="REQUEST_LIMIT_EXCEEDED", fail_next=5
    )

    async def read() -> None:
        async with SalesforceClient(e.salesforce_base_url, e.salesforce_token) as client:
            await client.lead_statuses()

    with pytest.raises(QuotaExceededError) as caught:
        asyncio.run(read())
    assert "daily API limit" in caught.value.title
    assert "The token is fine" in caught.value.message
