"""Settings' Test buttons: one small authenticated read per remote, and exactly what failed; and
`check_service`, the connection doctor's checks for one remote (every resource its enabled
features need), for a Test button that should catch a missing scope, not only a wrong token."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from syncmonitor.app.config import Config, ConfigError, check_base_url
from syncmonitor.connectors.errors import ConnectorError, PermissionDeniedError
from syncmonitor.connectors.http.retry import RetryPolicy
from syncmonitor.connectors.outreach.client import OutreachClient
from syncmonitor.connectors.salesmate import SalesmateAccess
from syncmonitor.connectors.workbooks.client import WorkbooksClient
from syncmonitor.engine.connections.doctor import Finding, diagnose

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


async def check_service(
    service: str, config: Config, remotes: Any, salesmate: SalesmateAccess | None = None
) -> list[Finding]:
    """The doctor's findings for one remote ("Outreach", "Workbooks", "Spotler", ...)."""
    found = await diagnose(config, remotes, salesmate)
    return [f for f in found.findings if f.service == service]


def summary(findings: list[Finding]) -> CheckResult:
    """The findings of one remote as one Test result: OK, or the first problem and how many."""
    if not findings:
        return CheckResult(False, "Nothing to test", "Enter the address and the credentials.")
    problems = [f for f in findings if not f.ok]
    if not problems:
        return CheckResult(
            True,
            f"{findings[0].service} answered",
            f"The address and the credentials work for all {len(findings)} resources checked.",
        )
    first = problems[0]
    more = f" ({len(problems) - 1} more in Test connections)" if len(problems) > 1 else ""
    return CheckResult(
        False,
        f"{first.resource}: {first.verdict.label}{more}",
        f"{first.detail} {first.todo}".strip(),
    )
