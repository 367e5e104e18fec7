"""The emulated Salesmate REST API (contacts) under `/salesmate/apis/...`, and its fault switches.

Its contacts are derived from the world's Workbooks people, deterministically from the seed: about
four in five people are Salesmate contacts (same email and name, Salesmate's own ids), and a few
contacts exist only in Salesmate. Like the real service it answers failures as HTTP 200 with
`{"Status": "failure", "Error": {...}}` (a wrong link name, an unknown contact, a bad query), a
wrong access token with 401, and more than its hourly budget of calls (1,500) with 429.

Admin: `/_admin/salesmate/faults` (GET, PUT merges, DELETE clears) and `/_admin/salesmate/stats`.
Shares no code with `connectors/salesmate.py`.
"""

from __future__ import annotations

import random
import threading
import time
from typing import Any

import orjson

from syncmonitor.sandbox.admin_routes import _is_loopback
from syncmonitor.sandbox.http_types import Request, Response, json_response
from syncmonitor.sandbox.world import World

PREFIX = "/salesmate"
API = PREFIX + "/apis"
ADMIN = "/_admin/salesmate"
LINKNAME = "sandbox"
DEFAULT_TOKEN = "sandbox-salesmate-token"
ENV_TOKEN = "SYNCMONITOR_SANDBOX_SALESMATE_TOKEN"
HOURLY_BUDGET = 1500
FIRST_CONTACT_ID = 70_001

FAULT_DEFAULTS: dict[str, Any] = {
    "failure_next": 0,  # answer the next N calls 200 {"Status": "failure"}
    "failure_message": "Something went wrong while processing the request.",
    "fail_next": 0,  # answer the next N calls with HTTP fail_status
    "fail_status": 500,
    "latency_ms": 0,
    "rate_limit_budget": HOURLY_BUDGET,  # calls per hour; PUT resets the hour
}


def success(data: Any) -> Response:
    return json_response(200, {"Status": "success", "Data": data})


def failure(message: str, code: str = "ERROR", status: int = 200) -> Response:
    """Salesmate's failure envelope; by default with HTTP 200, as the real service often does."""
    return json_response(status, {"Status": "failure", "Error": {"Code": code, "Message": message}})


class SalesmateApi:
    """Answers `/salesmate/apis/...` and `/_admin/salesmate/...` from a `World`."""

    def __init__(self, world: World, token: str, linkname: str = LINKNAME) -> None:
        self.world, self.token, self.linkname = world, token, linkname
        self._lock = threading.Lock()
        self._contacts: dict[str, dict[str, Any]] | None = None  # by id
        self._faults = dict(FAULT_DEFAULTS)
        self._calls: list[float] = []
        self.counts: dict[str, int] = {"calls": 0, "searches": 0, "refused": 0}

    # -- the world's contacts --------------------------------------------------------------

    def contacts(self) -> dict[str, dict[str, Any]]:
        """Built on first use from the world's people (the world never changes emails)."""
        if self._contacts is None:
            rng = random.Random(f"{self.world.seed}:salesmate")
            contacts: dict[str, dict[str, Any]] = {}
            next_id = FIRST_CONTACT_ID
            with self.world.lock:
                people = sorted(self.world.people.values(), key=lambda p: p.id)
                for person in people:
                    if rng.random() < 0.8 and person.email:
                        contacts[str(next_id)] = _record(
                            next_id, person.first_name or "", person.last_name or "", person.email
                        )
                        next_id += 1
            for n in range(max(3, len(contacts) // 50)):  # contacts only Salesmate knows
                contacts[str(next_id)] = _record(
                    next_id, "Only", f"Salesmate {n + 1}", f"only.salesmate{n + 1}@example.org"
                )
                next_id += 1
            self._contacts = contacts
        return self._contacts

    # -- the API ---------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        with self._lock:
            self.counts["calls"] += 1
            if request.header("accessToken") != self.token:
                self.counts["refused"] += 1
                return failure("Invalid access token or session expired.", "UNAUTHORIZED", 401)
            # Public clients send the account's host, `<name>.salesmate.io`.
            if request.header("x-linkname").lower() != f"{self.linkname}.salesmate.io":
                self.counts["refused"] += 1
                return failure(f"No account has the link name {request.header('x-linkname')!r}.")
            limited = self._spend()
            if limited is not None:
                return limited
            faulted = self._faulted()
        if faulted is not None:
            return faulted
        route = request.path[len(API) :].rstrip("/")
        if route == "/contact/v4/search" and request.method == "POST":
            return self._search(request)
        if route.startswith("/contact/v4/") and request.method == "GET":
            contact = self.contacts().get(route.rsplit("/", 1)[1])
            if contact is None:
                return failure("Contact not found.", "NOT_FOUND")
            return success(contact)
        return json_response(404, {"Status": "failure", "Error": {"Message": "No such API."}})

    def _spend(self) -> Response | None:
        now = time.time()
        self._calls = [t for t in self._calls if t > now - 3600]
        if len(self._calls) >= self._faults["rate_limit_budget"]:
            response = failure("API rate limit exceeded.", "RATE_LIMIT", 429)
            retry = int(self._calls[0] + 3600 - now) + 1
            response.headers["Retry-After"] = str(retry)
            return response
        self._calls.append(now)
        return None

    def _faulted(self) -> Response | None:
        f = self._faults
        if f["latency_ms"]:
            time.sleep(f["latency_ms"] / 1000)
        if f["fail_next"] > 0:
            f["fail_next"] -= 1
            return failure("Sandbox fault: failed on purpose.", "SERVER", f["fail_status"])
        if f["failure_next"] > 0:
            f["failure_next"] -= 1
            return failure(f["failure_message"])
        return None

    def _search(self, request: Request) -> Response:
        self.counts["searches"] += 1
        try:
            body = orjson.loads(request.body or b"{}")
            # The shape public clients send: displayingFields and filterQuery.
            if not isinstance(body.get("displayingFields"), list):
                raise KeyError("displayingFields")
            group = body["filterQuery"]["group"]
            operator = str(group.get("operator", "AND")).upper()
            rules = group["rules"]
            tests = [_rule(rule) for rule in rules]
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            return failure(f"Invalid search query: {exc}.", "BAD_QUERY")
        combine = any if operator == "OR" else all
        rows, start = _paging(request)
        matches = [c for c in self.contacts().values() if combine(t(c) for t in tests)]
        shown = [str(f).removeprefix("contact.") for f in body["displayingFields"]]
        data = [
            {f"contact.{k}": v for k, v in c.items() if k in shown or k == "id"}
            for c in matches[start : start + rows]
        ]
        return success({"totalRows": len(matches), "data": data})

    # -- admin -----------------------------------------------------------------------------

    def admin(self, request: Request, client_host: str) -> Response:
        """The Salesmate fault switches and counters (loopback clients only)."""
        if not _is_loopback(client_host):
            return json_response(403, {"error": "The admin API only answers on loopback."})
        route = request.path[len(ADMIN) :].rstrip("/")
        with self._lock:
            if route == "/faults":
                if request.method == "GET":
                    return json_response(200, dict(self._faults))
                if request.method == "DELETE":
                    self._faults = dict(FAULT_DEFAULTS)
                    self._calls.clear()
                    return json_response(200, dict(self._faults))
                if request.method == "PUT":
                    return self._update_faults(request.body)
            if route == "/stats" and request.method == "GET":
                return json_response(
                    200,
                    {
                        **self.counts,
                        "contacts": len(self.contacts()),
                        "calls_this_hour": len(self._calls),
                        "linkname": self.linkname,
                    },
                )
        return json_response(404, {"error": f"No admin route {request.method} {request.path}."})

    def _update_faults(self, body: bytes) -> Response:
        try:
            changes = orjson.loads(body or b"{}")
        except orjson.JSONDecodeError:
            return json_response(400, {"error": "The body must be JSON."})
        if not isinstance(changes, dict):
            return json_response(400, {"error": "The body must be a JSON object."})
        for key, value in changes.items():
            if key not in FAULT_DEFAULTS:
                return json_response(422, {"error": f"Unknown Salesmate fault {key!r}."})
            expected = type(FAULT_DEFAULTS[key])
            if not isinstance(value, expected) or isinstance(value, bool):
                return json_response(422, {"error": f"{key} must be {expected.__name__}."})
            if isinstance(value, int) and value < 0:
                return json_response(422, {"error": f"{key} must not be negative."})
        self._faults.update(changes)
        if "rate_limit_budget" in changes:
            self._calls.clear()
        return json_response(200, dict(self._faults))


def _record(contact_id: int, first: str, last: str, email: str) -> dict[str, Any]:
    return {
        "id": contact_id,
        "firstName": first,
        "lastName": last,
        "name": f"{first} {last}".strip(),
        "email": email,
        "owner": {"id": 1, "name": "Sandbox Owner"},
    }


def _rule(rule: dict[str, Any]) -> Any:
    field = str(rule["field"]["fieldName"]).removeprefix("contact.")
    condition = str(rule["condition"]).upper()
    data = str(rule["data"]).lower()
    if condition == "EQUALS":
        return lambda c: str(c.get(field, "")).lower() == data
    if condition == "CONTAINS":
        return lambda c: data in str(c.get(field, "")).lower()
    raise ValueError(f"condition {condition} is not supported")


def _paging(request: Request) -> tuple[int, int]:
    params = dict(request.query_pairs())
    try:
        rows = max(1, min(int(params.get("rows", "25")), 250))
        start = max(0, int(params.get("from", "0")))
    except ValueError:
        return 25, 0
    return rows, start
