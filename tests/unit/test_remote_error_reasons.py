"""Each remote's documented error reasons become the error a person can act on.

Workbooks' guide lists 403 reasons (transient, permission, request); Outreach's 403s mean a
missing scope or a governance profile, never a bad token; Salesforce's 403
REQUEST_LIMIT_EXCEEDED is the org's daily limit. Only a real authentication failure blames the
credentials.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from syncmonitor.connectors.errors import (
    AuthenticationError,
    PermissionDeniedError,
    QuotaExceededError,
    RequestRejectedError,
    ServiceUnavailableError,
)
from syncmonitor.connectors.http.retry import RetryPolicy
from syncmonitor.connectors.outreach.client import OutreachClient
from syncmonitor.connectors.outreach.errors import scope_for
from syncmonitor.connectors.salesforce import SalesforceClient
from syncmonitor.connectors.workbooks.client import WorkbooksClient

POLICY = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.01)


async def _no_sleep(_: float) -> None:
    return None


def _scripted(*answers: httpx.Response) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    seen: list[httpx.Request] = []
    queue = list(answers)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return httpx.MockTransport(handler), seen


async def _read_workbooks(transport: httpx.MockTransport) -> list[Any]:
    async with WorkbooksClient(
        "https://wb.test/", "key-1234", transport=transport, policy=POLICY, sleep=_no_sleep
    ) as client:
        return [page async for page in client.iter_records("crm/people")]


def _wb403(reason: str) -> httpx.Response:
    return httpx.Response(403, json={"success": False, "failure_reason": reason})


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "reason",
    [
        "database_being_migrated",
        "database_archived",
        "requested_database_not_available",
        "no_available_database",
    ],
)
async def test_a_transient_workbooks_403_is_retried_then_told_as_temporarily_unavailable(
    reason: str,
) -> None:
    transport, seen = _scripted(_wb403(reason))
    with pytest.raises(ServiceUnavailableError) as caught:
        await _read_workbooks(transport)
    assert len(seen) == POLICY.max_attempts  # retried with backoff
    assert caught.value.title == "Workbooks is temporarily unavailable"
    assert caught.value.code == reason
    assert "API key" not in caught.value.message


@pytest.mark.asyncio
async def test_a_migrating_database_that_comes_back_gives_the_records() -> None:
    ok = httpx.Response(200, json={"success": True, "data": [{"id": 1}]})
    transport, seen = _scripted(_wb403("database_being_migrated"), ok)
    assert await _read_workbooks(transport) == [[{"id": 1}]]
    assert len(seen) == 2


@pytest.mark.asyncio
async def test_no_permission_for_api_is_a_permission_problem_not_the_key() -> None:
    transport, seen = _scripted(_wb403("no_permission_for_api"))
    with pytest.raises(PermissionDeniedError) as caught:
        await _read_workbooks(transport)
    assert len(seen) == 1
    assert "API access capability" in caught.value.message
    assert "the key itself is fine" in caught.value.message


@pytest.mark.asyncio
async def test_a_missing_user_agent_is_a_rejected_request() -> None:
    transport, _ = _scripted(_wb403("user_agent_required"))
    with pytest.raises(RequestRejectedError):
        await _read_workbooks(transport)


@pytest.mark.asyncio
async def test_an_undocumented_403_reason_never_blames_the_key() -> None:
    transport, _ = _scripted(_wb403("something_new"))
    with pytest.raises(ServiceUnavailableError) as caught:
        await _read_workbooks(transport)
    assert "something_new" in caught.value.message
    assert "was not refused" in caught.value.message


@pytest.mark.asyncio
async def test_only_a_401_blames_the_workbooks_api_key() -> None:
    transport, _ = _scripted(
        httpx.Response(401, json={"success": False, "failure_reason": "login_disabled"})
    )
    with pytest.raises(AuthenticationError) as caught:
        await _read_workbooks(transport)
    assert "API key" in caught.value.message


# -- Outreach ---------------------------------------------------------------------------------


async def _read_outreach(transport: httpx.MockTransport, path: str = "calls") -> None:
    async with OutreachClient(
        "https://api.outreach.test/api/v2/",
        token="tok-1234",
        transport=transport,
        policy=POLICY,
        sleep=_no_sleep,
    ) as client:
        async for _ in client.iter_pages(path):
            pass


def _oa403(code: str, detail: str = "") -> httpx.Response:
    error = {"id": code, "title": "Forbidden", "detail": detail}
    return httpx.Response(403, json={"errors": [error]})


@pytest.mark.asyncio
async def test_a_missing_outreach_scope_names_the_scope_outreach_named() -> None:
    transport, seen = _scripted(
        _oa403("unauthorizedOauthScope", "Your token lacks the calls.read scope.")
    )
    with pytest.raises(PermissionDeniedError) as caught:
        await _read_outreach(transport)
    assert len(seen) == 1
    error = caught.value
    assert error.scope == "calls.read"
    assert "calls.read" in error.title
    assert "Outreach named it" in error.message
    assert "refused the access token" not in error.message


@pytest.mark.asyncio
async def test_an_unnamed_outreach_scope_is_inferred_from_the_request_and_said_so() -> None:
    transport, _ = _scripted(_oa403("unauthorizedOauthScope"))
    with pytest.raises(PermissionDeniedError) as caught:
        await _read_outreach(transport, "tasks")
    assert caught.value.scope == "tasks.read"
    assert "inferred" in caught.value.message


@pytest.mark.asyncio
async def test_a_governance_403_is_told_as_a_profile_not_a_token() -> None:
    transport, _ = _scripted(_oa403("unauthorizedRequest"))
    with pytest.raises(PermissionDeniedError) as caught:
        await _read_outreach(transport)
    assert "governance or permission profile" in caught.value.message
    assert "new token will not help" in caught.value.message


@pytest.mark.asyncio
async def test_an_outreach_401_is_still_the_token() -> None:
    transport, _ = _scripted(httpx.Response(401, json={"errors": [{"id": "unauthorized"}]}))
    with pytest.raises(AuthenticationError):
        await _read_outreach(transport)


def test_scopes_follow_the_resource_and_the_method() -> None:
    assert scope_for("GET", "/api/v2/sequenceStates") == "sequenceStates.read"
    assert scope_for("PATCH", "/api/v2/opportunities/5") == "opportunities.write"
    assert scope_for("DELETE", "/prospects/5") == "prospects.delete"
    assert scope_for("POST", "/sequenceStates/5/actions/pause") == "sequenceStates.write"


# -- Salesforce -------------------------------------------------------------------------------


async def _read_salesforce(transport: httpx.MockTransport) -> None:
    async with SalesforceClient(
        "https://org.my.salesforce.test", "tok-1234", transport=transport, policy=POLICY
    ) as client:
        await client.lead_statuses()


@pytest.mark.asyncio
async def test_salesforce_request_limit_exceeded_is_the_daily_limit_not_the_token() -> None:
    body = [{"errorCode": "REQUEST_LIMIT_EXCEEDED", "message": "TotalRequests Limit exceeded."}]
    transport, seen = _scripted(httpx.Response(403, json=body))
    with pytest.raises(QuotaExceededError) as caught:
        await _read_salesforce(transport)
    assert len(seen) == 1  # not retried within the run: the limit refills over hours
    assert "daily API limit" in caught.value.title
    assert "The token is fine" in caught.value.message


@pytest.mark.asyncio
async def test_an_expired_salesforce_session_says_how_long_a_token_lasts() -> None:
    body = [{"errorCode": "INVALID_SESSION_ID", "message": "Session expired or invalid"}]
    transport, _ = _scripted(httpx.Response(401, json=body))
    with pytest.raises(AuthenticationError) as caught:
        await _read_salesforce(transport)
    assert "two hours by default" in caught.value.message
    assert "tok-1234" not in caught.value.message
