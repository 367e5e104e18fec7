"""Each fault switch does what it says, to the service it targets, as many times as asked."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from urllib.parse import urlencode

import httpx
import pytest

from syncmonitor.sandbox.admin import AdminClient
from syncmonitor.sandbox.process import SandboxEndpoints

MakeClient = Callable[[SandboxEndpoints], httpx.Client]
PEOPLE = "/crm/people.api"
STALE = "This record cannot be saved since it has already been updated elsewhere."


@pytest.fixture
def outreach(sandbox: SandboxEndpoints, outreach_http: MakeClient) -> httpx.Client:
    return outreach_http(sandbox)


@pytest.fixture
def workbooks(sandbox: SandboxEndpoints, workbooks_http: MakeClient) -> httpx.Client:
    return workbooks_http(sandbox)


def test_fail_next_fails_exactly_that_many_requests(
    outreach: httpx.Client, sandbox_admin: AdminClient
) -> None:
    sandbox_admin.set_faults(fail_next=2, fail_status=500)
    statuses = [outreach.get("/stages").status_code for _ in range(3)]
    assert statuses == [500, 500, 200]
    assert sandbox_admin.faults()["fail_next"] == 0


def test_a_503_says_maintenance_and_when_to_come_back(
    outreach: httpx.Client, sandbox_admin: AdminClient
) -> None:
    sandbox_admin.set_faults(fail_next=1, fail_status=503, retry_after=7)
    response = outreach.get("/stages")
    assert response.status_code == 503
    assert response.json()["errors"][0]["id"] == "scheduledServerMaintenance"
    assert response.headers["Retry-After"] == "7"


def test_target_limits_faults_to_one_service(
    outreach: httpx.Client, workbooks: httpx.Client, sandbox_admin: AdminClient
) -> None:
    sandbox_admin.set_faults(target="workbooks", fail_next=1, fail_status=502)
    assert outreach.get("/stages").status_code == 200
    failed = workbooks.get(PEOPLE)
    assert failed.status_code == 502 and failed.json()["success"] is False
    assert workbooks.get(PEOPLE).status_code == 200


def test_error_rate_fails_that_share_of_requests(
    outreach: httpx.Client, sandbox_admin: AdminClient
) -> None:
    sandbox_admin.set_faults(error_rate=1.0, fail_status=500)
    assert {outreach.get("/stages").status_code for _ in range(5)} == {500}
    sandbox_admin.set_faults(error_rate=0.5)
    statuses = [outreach.get("/stages").status_code for _ in range(60)]
    assert 10 < statuses.count(500) < 50
    sandbox_admin.set_faults(error_rate=0.0)
    assert {outreach.get("/stages").status_code for _ in range(5)} == {200}


def test_latency_slows_every_answer(outreach: httpx.Client, sandbox_admin: AdminClient) -> None:
    sandbox_admin.set_faults(latency_ms=300)
    started = time.perf_counter()
    assert outreach.get("/stages").status_code == 200
    assert time.perf_counter() - started >= 0.3


def test_drop_next_closes_the_connection_mid_body(
    outreach: httpx.Client, sandbox_admin: AdminClient
) -> None:
    sandbox_admin.set_faults(drop_next=1)
    with pytest.raises(httpx.RemoteProtocolError):
        outreach.get("/sequenceStates", params={"page[size]": "100"})
    assert outreach.get("/stages").status_code == 200, "the next request works again"


def test_truncate_next_cuts_the_document_short(
    outreach: httpx.Client, sandbox_admin: AdminClient
) -> None:
    whole = outreach.get("/sequenceStates", params={"page[size]": "100"})
    sandbox_admin.set_faults(truncate_next=1)
    cut = outreach.get("/sequenceStates", params={"page[size]": "100"})
    assert cut.status_code == 200
    assert int(cut.headers["Content-Length"]) == len(cut.content) < len(whole.content)
    assert whole.content.startswith(cut.content)
    with pytest.raises(json.JSONDecodeError):
        cut.json()


def test_malformed_next_sends_broken_json(
    workbooks: httpx.Client, sandbox_admin: AdminClient
) -> None:
    sandbox_admin.set_faults(malformed_next=1)
    broken = workbooks.get(PEOPLE)
    assert broken.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        broken.json()
    assert workbooks.get(PEOPLE).json()["success"] is True


def test_redirect_next_sends_the_client_back_to_the_same_url(
    workbooks: httpx.Client, sandbox_admin: AdminClient
) -> None:
    sandbox_admin.set_faults(redirect_next=2)
    first = workbooks.get(PEOPLE, params={"_start": "0", "_limit": "2"})
    assert first.status_code == 302
    assert first.headers["Location"] == str(first.request.url)
    followed = workbooks.get(PEOPLE, params={"_start": "0", "_limit": "2"}, follow_redirects=True)
    assert followed.status_code == 200 and len(followed.json()["data"]) == 2
    assert [r.status_code for r in followed.history] == [302]


def test_rate_limit_remaining_zero_answers_429_with_retry_after(
    outreach: httpx.Client, sandbox_admin: AdminClient
) -> None:
    sandbox_admin.set_faults(rate_limit_remaining=0, retry_after=12)
    for _ in range(2):
        limited = outreach.get("/stages")
        assert limited.status_code == 429
        assert limited.headers["Retry-After"] == "12"
        assert limited.headers["X-RateLimit-Remaining"] == "0"
        assert limited.json()["errors"][0]["id"] == "rateLimitExceeded"
    reset = int(limited.headers["X-RateLimit-Reset"])
    assert 0 < reset - time.time() <= 13


def test_retry_after_can_be_left_out(outreach: httpx.Client, sandbox_admin: AdminClient) -> None:
    sandbox_admin.set_faults(retry_after=None, rate_limit_remaining=0)
    limited = outreach.get("/stages")
    assert limited.status_code == 429
    assert "Retry-After" not in limited.headers
    assert int(limited.headers["X-RateLimit-Reset"]) > time.time()


def test_two_value_remaining(outreach: httpx.Client, sandbox_admin: AdminClient) -> None:
    sandbox_admin.set_faults(two_value_remaining=True)
    values = outreach.get("/stages").headers["X-RateLimit-Remaining"].split(",")
    assert len(values) == 2
    assert int(values[0]) < int(values[1])


def test_workbooks_has_no_rate_limit_headers(
    workbooks: httpx.Client, sandbox_admin: AdminClient
) -> None:
    sandbox_admin.set_faults(rate_limit_remaining=0)
    response = workbooks.get(PEOPLE)
    assert response.status_code == 200
    assert "X-RateLimit-Remaining" not in response.headers


def test_lock_conflict_next_makes_a_fresh_lock_version_stale(
    make_sandbox: Callable[..., SandboxEndpoints], workbooks_http: MakeClient
) -> None:
    endpoints = make_sandbox(seed=9, people=20)
    client = workbooks_http(endpoints)
    with AdminClient(endpoints.admin_url) as admin:
        before = admin.person(10002)
        admin.set_faults(lock_conflict_next=1)

        def save(lock_version: int) -> dict[str, object]:
            form = [
                ("_ff[]", "id"),
                ("_ft[]", "eq"),
                ("_fc[]", "10002"),
                ("__method[]", "PUT"),
                ("id[]", "10002"),
                ("lock_version[]", str(lock_version)),
                ("cf_person_sequence_state[]", "Bounced"),
            ]
            response = client.put(
                PEOPLE,
                content=urlencode(form),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
            info: dict[str, object] = response.json()["affected_object_information"][0]
            return info

        assert save(before["lock_version"]) == {
            "success": False,
            "errors": {"id": [STALE]},
            "warnings": {},
        }
        moved = admin.person(10002)
        assert moved["lock_version"] == before["lock_version"] + 1, "someone else saved it"
        assert moved["cf_person_sequence_state"] == before["cf_person_sequence_state"]
        assert save(moved["lock_version"])["success"] is True
        assert admin.person(10002)["cf_person_sequence_state"] == "Bounced"


def test_clearing_faults_turns_everything_off(
    outreach: httpx.Client, sandbox_admin: AdminClient
) -> None:
    sandbox_admin.set_faults(fail_next=5, latency_ms=10, rate_limit_remaining=0, target="outreach")
    cleared = sandbox_admin.clear_faults()
    assert cleared["fail_next"] == 0 and cleared["target"] == "all"
    assert cleared["rate_limit_remaining"] is None
    response = outreach.get("/stages")
    assert response.status_code == 200
    assert int(response.headers["X-RateLimit-Remaining"]) == 9999


@pytest.mark.parametrize(
    "switches",
    [
        {"no_such_switch": 1},
        {"fail_next": -1},
        {"error_rate": 2},
        {"target": "mars"},
        {"fail_status": 200},
        {"fail_next": True},
    ],
)
def test_nonsense_switches_are_refused(
    sandbox_admin: AdminClient, switches: dict[str, object]
) -> None:
    with pytest.raises(httpx.HTTPStatusError) as refused:
        sandbox_admin.set_faults(**switches)
    assert refused.value.response.status_code == 422
    assert sandbox_admin.faults()["fail_next"] == 0
