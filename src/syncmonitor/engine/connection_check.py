"""Settings' Test connection: one small authenticated read per remote, and exactly what failed."""

from __future__ import annotations

from dataclasses import dataclass

from syncmonitor.app.config import ConfigError, check_base_url
from syncmonitor.connectors.errors import ConnectorError, PermissionDeniedError
from syncmonitor.connectors.http.retry import RetryPolicy
from syncmonitor.connectors.outreach.client import OutreachClient
from syncmonitor.connectors.workbooks.client import WorkbooksClient

# A test should answer in seconds: one attempt, no long waits for a rate limit.
TEST_POLICY = RetryPolicy(max_attempts=1, max_wait_for_rate_limit=5.0)


@dataclass(frozen=True)
class CheckResult:
    """What the test found: ok, or the title and the full message of what failed."""

    ok: bool
    title: str
    message: str = ""


async def check_outreach(base_url: str, token: str) -> CheckResult:
    """Read one sequence state with the token."""
    try:
        url = check_base_url(base_url, "The Outreach address")
    except ConfigError as exc:
        return CheckResult(False, exc.title, exc.message)
    if not token:
        return CheckResult(False, "No Outreach token", "Enter the Outreach access token.")
    missing: list[str] = []
    try:
        async with OutreachClient(url, token, page_size=1, policy=TEST_POLICY) as client:
            async for _page in client.sequence_state_pages(None):
                break
            # The two-way sync also reads tasks and calls: a token without their scopes
            # passes the first read and would only show at the first full sync.
            for path in ("tasks", "calls"):
                try:
                    async for _doc in client.iter_pages(
                        path, [("page[size]", "1"), ("count", "false")]
                    ):
                        break
                except PermissionDeniedError as exc:
                    missing.append(exc.scope or f"{path}.read")
    except ConnectorError as exc:
        return CheckResult(False, exc.title, exc.message)
    if missing:
        return CheckResult(
            True,
            "Outreach answered; some scopes are missing",
            f"The address and the token work, but the token lacks {', '.join(missing)}: "
            "Outreach's tasks and calls will not reach Workbooks (each sync lists it on the "
            "Issues page). Add the scopes to Sync Monitor's Outreach app and sign in again; "
            "the README lists the scopes each feature needs.",
        )
    return CheckResult(True, "Outreach answered", "The address and the token work.")


async def check_workbooks(base_url: str, api_key: str) -> CheckResult:
    """Look up one (non-existent) person with the API key."""
    try:
        url = check_base_url(base_url, "The Workbooks address")
    except ConfigError as exc:
        return CheckResult(False, exc.title, exc.message)
    if not api_key:
        return CheckResult(False, "No Workbooks API key", "Enter the Workbooks API key.")
    try:
        async with WorkbooksClient(url, api_key, policy=TEST_POLICY) as client:
            await client.people_by_field("id", ["0"], ["id"])
    except ConnectorError as exc:
        return CheckResult(False, exc.title, exc.message)
    return CheckResult(True, "Workbooks answered", "The address and the API key work.")
