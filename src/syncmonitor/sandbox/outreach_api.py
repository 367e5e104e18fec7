"""Outreach REST API v2 as the sandbox serves it, under `/outreach/api/v2`.

JSON:API documents, Bearer auth, the `application/vnd.api+json` content type on every request,
keyset paging with `page[size]`/`page[after]`, `filter[...]`, `sort`, `include`, `fields[type]`
and `count=false`. Rate limiting is the server's job (it wraps every Outreach answer).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import orjson

from syncmonitor.sandbox import outreach_sync_writes, outreach_writes
from syncmonitor.sandbox.http_types import Request, Response
from syncmonitor.sandbox.outreach_keyset import SORTS, CursorError, Query, select
from syncmonitor.sandbox.outreach_resources import (
    RESOURCE_TYPES,
    ResourceType,
    render,
    resolve_includes,
    validate_include,
)
from syncmonitor.sandbox.timefmt import parse_iso_ms
from syncmonitor.sandbox.world import World

PREFIX = "/outreach/api/v2"
MEDIA_TYPE = "application/vnd.api+json"
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
_ERROR_TITLES = {
    401: "Unauthorized",
    403: "Forbidden",
    404: "Resource Not Found",
    405: "Method Not Allowed",
    415: "Unsupported Media Type",
    422: "Validation Error",
    429: "Rate Limit Exceeded",
    500: "Internal Server Error",
    503: "Scheduled Server Maintenance",
}
# Parameters that are known but change nothing here (deprecated offset paging, cache busters).
_IGNORED_PARAMETERS = frozenset({"page[offset]", "page[limit]", "_"})


class ApiError(Exception):
    """An answer in Outreach's error format: `{"errors": [{"id", "title", "detail", ...}]}`."""

    def __init__(self, status: int, code: str, detail: str, parameter: str | None = None) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail, self.parameter = status, code, detail, parameter

    def response(self) -> Response:
        return error_response(self.status, self.code, self.detail, self.parameter)


def error_response(status: int, code: str, detail: str, parameter: str | None = None) -> Response:
    """An Outreach error document."""
    error: dict[str, Any] = {
        "id": code,
        "title": _ERROR_TITLES.get(status, "Error"),
        "detail": detail,
    }
    if parameter is not None:
        error["source"] = {"parameter": parameter}
    body = orjson.dumps({"errors": [error]})
    return Response(status, body, {"Content-Type": MEDIA_TYPE})


class Scopes:
    """The OAuth scopes the sandbox's tokens lack (none by default), set over the admin API.

    Outreach scopes are `<resource>.read`, `<resource>.write`, `<resource>.delete` and
    `<resource>.all` (for all three). A request the token has no scope for is answered 403 with
    `errors[].id` "unauthorizedOauthScope" (the id is documented; the detail's wording is the
    sandbox's own, as no document gives Outreach's).
    """

    def __init__(self) -> None:
        self.missing: set[str] = set()

    def check(self, method: str, resource: str) -> None:
        action = {"GET": "read", "DELETE": "delete"}.get(method, "write")
        for scope in (f"{resource}.{action}", f"{resource}.all"):
            if scope in self.missing:
                raise ApiError(
                    403,
                    "unauthorizedOauthScope",
                    f"The access token does not carry the {resource}.{action} scope needed for "
                    f"this request.",
                )

    def snapshot(self) -> dict[str, Any]:
        return {"missing": sorted(self.missing)}

    def update(self, payload: dict[str, Any]) -> dict[str, Any]:
        missing = payload.get("missing", [])
        if not isinstance(missing, list) or not all(isinstance(m, str) for m in missing):
            raise ValueError("missing must be a list of scope names such as calls.read")
        self.missing = set(missing)
        return self.snapshot()


class OutreachApi:
    """Answers Outreach requests from a `World`."""

    def __init__(
        self, world: World, token: str, *, also_valid: Callable[[str], bool] | None = None
    ) -> None:
        self.world = world
        self._token = token
        # OAuth access tokens issued by the sandbox's token endpoint (outreach_oauth.py).
        self._also_valid = also_valid or (lambda token: False)
        self.scopes = Scopes()

    def handle(self, request: Request) -> Response:
        try:
            self._check_auth(request)
            self._check_scope(request)
            self._check_media_type(request)
            parts = [p for p in request.path[len(PREFIX) :].split("/") if p]
            if parts:
                self.scopes.check(request.method, parts[0])
            return self._route(request)
        except ApiError as error:
            return error.response()

    def _check_auth(self, request: Request) -> None:
        scheme, _, token = request.header("authorization").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not (
            hmac.compare_digest(token.encode(), self._token.encode()) or self._also_valid(token)
        ):
            raise ApiError(401, "unauthorized", "The access token is missing, invalid or expired.")

    def _check_scope(self, request: Request) -> None:
        missing = self.world.outreach_missing_scopes
        if not missing:
            return
        parts = [p for p in request.path[len(PREFIX) :].split("/") if p]
        access = {"GET": "read", "DELETE": "delete"}.get(request.method, "write")
        scope = f"{parts[0] if parts else ''}.{access}"
        if scope in missing or f"{parts[0] if parts else ''}.all" in missing:
            raise ApiError(
                403,
                "unauthorizedOauthScope",
                f"The access token does not have the {scope} scope.",
            )

    @staticmethod
    def _check_media_type(request: Request) -> None:
        content_type = request.header("content-type").split(";", 1)[0].strip().lower()
        if content_type != MEDIA_TYPE:
            raise ApiError(
                415,
                "unsupportedMediaType",
                f"Requests must carry Content-Type: {MEDIA_TYPE}.",
            )

    def _route(self, request: Request) -> Response:
        parts = [p for p in request.path[len(PREFIX) :].split("/") if p]
        rtype = RESOURCE_TYPES.get(parts[0]) if parts else None
        if rtype is None or len(parts) > 2:
            raise ApiError(404, "resourceNotFound", f"No resource is found at {request.path}.")
        if request.method != "GET":
            return self._write(request, rtype, parts, request.base_url + PREFIX)
        params = dict(request.query_pairs())  # a repeated parameter: the last one wins
        base = request.base_url + PREFIX
        if len(parts) == 2:
            return self._one(rtype, parts[1], params, base)
        return self._many(rtype, params, base, request.path)

    def _write(
        self, request: Request, rtype: ResourceType, parts: list[str], base: str
    ) -> Response:
        """The writes Outreach allows on the types the sandbox serves (see outreach_writes)."""
        method, one = request.method, len(parts) == 2
        record_id = int(parts[1]) if one and parts[1].isdigit() else None
        if one and record_id is None:
            raise ApiError(404, "resourceNotFound", f"No {rtype.name} has the id {parts[1]}.")

        def render_one(record: Any) -> dict[str, Any]:
            return render(self.world, rtype, record, base, {})

        try:
            if rtype.name == "stage" and method == "POST" and not one:
                return outreach_writes.create_stage(self.world, request, render_one)
            if rtype.name == "stage" and method == "DELETE" and record_id is not None:
                return outreach_writes.delete_stage(self.world, record_id)
            if rtype.name == "prospect" and method == "PATCH" and record_id is not None:
                return outreach_writes.update_prospect(self.world, record_id, request, render_one)
            if rtype.name == "prospect" and method == "POST" and not one:
                return outreach_sync_writes.create_prospect(self.world, request, render_one)
            if rtype.name == "prospect" and method == "DELETE" and record_id is not None:
                return outreach_sync_writes.delete_prospect(self.world, record_id)
            account_write = (method == "POST" and not one) or (method == "PATCH" and one)
            if rtype.name == "opportunity" and account_write:
                return outreach_sync_writes.write_opportunity(
                    self.world, record_id, request, render_one
                )
            if rtype.name == "account" and account_write:
                return outreach_sync_writes.write_account(
                    self.world, record_id, request, render_one
                )
        except outreach_writes.WriteError as error:
            response = error_response(error.status, error.code, error.detail)
            if error.pointer is not None:
                document = orjson.loads(response.body)
                document["errors"][0]["source"] = {"pointer": error.pointer}
                response.body = orjson.dumps(document)
            return response
        raise ApiError(405, "methodNotAllowed", f"{method} is not supported on {request.path}.")

    def _one(self, rtype: ResourceType, raw_id: str, params: dict[str, str], base: str) -> Response:
        fields, includes = _fields(params), _includes(rtype, params)
        with self.world.lock:
            record = rtype.store(self.world).get(int(raw_id)) if raw_id.isdigit() else None
            if record is None:
                raise ApiError(404, "resourceNotFound", f"No {rtype.name} has the id {raw_id}.")
            document: dict[str, Any] = {"data": render(self.world, rtype, record, base, fields)}
            if includes:
                document["included"] = [
                    render(self.world, t, r, base, fields)
                    for t, r in resolve_includes(self.world, rtype, [record], includes)
                ]
        return Response(200, orjson.dumps(document), {"Content-Type": MEDIA_TYPE})

    def _many(self, rtype: ResourceType, params: dict[str, str], base: str, path: str) -> Response:
        size = _page_size(params)
        query = self._query(rtype, params)
        fields, includes = _fields(params), _includes(rtype, params)
        want_count = params.get("count", "true").lower() != "false"
        with self.world.lock:
            try:
                page = select(
                    rtype.store(self.world), query, params.get("page[after]"), size, want_count
                )
            except CursorError as error:
                raise ApiError(422, "validationError", str(error), "page[after]") from error
            data = [render(self.world, rtype, r, base, fields) for r in page.records]
            included = (
                [
                    render(self.world, t, r, base, fields)
                    for t, r in resolve_includes(self.world, rtype, page.records, includes)
                ]
                if includes
                else None
            )
        kept = [(k, v) for k, v in params.items() if k != "page[after]"]
        url = f"{base}{path[len(PREFIX) :]}"
        links = {"first": f"{url}?{urlencode(kept)}" if kept else url}
        if page.next_cursor is not None:
            links["next"] = f"{url}?{urlencode([*kept, ('page[after]', page.next_cursor)])}"
        document: dict[str, Any] = {"data": data}
        if included is not None:
            document["included"] = included
        document["links"] = links
        document["meta"] = (
            {"count": page.count, "count_truncated": False} if page.count is not None else {}
        )
        return Response(200, orjson.dumps(document), {"Content-Type": MEDIA_TYPE})

    def _query(self, rtype: ResourceType, params: dict[str, str]) -> Query:
        """Turn `sort` and `filter[...]` into a keyset query, or refuse them with a 422."""
        sort = params.get("sort", "id")
        if sort not in SORTS:
            raise ApiError(422, "validationError", f"Cannot sort by {sort!r}.", "sort")
        ids: set[int] | None = None
        updated_from = updated_to = None
        tests: list[Any] = []
        for name, value in params.items():
            if not name.startswith("filter["):
                if not _known_parameter(name):
                    raise ApiError(422, "validationError", f"Unknown parameter {name}.", name)
                continue
            if name == "filter[id]":
                ids = _intersect(ids, set(_int_list(name, value)))
            elif name == "filter[updatedAt]":
                updated_from, updated_to = _range(name, value)
            else:
                found, test = self._relation_filter(rtype, name, value)
                if found is not None:
                    ids = _intersect(ids, found)
                if test is not None:
                    tests.append(test)
        predicate = None
        if tests:

            def predicate(record: Any) -> bool:
                return all(test(record) for test in tests)

        return Query(
            sort,
            updated_from,
            updated_to,
            frozenset(ids) if ids is not None else None,
            predicate,
        )

    def _relation_filter(self, rtype: ResourceType, name: str, value: str) -> tuple[Any, Any]:
        """Type-specific filters: a set of candidate ids, a record test, or both None."""
        world = self.world
        if rtype.name == "sequenceState" and name == "filter[prospect][id]":
            wanted = _int_list(name, value)
            return {s for p in wanted for s in world.states_by_prospect.get(p, ())}, None
        if rtype.name == "sequenceState" and name == "filter[sequence][id]":
            wanted = _int_list(name, value)
            return {s for q in wanted for s in world.states_by_sequence.get(q, ())}, None
        if rtype.name == "sequenceState" and name == "filter[state]":
            states = set(_text_list(value))
            return None, lambda record: record.state in states
        if rtype.name == "sequenceStep" and name == "filter[sequence][id]":
            wanted_sequences = set(_int_list(name, value))
            return None, lambda record: record.sequence_id in wanted_sequences
        if rtype.name == "prospect" and name == "filter[emails]":
            return {
                p for email in _text_list(value) for p in world.prospects_with_email(email)
            }, None
        if rtype.name in ("task", "call") and name == "filter[prospect][id]":
            wanted_prospects = set(_int_list(name, value))
            return None, lambda record: record.prospect_id in wanted_prospects
        if rtype.name == "task" and name == "filter[state]":
            task_states = set(_text_list(value))
            return None, lambda record: record.state in task_states
        if rtype.name == "account" and name == "filter[customId]":
            custom_ids = set(_text_list(value))
            return None, lambda record: str(record.organisation_id) in custom_ids
        # No filter[externalId]: the OpenAPI file gives prospect.externalId no filterable badge.
        raise ApiError(422, "validationError", f"Cannot filter {rtype.collection} by {name}.", name)


def _known_parameter(name: str) -> bool:
    return (
        name in ("sort", "include", "count", "page[size]", "page[after]")
        or name in _IGNORED_PARAMETERS
        or (name.startswith("fields[") and name.endswith("]"))
    )


def _intersect(current: set[int] | None, more: set[int]) -> set[int]:
    return more if current is None else current & more


def _text_list(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def _int_list(name: str, value: str) -> list[int]:
    items = _text_list(value)
    if not items or not all(v.isdigit() for v in items):
        raise ApiError(422, "validationError", f"{name} must be a list of integer ids.", name)
    return [int(v) for v in items]


def _range(name: str, value: str) -> tuple[int | None, int | None]:
    """`A..B`, `A..inf`, `neginf..B` (bounds inclusive) or a single instant."""
    low_text, dots, high_text = value.partition("..")
    if not dots:
        high_text = low_text
    try:
        low = None if low_text.strip() in ("neginf", "") else parse_iso_ms(low_text)
        high = None if high_text.strip() in ("inf", "") else parse_iso_ms(high_text)
    except ValueError as error:
        raise ApiError(
            422, "validationError", f"{name} must look like 2024-01-01T00:00:00Z..inf.", name
        ) from error
    return low, high


def _page_size(params: dict[str, str]) -> int:
    raw = params.get("page[size]", str(DEFAULT_PAGE_SIZE))
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE_SIZE:
        raise ApiError(
            422,
            "validationError",
            f"page[size] must be an integer from 1 to {MAX_PAGE_SIZE}.",
            "page[size]",
        )
    return int(raw)


def _fields(params: dict[str, str]) -> dict[str, frozenset[str]]:
    """Sparse fieldsets by type name; a name the type does not have is simply not shown."""
    return {
        key[len("fields[") : -1]: frozenset(_text_list(value))
        for key, value in params.items()
        if key.startswith("fields[") and key.endswith("]")
    }


def _includes(rtype: ResourceType, params: dict[str, str]) -> list[list[str]]:
    paths = [item.split(".") for item in _text_list(params.get("include", ""))]
    for path in paths:
        bad = validate_include(rtype, path)
        if bad is not None:
            raise ApiError(
                422,
                "validationError",
                f"{rtype.collection} cannot include {'.'.join(path)}: no {bad} relationship here.",
                "include",
            )
    return paths
