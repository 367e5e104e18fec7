"""The sandbox's Workbooks API: auth, lists, filters, paging and batch writes with lock_version."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

import loopback_http
from syncmonitor.sandbox.admin import AdminClient
from syncmonitor.sandbox.process import SandboxEndpoints

PEOPLE = "/crm/people.api"
WORKBOOKS_DATETIME = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} \d{2} \d{2}:\d{2}:\d{2} UTC \d{4}$"
)
CONTRACT_FIELDS = (
    "id",
    "lock_version",
    "object_ref",
    "name",
    "person_first_name",
    "person_last_name",
    "main_location[email]",
    "no_email_soliciting",
    "created_at",
    "updated_at",
    "is_deleted",
    "created_through_reference",
    "cf_person_outreach_id",
    "cf_person_sequence_state",
    "cf_person_sequence_state_updated_at",
    "cf_person_sync_to_outreach",
    "cf_person_outreach_sync_error",
    "cf_person_outreach_duplicate",
)
STALE = "This record cannot be saved since it has already been updated elsewhere."
MakeClient = Callable[[SandboxEndpoints], httpx.Client]
Params = list[tuple[str, str]]


@pytest.fixture
def workbooks(sandbox: SandboxEndpoints, workbooks_http: MakeClient) -> httpx.Client:
    return workbooks_http(sandbox)


def people(client: httpx.Client, params: Params | None = None) -> list[dict[str, Any]]:
    """Every person a list request selects, read in one go."""
    response = client.get(PEOPLE, params=[("_start", "0"), ("_limit", "100000"), *(params or [])])
    assert response.status_code == 200, response.text
    document = response.json()
    assert document["success"] is True, document
    return document["data"]


def ids(client: httpx.Client, params: Params) -> set[int]:
    return {p["id"] for p in people(client, params)}


def where(field: str, op: str, value: str = "") -> Params:  # one condition as parallel arrays
    return [("_ff[]", field), ("_ft[]", op), ("_fc[]", value)]


def update(
    client: httpx.Client,
    objects: list[dict[str, Any]],
    *,
    per_object: bool = False,
    extra: Params | None = None,
) -> dict[str, Any]:
    """PUT a batch the way Workbooks' bindings encode it: a full square of parallel arrays."""
    keys = sorted({k for o in objects for k in o} - {"id", "lock_version"})
    form: Params = [("_fm", "or")]
    for obj in objects:
        form += where("id", "eq", str(obj["id"]))
    for obj in objects:
        form += [
            ("__method[]", "PUT"),
            ("id[]", str(obj["id"])),
            ("lock_version[]", str(obj["lock_version"])),
        ]
        form += [(f"{k}[]", str(obj.get(k, ":no_value:"))) for k in keys]
    if per_object:
        form.append(("_per_object_transactions", "true"))
    return put_form(client, form + (extra or []))


def put_form(client: httpx.Client, form: Params) -> dict[str, Any]:
    """PUT form-encoded pairs in order (httpx's `data=` cannot repeat a name)."""
    response = client.put(
        PEOPLE,
        content=urlencode(form),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


# -- auth ------------------------------------------------------------------------------------------


def test_a_missing_user_agent_is_403(sandbox: SandboxEndpoints) -> None:
    with loopback_http.client(base_url=sandbox.workbooks_base_url) as client:
        client.headers.pop("User-Agent")
        response = client.get(PEOPLE, params={"api_key": sandbox.workbooks_api_key})
    assert response.status_code == 403
    document = response.json()
    assert document["success"] is False and document["failure_reason"] == "user_agent_required"


@pytest.mark.parametrize("key", [None, "wrong-key"])
def test_a_missing_or_wrong_api_key_is_401(sandbox: SandboxEndpoints, key: str | None) -> None:
    params = {"api_key": key} if key else {}
    response = loopback_http.get(
        f"{sandbox.workbooks_base_url}{PEOPLE}",
        params=params,
        headers={"User-Agent": "syncmonitor-tests/1.0"},
    )
    assert response.status_code == 401
    document = response.json()
    assert document["success"] is False and document["errors"] and document["flash"]


def test_a_read_can_be_a_post_with_the_key_in_the_form(sandbox: SandboxEndpoints) -> None:
    response = loopback_http.post(
        f"{sandbox.workbooks_base_url}{PEOPLE}",
        data={"api_key": sandbox.workbooks_api_key, "_method": "GET", "_start": "0", "_limit": "3"},
        headers={"User-Agent": "syncmonitor-tests/1.0"},
    )
    assert response.status_code == 200
    assert len(response.json()["data"]) == 3


# -- lists -----------------------------------------------------------------------------------------


def test_a_list_answer_has_the_workbooks_shape(workbooks: httpx.Client) -> None:
    document = workbooks.get(PEOPLE, params={"_start": "0", "_limit": "5"}).json()
    assert set(document) == {"data", "total", "success", "flash", "updates"}
    assert document["success"] is True and document["flash"] == "" and document["updates"] == {}
    person = document["data"][0]
    missing = [field for field in CONTRACT_FIELDS if field not in person]
    assert not missing
    assert WORKBOOKS_DATETIME.match(person["updated_at"]), person["updated_at"]
    assert isinstance(person["no_email_soliciting"], bool)


def test_limit_needs_start_and_paging_visits_everyone_once(workbooks: httpx.Client) -> None:
    unpaged = workbooks.get(PEOPLE, params={"_limit": "7"}).json()
    assert len(unpaged["data"]) == 100, "_limit is ignored unless _start is sent"
    total = unpaged["total"]
    seen: list[int] = []
    for start in range(0, total + 40, 40):
        page = workbooks.get(PEOPLE, params={"_start": str(start), "_limit": "40"}).json()
        assert page["total"] == total
        seen += [p["id"] for p in page["data"]]
    assert len(seen) == len(set(seen)) == total
    assert seen == sorted(seen)


def test_deleted_people_show_only_when_the_filter_asks(workbooks: httpx.Client) -> None:
    visible = people(workbooks)
    assert not any(p["is_deleted"] for p in visible)
    both = where("is_deleted", "true") + where("is_deleted", "false") + [("_fm", "or")]
    everyone = people(workbooks, both)
    deleted = [p for p in everyone if p["is_deleted"]]
    assert deleted, "seed 7 has deleted people"
    assert len(everyone) == len(visible) + len(deleted)


def test_the_admin_reads_every_stored_person_at_once_as_one_by_one(
    sandbox: SandboxEndpoints,
) -> None:
    with AdminClient(sandbox.admin_url) as admin:
        stored = admin.people()
        deleted = [pid for pid, person in stored.items() if person["is_deleted"]]
        assert len(stored) == admin.stats()["people"] and deleted
        assert list(stored) == sorted(stored)
        for pid in [*list(stored)[:3], *deleted[:3], max(stored)]:
            assert stored[pid] == admin.person(pid)


@pytest.mark.parametrize(
    ("condition", "keep"),
    [
        (
            ("cf_person_sequence_state", "eq", "finished"),
            lambda p: p["cf_person_sequence_state"] == "Finished",
        ),
        (
            ("cf_person_sequence_state", "ne", "Finished"),
            lambda p: p["cf_person_sequence_state"] != "Finished",
        ),
        (("name", "ct", "AN"), lambda p: "an" in p["name"].lower()),
        (("name", "nct", "an"), lambda p: "an" not in p["name"].lower()),
        (("person_last_name", "bg", "s"), lambda p: p["person_last_name"].lower().startswith("s")),
        (
            ("person_last_name", "nbg", "s"),
            lambda p: not p["person_last_name"].lower().startswith("s"),
        ),
        (("cf_person_outreach_id", "blank", ""), lambda p: not p["cf_person_outreach_id"]),
        (("cf_person_outreach_id", "not_blank", ""), lambda p: bool(p["cf_person_outreach_id"])),
        (("no_email_soliciting", "true", ""), lambda p: p["no_email_soliciting"]),
        (
            ("cf_person_sync_to_outreach", "false", ""),
            lambda p: not p["cf_person_sync_to_outreach"],
        ),
        (("id", "gt", "10100"), lambda p: p["id"] > 10100),
        (("id", "ge", "10100"), lambda p: p["id"] >= 10100),
        (("id", "lt", "10100"), lambda p: p["id"] < 10100),
        (("id", "le", "10100"), lambda p: p["id"] <= 10100),
    ],
)
def test_each_operator_selects_what_it_says(
    workbooks: httpx.Client, condition: tuple[str, str, str], keep: Callable[[dict[str, Any]], bool]
) -> None:
    everyone = people(workbooks)
    expected = {p["id"] for p in everyone if keep(p)}
    assert expected and expected != {p["id"] for p in everyone}, "the case must discriminate"
    assert ids(workbooks, where(*condition)) == expected


def _epoch(text: str) -> int:
    return int(datetime.strptime(text, "%a %b %d %H:%M:%S UTC %Y").replace(tzinfo=UTC).timestamp())


def test_datetime_filters_and_sorting_follow_the_instant(workbooks: httpx.Client) -> None:
    everyone = people(workbooks)
    stamps = sorted(_epoch(p["updated_at"]) for p in everyone)
    middle = stamps[len(stamps) // 2]
    since = people(workbooks, [*where("updated_at", "ge", str(middle)), ("_sort", "updated_at")])
    assert {p["id"] for p in since} == {
        p["id"] for p in everyone if _epoch(p["updated_at"]) >= middle
    }
    order = [(_epoch(p["updated_at"]), p["id"]) for p in since]
    assert order == sorted(order)
    as_text = datetime.fromtimestamp(middle, UTC).strftime("%a %b %d %H:%M:%S UTC %Y")
    assert ids(workbooks, where("updated_at", "ge", as_text)) == {p["id"] for p in since}
    newest_first = people(workbooks, [("_sort", "updated_at"), ("_dir", "DESC")])
    assert [_epoch(p["updated_at"]) for p in newest_first] == sorted(stamps, reverse=True)


def test_fm_expressions_and_filter_json(workbooks: httpx.Client) -> None:
    everyone = people(workbooks)
    conditions = (
        where("id", "lt", "10050")
        + where("cf_person_sequence_state", "eq", "Finished")
        + where("no_email_soliciting", "true")
    )
    expected = {
        p["id"]
        for p in everyone
        if p["id"] < 10050
        and (p["cf_person_sequence_state"] == "Finished" or p["no_email_soliciting"])
    }
    assert expected
    assert ids(workbooks, [*conditions, ("_fm", "1 AND (2 OR 3)")]) == expected
    as_json = (
        '[["id", "lt", "10050"], ["cf_person_sequence_state", "eq", "Finished"], '
        '["no_email_soliciting", "true"]]'
    )
    assert ids(workbooks, [("_filter_json", as_json), ("_fm", "1 AND (2 OR 3)")]) == expected
    either = {p["id"] for p in everyone if p["id"] < 10050 or p["no_email_soliciting"]}
    assert (
        ids(
            workbooks,
            [*where("id", "lt", "10050"), *where("no_email_soliciting", "true"), ("_fm", "or")],
        )
        == either
    )


def test_select_columns_and_skip_total_rows(workbooks: httpx.Client) -> None:
    document = workbooks.get(
        PEOPLE,
        params=[
            ("_start", "0"),
            ("_limit", "3"),
            ("_select_columns[]", "name"),
            ("_select_columns[]", "main_location[email]"),
            ("_skip_total_rows", "true"),
        ],
    ).json()
    assert "total" not in document
    for person in document["data"]:
        assert set(person) == {"id", "lock_version", "name", "main_location[email]"}
    refused = workbooks.get(PEOPLE, params={"_select_columns[]": "shoe_size"}).json()
    assert refused["success"] is False and "shoe_size" in refused["errors"][0]


def test_bad_filters_are_refused_not_ignored(workbooks: httpx.Client) -> None:
    for params in (
        where("shoe_size", "eq", "9"),
        where("id", "near", "1"),
        [*where("id", "eq", "1"), ("_fm", "1 AND 2")],
    ):
        document = workbooks.get(PEOPLE, params=params).json()
        assert document["success"] is False and document["errors"], params


def test_people_link_to_prospects_by_id_or_by_email(
    workbooks: httpx.Client, sandbox: SandboxEndpoints, outreach_http: MakeClient
) -> None:
    outreach = outreach_http(sandbox)
    prospects = outreach.get("/prospects", params={"page[size]": "1000"}).json()["data"]
    by_id = {p["id"]: p for p in prospects}
    by_email = {p["attributes"]["emails"][0]: p for p in prospects}
    everyone = people(workbooks)
    linked = [p for p in everyone if p["cf_person_outreach_id"]]
    assert 0.75 < len(linked) / len(everyone) < 0.95
    for person in everyone:
        if person["cf_person_outreach_id"]:
            prospect = by_id[int(person["cf_person_outreach_id"])]
        else:
            prospect = by_email[person["main_location[email]"].lower()]
        assert prospect["attributes"]["externalId"] == str(person["id"])
    assert any(p["main_location[email]"] != p["main_location[email]"].lower() for p in everyone)


# -- writes ----------------------------------------------------------------------------------------


@pytest.fixture
def own(
    make_sandbox: Callable[..., SandboxEndpoints], workbooks_http: MakeClient
) -> Iterator[tuple[httpx.Client, AdminClient]]:
    """A world of one's own, to write to."""
    endpoints = make_sandbox(seed=5, people=120)
    admin = AdminClient(endpoints.admin_url)
    yield workbooks_http(endpoints), admin
    admin.close()


def test_an_update_saves_and_moves_lock_version(own: tuple[httpx.Client, AdminClient]) -> None:
    client, admin = own
    before = admin.person(10003)
    result = update(
        client,
        [
            {
                "id": 10003,
                "lock_version": before["lock_version"],
                "cf_person_sequence_state": "Opted Out",
                "cf_person_sequence_state_updated_at": "Fri May 15 14:36:54 UTC 2026",
                "no_email_soliciting": "true",
                "person_first_name": ":no_value:",
            }
        ],
    )
    assert result["success"] is True
    assert result["affected_object_information"] == [
        {"success": True, "errors": {}, "warnings": {}}
    ]
    after = admin.person(10003)
    assert after["lock_version"] == before["lock_version"] + 1
    assert result["affected_objects"][0]["lock_version"] == after["lock_version"]
    assert after["cf_person_sequence_state"] == "Opted Out" and after["no_email_soliciting"] is True
    assert after["cf_person_sequence_state_updated_at"] == "Fri May 15 14:36:54 UTC 2026"
    assert after["person_first_name"] == before["person_first_name"]
    assert _epoch(after["updated_at"]) >= _epoch(before["updated_at"])
    assert after["updated_at"] != before["updated_at"]


def test_null_value_empties_a_field(own: tuple[httpx.Client, AdminClient]) -> None:
    client, admin = own
    person = admin.person(10004)
    update(
        client,
        [
            {
                "id": 10004,
                "lock_version": person["lock_version"],
                "cf_person_sequence_state": ":null_value:",
            }
        ],
    )
    assert admin.person(10004)["cf_person_sequence_state"] is None


def test_a_stale_lock_version_is_refused_with_http_200(
    own: tuple[httpx.Client, AdminClient],
) -> None:
    client, admin = own
    person = admin.person(10005)
    result = update(
        client,
        [
            {
                "id": 10005,
                "lock_version": person["lock_version"] - 1,
                "cf_person_sequence_state": "Finished",
            }
        ],
    )
    info = result["affected_object_information"][0]
    assert info["success"] is False and info["errors"] == {"id": [STALE]}
    assert admin.person(10005) == person


def test_one_stale_object_rolls_the_batch_back_unless_per_object(
    own: tuple[httpx.Client, AdminClient],
) -> None:
    client, admin = own
    a, b = admin.person(10006), admin.person(10007)
    batch = [
        {"id": 10006, "lock_version": a["lock_version"], "cf_person_sequence_state": "Pending"},
        {"id": 10007, "lock_version": b["lock_version"] + 5, "cf_person_sequence_state": "Pending"},
    ]
    rolled_back = update(client, batch)
    assert [i["success"] for i in rolled_back["affected_object_information"]] == [False, False]
    assert rolled_back["success"] is False
    assert admin.person(10006) == a
    partly = update(client, batch, per_object=True)
    assert [i["success"] for i in partly["affected_object_information"]] == [True, False]
    assert admin.person(10006)["cf_person_sequence_state"] == "Pending"
    assert admin.person(10006)["lock_version"] == a["lock_version"] + 1
    assert admin.person(10007) == b


def test_more_than_100_objects_are_refused(own: tuple[httpx.Client, AdminClient]) -> None:
    client, admin = own
    batch = [{"id": 10001, "lock_version": 1, "cf_person_sequence_state": "Pending"}] * 101
    result = update(client, batch)
    assert result["success"] is False and "100" in result["errors"][0]
    hundred = [
        {"id": i, "lock_version": admin.person(i)["lock_version"], "created_through_reference": "x"}
        for i in range(10001, 10101)
    ]
    result = update(client, hundred)
    assert result["success"] is True, "exactly 100 objects is allowed"
    assert [o["lock_version"] for o in result["affected_objects"]] == [
        o["lock_version"] + 1 for o in hundred
    ]


def test_a_write_needs_a_filter_selecting_its_records(
    own: tuple[httpx.Client, AdminClient],
) -> None:
    client, admin = own
    person = admin.person(10008)
    form = [
        ("__method[]", "PUT"),
        ("id[]", "10008"),
        ("lock_version[]", str(person["lock_version"])),
        ("cf_person_sequence_state[]", "Failed"),
    ]
    unfiltered = put_form(client, form)
    assert unfiltered["success"] is False
    wrong = put_form(client, form + where("id", "eq", "10009"))
    assert wrong["affected_object_information"][0]["success"] is False
    assert admin.person(10008) == person
    right = put_form(client, form + where("id", "eq", "10008"))
    assert right["success"] is True


def test_read_only_and_unknown_fields_are_refused(own: tuple[httpx.Client, AdminClient]) -> None:
    client, admin = own
    person = admin.person(10009)
    result = update(
        client,
        [
            {
                "id": 10009,
                "lock_version": person["lock_version"],
                "updated_at": "1 Jan 2020",
                "shoe_size": "9",
            }
        ],
    )
    errors = result["affected_object_information"][0]["errors"]
    assert set(errors) == {"updated_at", "shoe_size"}
    assert admin.person(10009) == person


# -- lookups (answered from value indexes; tests/unit/test_sandbox_lookup_index.py compares them
# with the scan) -----------------------------------------------------------------------------------


def _lookup(client: httpx.Client, field: str, values: list[str]) -> list[int]:
    params: Params = [("_fm", "or")]
    for value in values:
        params += where(field, "eq", value)
    return [p["id"] for p in people(client, params)]


def test_or_lookups_find_people_by_value_and_follow_writes(
    own: tuple[httpx.Client, AdminClient],
) -> None:
    client, admin = own
    everyone = people(client)
    linked = [p for p in everyone if p["cf_person_outreach_id"]][:40]
    wanted = [str(p["cf_person_outreach_id"]) for p in linked] + ["no-such-id"]
    assert _lookup(client, "cf_person_outreach_id", wanted) == sorted(p["id"] for p in linked)
    emails = [p["main_location[email]"] for p in everyone[40:80]]
    assert _lookup(client, "main_location[email]", [e.swapcase() for e in emails]) == [
        p["id"] for p in everyone[40:80]
    ]
    person = admin.person(linked[0]["id"])
    old = str(person["cf_person_outreach_id"])
    saved = update(
        client,
        [
            {
                "id": person["id"],
                "lock_version": person["lock_version"],
                "cf_person_outreach_id": "X1",
            }
        ],
    )
    assert saved["success"] is True
    assert _lookup(client, "cf_person_outreach_id", ["x1"]) == [person["id"]]
    assert person["id"] not in _lookup(client, "cf_person_outreach_id", [old])
