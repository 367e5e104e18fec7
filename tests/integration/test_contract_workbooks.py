"""The Workbooks sandbox and connector held against Workbooks' own API guide and examples.

Not "does the connector agree with the sandbox": every answer the sandbox gives is checked
against the shapes the guide documents, and every request a connector builds against the
parameters the guide documents for its endpoint (contract_rules.py names the sources).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from contract_rules import (
    Recorder,
    all_problems,
    wb_answer_problems,
    wb_metadata_problems,
    wb_param_problems,
)

import loopback_http
from syncmonitor.connectors.workbooks.client import WorkbooksClient
from syncmonitor.connectors.workbooks.mapping import WorkbooksMappingClient
from syncmonitor.connectors.workbooks.sync import WorkbooksSyncClient
from syncmonitor.domain.mappings.values import FieldKind
from syncmonitor.sandbox.process import SandboxEndpoints

CLASSES = ("Private::Crm::Person", "Private::Crm::Organisation", "Private::Crm::Opportunity")


def _metadata(sandbox: SandboxEndpoints, *columns: str) -> list[dict[str, Any]]:
    params: list[tuple[str, str]] = [("api_key", sandbox.workbooks_api_key)]
    params += [("class_names[]", c) for c in CLASSES]
    params += [("_select_columns[]", c) for c in columns]
    response = loopback_http.get(
        f"{sandbox.workbooks_base_url}/metadata/types.api",
        params=params,
        headers={"User-Agent": "contract-test"},
    )
    assert response.status_code == 200
    body = response.json()
    assert wb_answer_problems(body) == []
    return list(body["data"])


def test_the_sandbox_describes_fields_with_the_documented_keys(
    sandbox: SandboxEndpoints,
) -> None:
    types = _metadata(sandbox)
    assert {t["class_name"] for t in types} == set(CLASSES)
    assert all_problems(wb_metadata_problems(t) for t in types) == []


def test_link_targets_come_from_associations(sandbox: SandboxEndpoints) -> None:
    person = next(
        t
        for t in _metadata(sandbox, "class_name", "fields", "associations")
        if t["class_name"] == "Private::Crm::Person"
    )
    employer = next(a for a in person["associations"] if a["foreign_key_name"] == "employer_link")
    assert employer["class_names"] == ["Private::Crm::Organisation"]
    assert employer["datatype"] == "belongs_to"


@pytest.mark.asyncio
async def test_the_field_editor_gets_types_labels_read_only_and_references(
    sandbox: SandboxEndpoints,
) -> None:
    recorder = Recorder(strip="/workbooks")
    async with WorkbooksMappingClient(
        sandbox.workbooks_base_url, sandbox.workbooks_api_key, transport=recorder
    ) as client:
        fields = {f.name: f for f in await client.field_metadata("person")}
    assert fields["main_location[email]"].label == "Email"
    assert fields["employer_link"].kind is FieldKind.REFERENCE
    assert fields["employer_link"].reference_to == "organisation"
    assert fields["cf_person_sync_to_outreach"].kind is FieldKind.BOOLEAN
    assert fields["cf_person_lead_status"].kind is FieldKind.PICKLIST
    assert fields["id"].read_only and fields["updated_at"].read_only
    assert not fields["person_first_name"].read_only
    assert all_problems(wb_param_problems(s) for s in recorder.sent) == []


@pytest.mark.asyncio
async def test_a_documented_metadata_answer_is_read_right_without_the_sandbox() -> None:
    """The guide's own shape, by hand: fields a list; a link's target in `associations`."""
    body = {
        "success": True,
        "data": [
            {
                "class_name": "Private::Crm::Opportunity",
                "fields": [
                    {"name": "id", "title": "ID", "datatype": "integer",
                     "is_updateable": False, "is_createable": False},
                    {"name": "fao_amount", "title": "Amount", "datatype": "currency",
                     "is_updateable": True, "is_createable": True},
                    {"name": "close_date", "title": "Close date", "datatype": "date",
                     "is_updateable": True, "is_createable": True},
                    {"name": "party_or_lead_id", "title": "Organisation", "datatype": "integer",
                     "is_updateable": True, "is_createable": True,
                     "linked_item": {"association": "party_or_lead"}},
                    {"name": "created_through", "title": "Created through",
                     "datatype": "string", "is_updateable": False, "is_createable": True},
                    {"name": "probability", "title": "Probability", "datatype": "decimal",
                     "is_updateable": True, "is_createable": True, "surprise": 1},
                ],
                "associations": [
                    {"name": "party_or_lead", "foreign_key_name": "party_or_lead_id",
                     "class_names": ["Private::Crm::Organisation"], "datatype": "belongs_to"},
                ],
            }
        ],
    }  # fmt: skip
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=body))
    async with WorkbooksMappingClient("https://wb.test/", "k", transport=transport) as client:
        fields = {f.name: f for f in await client.field_metadata("opportunity")}
    # A currency is "value code flags" text ("Datatypes"), not a bare number.
    assert fields["fao_amount"].kind is FieldKind.TEXT and fields["fao_amount"].label == "Amount"
    assert fields["close_date"].kind is FieldKind.DATETIME
    assert fields["party_or_lead_id"].kind is FieldKind.REFERENCE
    assert fields["party_or_lead_id"].reference_to == "organisation"
    assert fields["id"].read_only
    assert fields["created_through"].read_only  # settable on create only: not for a mapping
    assert fields["probability"].kind is FieldKind.NUMBER  # an unknown key is tolerated


@pytest.mark.asyncio
async def test_a_create_answered_with_empty_information_is_a_success() -> None:
    """The guide's "Creating an Organisation": `affected_object_information: [{}]`."""
    body = {
        "affected_object_information": [{}],
        "affected_objects": [{"id": 226, "lock_version": 0, "name": "New Organisation"}],
        "flash": "Updated successfully",
        "success": True,
        "updates": {},
    }
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=body))
    async with WorkbooksClient("https://wb.test/", "k", transport=transport) as client:
        [result] = await client.create_records("crm/organisations", [{"name": "New"}])
    assert result.ok and result.id == 226 and result.lock_version == 0


@pytest.mark.asyncio
async def test_the_documented_failure_answer_is_each_records_error_not_a_crash() -> None:
    """The guide's "A failure": no affected_object_information, `affected_object_errors`."""
    body = {
        "affected_object_errors": [{"refcode": ["'DUPLICATE' is already used"]}],
        "errors": {"[]": {"refcode": "'DUPLICATE' is already used"}},
        "success": False,
    }
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=body))
    async with WorkbooksClient("https://wb.test/", "k", transport=transport) as client:
        [result] = await client.create_records("crm/people", [{"name": "New Person"}])
    assert not result.ok
    assert any("already used" in e for e in result.errors)


@pytest.mark.asyncio
async def test_the_current_user_is_read_with_a_documented_login_post(
    sandbox: SandboxEndpoints,
) -> None:
    recorder = Recorder(strip="/workbooks")
    async with WorkbooksSyncClient(
        sandbox.workbooks_base_url, sandbox.workbooks_api_key, transport=recorder
    ) as client:
        user = await client.current_user()
    assert isinstance(user, int)
    [login] = [s for s in recorder.sent if s.path == "/login.api"]
    assert login.method == "POST"
    assert all_problems(wb_param_problems(s) for s in recorder.sent) == []
    _, response, _ = recorder.answers[-1]
    assert "user_id" in response.json() and "database_name" in response.json()


@pytest.mark.asyncio
async def test_a_comma_inside_a_filter_value_is_escaped_as_the_guide_says(
    sandbox: SandboxEndpoints,
) -> None:
    recorder = Recorder(strip="/workbooks")
    async with WorkbooksClient(
        sandbox.workbooks_base_url, sandbox.workbooks_api_key, transport=recorder
    ) as client:
        found = await client.people_by_field("name", ["Smith, John", "nobody"], ["id", "name"])
    assert found == []  # one name with a comma, not "Smith" OR " John"
    values = [v for s in recorder.sent for k, v in s.query if k == "_fc[]"]
    assert "Smith\\, John" in values
    assert all_problems(wb_param_problems(s) for s in recorder.sent) == []


# -- answers that depart from the contract ------------------------------------------------------


@pytest.mark.asyncio
async def test_a_bare_array_of_records_is_read_as_the_page() -> None:
    """Meaning clear: the records, not an error."""
    rows = [{"id": 1, "name": "A", "surprise": True}, {"id": 2}]
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=rows))
    async with WorkbooksClient("https://wb.test/", "k", transport=transport) as client:
        pages = [page async for page in client.iter_records("crm/people")]
    assert pages == [rows]  # an unknown field is kept as it came


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "body",
    [{"data": "nope", "success": True}, {"success": True}, [1, 2], "text"],
)
async def test_an_unreadable_answer_is_one_clear_error_naming_the_endpoint(body: object) -> None:
    from syncmonitor.connectors.errors import MalformedResponseError
    from syncmonitor.connectors.http.retry import RetryPolicy

    async def no_sleep(_: float) -> None:
        return None

    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=body))
    async with WorkbooksClient(
        "https://wb.test/",
        "secret-key-1",
        transport=transport,
        policy=RetryPolicy(max_attempts=2, base_delay=0),
        sleep=no_sleep,
    ) as client:
        with pytest.raises(MalformedResponseError) as caught:
            [page async for page in client.iter_records("crm/people")]
    assert "GET /crm/people.api" in caught.value.message
    assert "secret-key-1" not in caught.value.message


@pytest.mark.asyncio
async def test_a_stale_lock_version_reported_under_failures_is_a_conflict() -> None:
    """The guide's "Failure Reporting": a bad lock_version answers 200 with `failures`."""
    from syncmonitor.connectors.workbooks.client import RecordUpdate

    body = {
        "success": False,
        "affected_objects": [],
        "failures": {"1": ["This record cannot be saved since it has already been updated "
                           "elsewhere."]},
    }  # fmt: skip
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=body))
    async with WorkbooksClient("https://wb.test/", "k", transport=transport) as client:
        [result] = await client.update_records("crm/people", [RecordUpdate(1, 3, {"name": "A"})])
    assert not result.ok and result.conflict


def test_the_sandboxs_write_and_error_answers_have_the_documented_shapes(
    sandbox: SandboxEndpoints,
) -> None:
    """Errors carry a reason (guide "Login": failure_reason); the shapes of the guide."""
    base = sandbox.workbooks_base_url
    agent = {"User-Agent": "contract-test"}
    no_key = loopback_http.get(f"{base}/crm/people.api", headers=agent)
    assert no_key.status_code == 401
    assert no_key.json()["success"] is False and no_key.json()["failure_reason"]
    assert wb_answer_problems(no_key.json()) == []
    no_agent = loopback_http.get(
        f"{base}/crm/people.api",
        params={"api_key": sandbox.workbooks_api_key},
        headers={"User-Agent": ""},
    )
    assert no_agent.status_code == 403
    assert no_agent.json()["failure_reason"] == "user_agent_required"
    read = loopback_http.get(
        f"{base}/crm/people.api",
        params=[("api_key", sandbox.workbooks_api_key), ("_start", "0"), ("_limit", "2")],
        headers=agent,
    ).json()
    assert wb_answer_problems(read) == [] and len(read["data"]) == 2
    assert {"data", "total", "success"} <= set(read)
