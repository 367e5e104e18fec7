"""`/_admin`: the sandbox's own controls (faults, live changes, stats, shutdown).

No authentication: it answers only clients on the loopback interface.
"""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Callable
from typing import Any

import orjson

from syncmonitor.sandbox.admin_values import handle_values
from syncmonitor.sandbox.changes import CHANGE_KINDS, apply_change
from syncmonitor.sandbox.faults import FaultError, Faults
from syncmonitor.sandbox.gatormail import GatorMail
from syncmonitor.sandbox.http_types import Request, Response, json_response
from syncmonitor.sandbox.mailshot_admin import handle_gatormail
from syncmonitor.sandbox.outreach_api import Scopes
from syncmonitor.sandbox.outreach_oauth import OAuthServer
from syncmonitor.sandbox.workbooks_fields import PERSON_FIELDS, record_json
from syncmonitor.sandbox.world import World

PREFIX = "/_admin"


class Ticker:
    """The thread that applies live changes every `tick` seconds (0 = a frozen world)."""

    def __init__(self, world: World, tick: float, changes_per_tick: int) -> None:
        self.world = world
        self.tick = tick
        self.changes_per_tick = changes_per_tick
        self._wake = threading.Condition()
        self._generation = 0  # bumped by configure(): a wait that sees it move starts over
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="sandbox-ticker", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        with self._wake:
            self._stopping = True
            self._wake.notify_all()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def configure(self, tick: float, changes_per_tick: int) -> None:
        with self._wake:
            self.tick, self.changes_per_tick = tick, changes_per_tick
            self._generation += 1
            self._wake.notify_all()

    def settings(self) -> dict[str, Any]:
        with self._wake:
            return {"tick": self.tick, "changes_per_tick": self.changes_per_tick}

    def _run(self) -> None:
        while True:
            with self._wake:
                generation, tick = self._generation, self.tick
                self._wake.wait(timeout=tick if tick > 0 else None)
                if self._stopping:
                    return
                if generation != self._generation or tick <= 0:
                    continue  # new settings: wait a whole new tick
                count = self.changes_per_tick
            self.world.apply_changes(count)


class AdminApi:
    """Answers `/_admin/...`; `stats` and `shutdown` come from the server that owns it."""

    def __init__(
        self,
        world: World,
        faults: Faults,
        ticker: Ticker,
        server_stats: Callable[[], dict[str, Any]],
        shutdown: Callable[[], None],
        *,
        oauth: OAuthServer | None = None,
        gatormail: GatorMail | None = None,
        outreach_scopes: Scopes | None = None,
    ) -> None:
        self.world, self.faults, self.ticker = world, faults, ticker
        self.outreach_scopes = outreach_scopes
        self.gatormail = gatormail
        self._server_stats, self._shutdown = server_stats, shutdown
        self.oauth = oauth

    def handle(self, request: Request, client_host: str) -> Response:
        if not _is_loopback(client_host):
            return _error(403, "The admin API only answers on the loopback interface.")
        route = request.path[len(PREFIX) :].rstrip("/")
        try:
            payload = orjson.loads(request.body) if request.body.strip() else {}
        except orjson.JSONDecodeError:
            return _error(400, "The body must be JSON.")
        if not isinstance(payload, dict):
            return _error(400, "The body must be a JSON object.")
        try:
            return self._route(request.method, route, payload)
        except FaultError as error:
            return _error(422, str(error))

    def _route(self, method: str, route: str, payload: dict[str, Any]) -> Response:
        if route == "/faults":
            if method == "GET":
                return json_response(200, self.faults.snapshot())
            if method == "PUT":
                return json_response(200, self.faults.update(payload))
            if method == "DELETE":
                return json_response(200, self.faults.clear())
        elif route == "/live" and method == "POST":
            tick = payload.get("tick", self.ticker.tick)
            changes = payload.get("changes_per_tick", self.ticker.changes_per_tick)
            if not _number(tick) or tick < 0 or not _whole(changes):
                return _error(422, "tick must be a number >= 0 and changes_per_tick a whole number")
            self.ticker.configure(float(tick), int(changes))
            return json_response(200, self.ticker.settings())
        elif route == "/tick" and method == "POST":
            changes = payload.get("changes", self.ticker.changes_per_tick)
            if not _whole(changes):
                return _error(422, "changes must be a whole number >= 0")
            return json_response(200, {"changes": self.world.apply_changes(int(changes))})
        elif route == "/clock" and method == "POST":
            seconds = payload.get("advance_seconds", 0)
            if not _number(seconds) or seconds < 0:
                return _error(422, "advance_seconds must be a number >= 0")
            return json_response(200, {"now_ms": self.world.advance_clock(float(seconds))})
        elif route == "/stats" and method == "GET":
            stats = self.world.stats()
            stats.update(self._server_stats())
            stats["live"] = self.ticker.settings()
            stats["rate_limit"] = self.faults.rate_limit_state()
            return json_response(200, stats)
        elif route == "/change" and method == "POST":
            return self._change(payload)
        elif route == "/workbooks/people" and method == "GET":
            return self._people()
        elif route.startswith("/workbooks/people/") and method == "GET":
            return self._person(route.rsplit("/", 1)[1])
        elif route == "/outreach/scopes" and self.outreach_scopes is not None:
            if method == "GET":
                return json_response(200, self.outreach_scopes.snapshot())
            if method == "PUT":
                try:
                    return json_response(200, self.outreach_scopes.update(payload))
                except ValueError as exc:
                    return _error(422, str(exc))
        elif route.startswith("/oauth") and self.oauth is not None:
            return self._oauth(method, route, payload, self.oauth)
        elif (answer := handle_values(self.world, method, route, payload)) is not None:
            return answer  # CRM values and stages changed behind the app's back
        elif route == "/outreach/scopes" and method == "PUT":
            missing = payload.get("missing", [])
            if not isinstance(missing, list) or not all(isinstance(s, str) for s in missing):
                return _error(422, "missing must be a list of scope names")
            with self.world.lock:
                self.world.outreach_missing_scopes = set(missing)
            return json_response(200, {"missing": sorted(missing)})
        elif route == "/shutdown" and method == "POST":
            response = json_response(200, {"stopping": True})
            response.after_send = self._shutdown  # answer first, then stop
            return response
        if self.gatormail is not None:
            answered = handle_gatormail(self.world, self.gatormail, method, route, payload)
            if answered is not None:
                return answered
        return _error(404, f"No admin route {method} {PREFIX}{route}.")

    @staticmethod
    def _oauth(method: str, route: str, payload: dict[str, Any], oauth: OAuthServer) -> Response:
        if route == "/oauth" and method == "GET":
            return json_response(200, oauth.state())
        if route == "/oauth" and method == "PUT":
            try:
                return json_response(200, oauth.configure(payload))
            except ValueError as error:
                return _error(422, str(error))
        if route == "/oauth/expire" and method == "POST":
            return json_response(200, {"expired": oauth.expire_all()})
        return _error(404, f"No admin route {method} {PREFIX}{route}.")

    def _change(self, payload: dict[str, Any]) -> Response:
        """{"kind": "opt_out" | "bounce" | ...}: one live change of that kind, now."""
        kind = payload.get("kind")
        if kind not in CHANGE_KINDS:
            return _error(422, f"kind must be one of {', '.join(CHANGE_KINDS)}")
        with self.world.lock:
            change = apply_change(self.world, str(kind))
            if change is not None:
                self.world.changes_applied += 1
        if change is None:
            return _error(409, f"No record can take a {kind} change now.")
        return json_response(200, change)

    def _people(self) -> Response:
        """Every stored Workbooks person, deleted ones too, in id order: what a test compares
        after a run, in one answer instead of one request per person."""
        with self.world.lock:
            records = [
                record_json(self.world, PERSON_FIELDS, self.world.people[pid], list(PERSON_FIELDS))
                for pid in sorted(self.world.people)
            ]
        return json_response(200, {"people": records})

    def _person(self, raw_id: str) -> Response:
        with self.world.lock:
            person = self.world.people.get(int(raw_id)) if raw_id.isdigit() else None
            if person is None:
                return _error(404, f"No Workbooks person has the id {raw_id}.")
            record = record_json(self.world, PERSON_FIELDS, person, list(PERSON_FIELDS))
        return json_response(200, record)


def _is_loopback(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)  # ::ffff:127.0.0.1 on a dual-stack socket
    return address.is_loopback or (mapped is not None and mapped.is_loopback)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _error(status: int, message: str) -> Response:
    return json_response(status, {"error": message})
