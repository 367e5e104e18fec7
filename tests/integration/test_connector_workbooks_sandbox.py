"""The Workbooks client against the real sandbox over loopback: reads, writes, fault switches.

Reads use the shared frozen sandbox. Writes change the world, so they run against a sandbox of
this module's own (each test touches people no other test touches).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from syncmonitor.connectors.errors import (
    AuthenticationError,
    MalformedResponseError,
    NetworkError,
    RequestRejectedError,
    ServerError,
)
from syncmonitor.connectors.http.retry import RetryPolicy
from syncmonitor.connectors.workbooks.client import RecordUpdate, WorkbooksClient
from syncmonitor.connectors.workbooks.format import format_datetime, parse_datetime
from syncmonitor.sandbox.admin import AdminClient
from syncmonitor.sandbox.process import SandboxEndpoints, SandboxProcess

FAST = RetryPolicy(
    max_attempts=4, base_delay=0.01, max_delay=0.05, redirect_delay=0.01, max_wait_for_rate_limit=5
)
COLUMNS = ["id", "lock_version", "name", "main_location[email]", "cf_person_outreach_id"]


def workbooks(sandbox: SandboxEndpoints, **kw: Any) -> WorkbooksClient:
    kw.setdefault("policy", FAST)
    return WorkbooksClient(sandbox.workbooks_base_url, sandbox.workbooks_api_key, **kw)


def workbooks_requests(admin: AdminClient) -> int:
    return int(admin.stats()["requests"].get("workbooks", 0))


async def all_people(client: WorkbooksClient, **kw: Any) -> list[dict[str, Any]]:
    return [r async for page in client.iter_records("crm/people", **kw) for r in page]


@pytest.fixture(scope="module")
def writable() -> Iterator[SandboxEndpoints]:
    with SandboxProcess(seed=11, people=300, tick=0) as process:
        assert process.endpoints is not None
        yield process.endpoints


@pytest.fixture
def writable_admin(writable: SandboxEndpoints) -> Iterator[AdminClient]:
    admin = AdminClient(writable.admin_url)
    try:
        yield admin
    finally:
        admin.clear_faults()
        admin.close()


# -- reads ----------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_paging_reads_every_person_once(
    sandbox: SandboxEndpoints, sandbox_admin: AdminClient
) -> None:
    async with workbooks(sandbox) as client:
        people = await all_people(client, columns=COLUMNS, page_size=70)
    assert len({p["id"] for p in people}) == len(people)
    assert len(people) <= sandbox_admin.stats()["people"]
    assert len(people) > 0.9 * sandbox_admin.stats()["people"]  # deleted people stay out
    assert set(people[0]) == set(COLUMNS)


@pytest.mark.asyncio
async def test_filters_and_sorting(sandbox: SandboxEndpoints) -> None:
    async with workbooks(sandbox) as client:
        everyone = await all_people(client, columns=["id", "updated_at"])
        middle = sorted(parse_datetime(p["updated_at"]) for p in everyone)[len(everyone) // 2]
        since = format_datetime(middle)
        later = await all_people(
            client,
            columns=["id", "updated_at", "is_deleted"],
            filters=[
                ("updated_at", "ge", since),
                ("is_deleted", "true", ""),
                ("is_deleted", "false", ""),
            ],
            filter_mode="1 AND (2 OR 3)",
            sort="updated_at",
        )
    stamps = [parse_datetime(p["updated_at"]) for p in later]
    assert stamps == sorted(stamps)
    assert stamps and min(stamps) >= middle
    assert {p["id"] for p in later} >= {
        p["id"] for p in everyone if parse_datetime(p["updated_at"]) >= middle
    }


@pytest.mark.asyncio
async def test_people_by_field_matches_by_email_and_outreach_id(sandbox: SandboxEndpoints) -> None:
    async with workbooks(sandbox) as client:
        everyone = await all_people(client, columns=COLUMNS)
        sample = everyone[:120]
        by_email = await client.people_by_field(
            "main_location[email]", [p["main_location[email]"] for p in sample], COLUMNS
        )
        with_id = [p for p in sample if p["cf_person_outreach_id"]]
        by_id = await client.people_by_field(
            "cf_person_outreach_id", [str(p["cf_person_outreach_id"]) for p in with_id], COLUMNS
        )
        nobody = await client.people_by_field("main_location[email]", ["nobody@nowhere.test"])
    assert {p["id"] for p in by_email} == {p["id"] for p in sample}
    assert {p["id"] for p in by_id} == {p["id"] for p in with_id}
    assert nobody == []
    assert client.stats.requests > 3  # the lookups went in chunks


@pytest.mark.asyncio
async def test_wrong_key_is_one_request_and_never_shown(
    sandbox: SandboxEndpoints, sandbox_admin: AdminClient
) -> None:
    before = workbooks_requests(sandbox_admin)
    async with WorkbooksClient(sandbox.workbooks_base_url, "wrong-key-42", policy=FAST) as c:
        with pytest.raises(AuthenticationError) as caught:
            await all_people(c)
    assert workbooks_requests(sandbox_admin) - before == 1
    error = caught.value
    assert "wrong-key-42" not in str(error) and "wrong-key-42" not in (error.url or "")
    assert "SYNCMONITOR_WORKBOOKS_API_KEY" in error.message


@pytest.mark.asyncio
async def test_a_missing_user_agent_is_a_rejected_request_not_a_credential_problem(
    sandbox: SandboxEndpoints,
) -> None:
    async with workbooks(sandbox, user_agent="") as client:
        with pytest.raises(RequestRejectedError) as caught:
            await all_people(client)
    assert "User-Agent" in caught.value.message


@pytest.mark.asyncio
async def test_slow_down_redirects_are_followed(
    sandbox: SandboxEndpoints, sandbox_admin: AdminClient
) -> None:
    sandbox_admin.set_faults(target="workbooks", redirect_next=3)
    async with workbooks(sandbox) as client:
        people = await all_people(client, columns=["id"])
    assert people
    assert client.stats.redirects == 3
    assert client.stats.retries == 0


@pytest.mark.asyncio
async def test_latency(sandbox: SandboxEndpoints, sandbox_admin: AdminClient) -> None:
    sandbox_admin.set_faults(target="workbooks", latency_ms=250)
    async with workbooks(sandbox) as client:
        started = time.perf_counter()
        await all_people(client, columns=["id"], page_size=1000)
        assert time.perf_counter() - started >= 0.25
    policy = RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.01)
    async with workbooks(sandbox, policy=policy, timeout=httpx.Timeout(0.1)) as client:
        with pytest.raises(NetworkError):
            await all_people(client, columns=["id"])


@pytest.mark.asyncio
@pytest.mark.parametrize("status", [500, 502, 503])
async def test_server_errors_are_retried(
    sandbox: SandboxEndpoints, sandbox_admin: AdminClient, status: int
) -> None:
    sandbox_admin.set_faults(target="workbooks", fail_next=2, fail_status=status, retry_after=None)
    async with workbooks(sandbox) as client:
        assert await all_people(client, columns=["id"])
    assert client.stats.retries == 2


@pytest.mark.asyncio
async def test_server_errors_that_do_not_stop_end_in_server_error(
    sandbox: SandboxEndpoints, sandbox_admin: AdminClient
) -> None:
    sandbox_admin.set_faults(target="workbooks", fail_next=50, fail_status=500)
    async with workbooks(sandbox) as client:
        with pytest.raises(ServerError) as caught:
            await all_people(client)
    assert caught.value.status_code == 500


@pytest.mark.asyncio
async def test_a_429_with_retry_after_is_honoured(
    sandbox: SandboxEndpoints, sandbox_admin: AdminClient
) -> None:
    sandbox_admin.set_faults(target="workbooks", fail_next=1, fail_status=429, retry_after=1)
    async with workbooks(sandbox) as client:
        started = time.perf_counter()
        assert await all_people(client, columns=["id"], page_size=1000)
    assert time.perf_counter() - started >= 1.0
    assert client.stats.retries == 1


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("drop_next", NetworkError),
        ("malformed_next", MalformedResponseError),
        ("truncate_next", MalformedResponseError),
    ],
)
async def test_broken_bodies_are_retried_then_reported(
    sandbox: SandboxEndpoints, sandbox_admin: AdminClient, fault: str, error: type[Exception]
) -> None:
    sandbox_admin.set_faults(target="workbooks", **{fault: 1})
    async with workbooks(sandbox) as client:
        assert await all_people(client, columns=["id"])
        assert client.stats.retries == 1
        sandbox_admin.set_faults(target="workbooks", **{fault: 100})
        with pytest.raises(error):
            await all_people(client, columns=["id"])


# -- writes ---------------------------------------------------------------------------------------


async def people_slice(client: WorkbooksClient, start: int, count: int) -> list[dict[str, Any]]:
    people = await all_people(client, columns=["id", "lock_version"])
    return people[start : start + count]


@pytest.mark.asyncio
async def test_updates_are_saved_with_booleans_nulls_and_untouched_fields(
    writable: SandboxEndpoints, writable_admin: AdminClient
) -> None:
    async with workbooks(writable) as client:
        first, second = await people_slice(client, 0, 2)
        before = writable_admin.person(second["id"])
        results = await client.update_records(
            "crm/people",
            [
                RecordUpdate(
                    first["id"],
                    first["lock_version"],
                    {
                        "cf_person_sequence_state": "Finished (replied)",
                        "no_email_soliciting": True,
                        "cf_person_sync_to_outreach": False,
                    },
                ),
                RecordUpdate(second["id"], second["lock_version"], {"cf_person_outreach_id": None}),
            ],
        )
    assert [r.ok for r in results] == [True, True]
    assert [r.lock_version for r in results] == [
        first["lock_version"] + 1,
        before["lock_version"] + 1,
    ]
    saved = writable_admin.person(first["id"])
    assert saved["cf_person_sequence_state"] == "Finished (replied)"
    assert saved["no_email_soliciting"] is True
    assert saved["cf_person_sync_to_outreach"] is False
    emptied = writable_admin.person(second["id"])
    assert emptied["cf_person_outreach_id"] in (None, "")
    assert emptied["cf_person_sequence_state"] == before["cf_person_sequence_state"]  # :no_value:


@pytest.mark.asyncio
async def test_more_than_100_updates_go_in_batches(
    writable: SandboxEndpoints, writable_admin: AdminClient
) -> None:
    async with workbooks(writable) as client:
        people = await people_slice(client, 10, 150)
        updates = [
            RecordUpdate(p["id"], p["lock_version"], {"cf_person_sequence_state": "Pending"})
            for p in people
        ]
        requests_before = client.stats.requests
        results = await client.update_records("crm/people", updates)
        assert client.stats.requests - requests_before == 2
    assert len(results) == 150 and all(r.ok for r in results)
    assert writable_admin.person(people[-1]["id"])["cf_person_sequence_state"] == "Pending"


@pytest.mark.asyncio
async def test_a_lock_conflict_is_a_result_and_the_rest_of_the_batch_saves(
    writable: SandboxEndpoints, writable_admin: AdminClient
) -> None:
    async with workbooks(writable) as client:
        people = await people_slice(client, 170, 3)
        writable_admin.set_faults(target="workbooks", lock_conflict_next=1)
        results = await client.update_records(
            "crm/people",
            [
                RecordUpdate(
                    p["id"], p["lock_version"], {"person_first_name": f"Renamed {p['id']}"}
                )
                for p in people
            ],
        )
    conflict, *saved = results
    assert conflict.conflict and not conflict.ok and conflict.lock_version is None
    assert "updated elsewhere" in conflict.errors[0]
    assert all(r.ok and not r.conflict for r in saved)
    assert (
        writable_admin.person(people[1]["id"])["person_first_name"] == f"Renamed {people[1]['id']}"
    )
    assert (
        writable_admin.person(people[0]["id"])["person_first_name"] != f"Renamed {people[0]['id']}"
    )


@pytest.mark.asyncio
async def test_a_stale_lock_version_is_a_conflict(
    writable: SandboxEndpoints, writable_admin: AdminClient
) -> None:
    async with workbooks(writable) as client:
        (person,) = await people_slice(client, 180, 1)
        (stale,) = await client.update_records(
            "crm/people",
            [RecordUpdate(person["id"], person["lock_version"] - 1, {"person_first_name": "X"})],
        )
    assert stale.conflict and not stale.ok


@pytest.mark.asyncio
async def test_a_write_redirected_to_slow_down_is_sent_again_unchanged(
    writable: SandboxEndpoints, writable_admin: AdminClient
) -> None:
    async with workbooks(writable) as client:
        (person,) = await people_slice(client, 190, 1)
        writable_admin.set_faults(target="workbooks", redirect_next=2)
        (result,) = await client.update_records(
            "crm/people",
            [
                RecordUpdate(
                    person["id"], person["lock_version"], {"person_first_name": "After redirect"}
                )
            ],
        )
    assert result.ok
    assert client.stats.redirects == 2
    assert writable_admin.person(person["id"])["person_first_name"] == "After redirect"


@pytest.mark.asyncio
async def test_a_write_whose_answer_was_lost_reports_a_conflict_on_retry(
    writable: SandboxEndpoints, writable_admin: AdminClient
) -> None:
    # The write reached Workbooks; only the answer was cut. The retried PUT carries the old
    # lock_version, so it conflicts: the caller must re-read rather than assume failure.
    async with workbooks(writable) as client:
        (person,) = await people_slice(client, 200, 1)
        writable_admin.set_faults(target="workbooks", drop_next=1)
        (result,) = await client.update_records(
            "crm/people",
            [
                RecordUpdate(
                    person["id"], person["lock_version"], {"person_first_name": "Written once"}
                )
            ],
        )
    assert result.conflict
    assert writable_admin.person(person["id"])["person_first_name"] == "Written once"
