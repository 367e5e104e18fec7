"""Workbooks CRM API as the sandbox serves it, under `/workbooks`.

Reads: `GET <controller>.api` (or POST with `_method=GET`) with `_start`, `_limit`, `_sort`,
`_dir`, filters (see `workbooks_filters`), `_select_columns[]` and `_skip_total_rows`.
Writes: `PUT <controller>.api` (or POST with `_method=PUT`), form-encoded parallel arrays, at most
100 objects, optimistic locking on `lock_version` (see `workbooks_writes`).
Every request needs a User-Agent header and the `api_key` parameter.
"""

from __future__ import annotations

import hmac
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl

import orjson

from syncmonitor.sandbox.faults import Faults
from syncmonitor.sandbox.http_types import Request, Response
from syncmonitor.sandbox.workbooks_fields import ENDPOINTS, Endpoint, record_json
from syncmonitor.sandbox.workbooks_filters import (
    FilterError,
    compile_filter,
    conditions_from,
    cover_of,
    mentions,
)
from syncmonitor.sandbox.workbooks_metadata import metadata_types
from syncmonitor.sandbox.workbooks_writes import write_batch
from syncmonitor.sandbox.world import World

PREFIX = "/workbooks/"
DEFAULT_LIMIT = 100
_CACHE_SIZE = 8
_INDEX_SHARE = 4  # use the indexes' candidates when they are at most 1/4 of the records
_FORM = "application/x-www-form-urlencoded"


SANDBOX_USER = {"user_id": 1, "login_name": "api.user@example.com", "person_name": "API User"}


def login_answer() -> dict[str, Any]:
    return {
        "database_name": "Sandbox",
        "logical_database_id": 1,
        "default_database_id": 1,
        "user_id": SANDBOX_USER["user_id"],
        "version": "Sync Monitor sandbox",
        "api_version": 1,
        "timezone": "London",
        "databases": [{"name": "Sandbox", "id": 1, "created_at": "Mon Jan 05 14:30:11 UTC 2009"}],
        "authenticity_token": "sandbox0authenticity0token",
        "person_name": SANDBOX_USER["person_name"],
        "login_name": SANDBOX_USER["login_name"],
        "my_queues": {},
        "database_instance_id": 1,
        "session_id": "sandbox0session",
    }


def answer(status: int, document: dict[str, Any]) -> Response:
    return Response(status, orjson.dumps(document), {"Content-Type": "application/json"})


def failure(status: int, message: str, reason: str | None = None) -> Response:
    """A Workbooks failure: `{"success": false, "errors": [...], "flash": ...}`."""
    document: dict[str, Any] = {"success": False, "errors": [message], "flash": message}
    if reason is not None:
        document["failure_reason"] = reason
    return answer(status, document)


class WorkbooksApi:
    """Answers Workbooks requests from a `World`."""

    def __init__(
        self, world: World, api_key: str, faults: Faults, *, use_index: bool = True
    ) -> None:
        self.world = world
        self.faults = faults
        self._api_key = api_key
        self._use_index = use_index  # False: always scan (the tests' reference answer)
        # (endpoint, filter, sort, workbooks_version) -> matching ids in order. A client paging a
        # 100,000-person list with _start/_limit asks the same question 1000 times in a row.
        self._cache: OrderedDict[tuple[Any, ...], list[int]] = OrderedDict()

    def handle(self, request: Request) -> Response:
        if not request.header("user-agent").strip():
            return failure(
                403,
                "A User-Agent header is required: name your application and its version.",
                "user_agent_required",
            )
        pairs = request.query_pairs()
        content_type = request.header("content-type").split(";", 1)[0].strip().lower()
        if request.body and content_type == _FORM:
            pairs += parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True)
        params = dict(pairs)
        supplied = params.get("api_key", "")
        if not hmac.compare_digest(supplied.encode(), self._api_key.encode()):
            return failure(
                401, "Access denied: the api_key is missing or not valid.", "not_logged_in"
            )
        name = request.path[len(PREFIX) :]
        if name == "metadata/types.api":
            return answer(200, metadata_types(pairs))
        if name == "login.api":
            if request.method != "POST":  # the guide documents login as a POST only
                return failure(405, "login.api takes a POST.")
            # The guide's "Login" answer (its example's keys), and the session cookie.
            response = answer(200, login_answer())
            response.headers["Set-Cookie"] = "Workbooks-Session=sandbox0session; path=/"
            return response
        endpoint = ENDPOINTS.get(name.removesuffix(".api")) if name.endswith(".api") else None
        if endpoint is None:
            return failure(404, f"There is no API endpoint at {request.path}.")
        method = params.get("_method", request.method).upper()
        try:
            if method == "GET":
                return answer(200, self._read(endpoint, pairs, params))
            if method == "PUT":
                with self.world.lock:
                    result = write_batch(self.world, endpoint, pairs, params, self.faults)
                return answer(200, result)
        except FilterError as error:
            return answer(200, {"success": False, "errors": [str(error)], "flash": str(error)})
        return failure(405, f"{method} is not supported on {request.path}.")

    def _read(
        self, endpoint: Endpoint, pairs: list[tuple[str, str]], params: dict[str, str]
    ) -> dict[str, Any]:
        fields = endpoint.fields
        columns = [v for k, v in pairs if k == "_select_columns[]"] or list(fields)
        unknown = [c for c in columns if c not in fields]
        if unknown:
            raise FilterError(f"unknown column(s) in _select_columns[]: {', '.join(unknown)}")
        # Workbooks always sends a record's id and lock_version: writes need both.
        columns = ["id", "lock_version", *(c for c in columns if c not in ("id", "lock_version"))]
        sort = params.get("_sort", "id")
        if sort not in fields:
            raise FilterError(f"cannot sort by unknown field {sort!r}")
        descending = params.get("_dir", "ASC").upper() == "DESC"
        # As documented, _limit means nothing unless _start is sent too.
        if "_start" in params:
            start, limit = _whole(params, "_start", 0), _whole(params, "_limit", DEFAULT_LIMIT)
        else:
            start, limit = 0, DEFAULT_LIMIT
        conditions = conditions_from(pairs)
        with self.world.lock:
            ids = self._matching_ids(endpoint, conditions, params.get("_fm"), sort, descending)
            store = endpoint.store(self.world)
            data = [
                record_json(self.world, fields, store[i], columns)
                for i in ids[start : start + limit]
            ]
        document: dict[str, Any] = {"data": data}
        if params.get("_skip_total_rows", "").lower() not in ("true", "1"):
            document["total"] = len(ids)
        document.update(success=True, flash="", updates={})
        return document

    def _matching_ids(
        self,
        endpoint: Endpoint,
        conditions: list[tuple[str, str, str | None]],
        mode: str | None,
        sort: str,
        descending: bool,
    ) -> list[int]:
        key = (
            endpoint.path,
            tuple(conditions),
            mode,
            sort,
            descending,
            self.world.workbooks_version,
        )
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        test = compile_filter(self.world, endpoint.fields, conditions, mode)
        # Deleted records stay out of a list unless the filter asks about is_deleted: that is
        # how a delta sync sees deletions ("is_deleted true OR false").
        with_deleted = mentions(conditions, "is_deleted")
        store = endpoint.store(self.world)
        records = [
            r
            for r in self._candidates(endpoint, store, conditions, mode)
            if (with_deleted or not r.is_deleted) and (test is None or test(r))
        ]
        if sort != "id":
            read, world = endpoint.fields[sort].read, self.world

            def order(record: Any) -> tuple[bool, Any, int]:
                value = read(world, record)
                if isinstance(value, str):
                    value = value.casefold()
                return (value is not None, value, record.id)  # blanks first, like MySQL

            records.sort(key=order, reverse=descending)
        elif descending:
            records.reverse()
        ids = [r.id for r in records]
        self._cache[key] = ids
        if len(self._cache) > _CACHE_SIZE:
            self._cache.popitem(last=False)
        return ids

    def _candidates(
        self,
        endpoint: Endpoint,
        store: dict[int, Any],
        conditions: list[tuple[str, str, str | None]],
        mode: str | None,
    ) -> Iterable[Any]:
        """The records to try the filter on, in store order: all of them, or only those the
        value indexes say can match (see `workbooks_index`; the answer is the same)."""
        cover = cover_of(endpoint.fields, conditions, mode) if self._use_index else None
        if cover is None:
            return store.values()
        ids = self.world.workbooks_index.candidates(self.world, endpoint.path, store, cover)
        if len(ids) > len(store) // _INDEX_SHARE:
            return store.values()  # most records: reading them in order beats sorting ids
        # Stores hold records in id order (created with the next id), so this is store order.
        return [store[i] for i in sorted(ids)]


def _whole(params: dict[str, str], name: str, default: int) -> int:
    raw = params.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit():
        raise FilterError(f"{name} must be a whole number")
    return int(raw)
