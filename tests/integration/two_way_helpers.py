"""Helpers for the two-way sync's end-to-end tests: reading and changing what the sandbox holds
over its own APIs (never through the app's connectors)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from engine_helpers import Harness, workbooks_write

import loopback_http
from syncmonitor.domain.scope import ScopeFilter, to_json
from syncmonitor.engine.two_way.outbound.setup import save_scope

JSON_API = "application/vnd.api+json"


def everyone(h: Harness) -> None:
    """Scope: every person marked Sync to Outreach (not only mine)."""
    save_scope(h.engine, to_json(ScopeFilter(mine=False)))


def outreach(h: Harness, method: str, path: str, body: Any = None, **params: str) -> Any:
    response = loopback_http.request(
        method,
        f"{h.endpoints.outreach_base_url}/{path}",
        params=params or None,
        json=body,
        headers={
            "Authorization": f"Bearer {h.endpoints.outreach_token}",
            "Content-Type": JSON_API,
        },
        timeout=30,
    )
    if response.status_code >= 400:
        raise AssertionError(f"{method} {path}: {response.status_code} {response.text}")
    return response.json() if response.content else None


def prospects_with_email(h: Harness, email: str) -> list[dict[str, Any]]:
    found = outreach(h, "GET", "prospects", **{"filter[emails]": email})
    return list(found["data"])


def prospect(h: Harness, prospect_id: int) -> dict[str, Any]:
    return dict(outreach(h, "GET", f"prospects/{prospect_id}")["data"])


def patch_prospect(h: Harness, prospect_id: int, **attributes: Any) -> None:
    outreach(
        h,
        "PATCH",
        f"prospects/{prospect_id}",
        {"data": {"type": "prospect", "id": prospect_id, "attributes": attributes}},
    )


def new_people(h: Harness, people: list[dict[str, Any]]) -> list[int]:
    """Create Workbooks people (Sync to Outreach on unless said); their new ids."""
    objects = [{"cf_person_sync_to_outreach": True, **p} for p in people]
    answer = workbooks_write(h.endpoints, objects, method="POST")
    assert answer["success"], answer
    return [int(o["id"]) for o in answer["affected_objects"]]


def set_person(h: Harness, person_id: int, **fields: Any) -> None:
    person = h.admin.person(person_id)
    answer = workbooks_write(
        h.endpoints, [{"id": person_id, "lock_version": person["lock_version"], **fields}]
    )
    assert answer["success"], answer


def delete_person(h: Harness, person_id: int) -> None:
    person = h.admin.person(person_id)
    answer = workbooks_write(
        h.endpoints, [{"id": person_id, "lock_version": person["lock_version"]}], method="DELETE"
    )
    assert answer["success"], answer


def workbooks_list(h: Harness, endpoint: str, **filters: str) -> list[dict[str, Any]]:
    params: list[tuple[str, str]] = [("api_key", h.endpoints.workbooks_api_key)]
    for name, value in filters.items():
        params += [("_ff[]", name), ("_ft[]", "eq"), ("_fc[]", value)]
    params += [("_start", "0"), ("_limit", "1000")]
    response = loopback_http.get(
        f"{h.endpoints.workbooks_base_url}/{endpoint}.api?{urlencode(params)}",
        headers={"User-Agent": "syncmonitor-tests/1.0"},
        timeout=30,
    )
    response.raise_for_status()
    return list(response.json()["data"])


def writes(h: Harness) -> dict[str, int]:
    """Write requests the sandbox has served so far, per service."""
    counts: dict[str, int] = h.admin.stats()["requests"]
    return {
        "outreach": counts.get("outreach-writes", 0),
        "workbooks": counts.get("workbooks-writes", 0),
    }


def requests(h: Harness) -> dict[str, int]:
    counts: dict[str, int] = h.admin.stats()["requests"]
    return {"outreach": counts.get("outreach", 0), "workbooks": counts.get("workbooks", 0)}
