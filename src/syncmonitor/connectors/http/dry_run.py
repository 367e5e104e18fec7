"""Dry runs: every write a client would send is recorded and answered here instead, so the
engine can work out exactly what a sync would write without writing anything to a remote.

Turned on for one asyncio task (and the tasks it starts) with `recording(recorder)`; clients
made inside it send their reads to the remote as usual and their writes (POST, PUT, PATCH,
DELETE) to the recorder, which answers each the way the remote documents a success:

- Outreach (JSON:API): the resource as sent, with a new id for a create;
- Workbooks (a form PUT with `__method[]` per object): one affected object per record, with a new
  id for a create and the next `lock_version` for an update.

OAuth token renewals are not writes of data and go through. The synthetic answers are ours: no
remote returned them, and the ids they carry (from 900000001 up) exist nowhere.
"""

from __future__ import annotations

import contextlib
import itertools
import json
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import httpx

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
FAKE_IDS_FROM = 900_000_001


@dataclass(frozen=True)
class RecordedWrite:
    """One object a write would have created, updated or deleted."""

    host: str
    resource: str  # "prospects", "crm/people"
    action: str  # "create", "update", "delete"
    record_id: int | None  # None for a create
    fields: dict[str, Any]


@dataclass
class WriteRecorder:
    """Collects the writes of a dry run and makes up their answers."""

    writes: list[RecordedWrite] = field(default_factory=list)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(FAKE_IDS_FROM))

    def answer(self, request: httpx.Request) -> httpx.Response:
        if request.headers.get("content-type", "").startswith("application/vnd.api+json"):
            return self._jsonapi(request)
        if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            return self._workbooks(request)
        return self._jsonapi(request)

    def _jsonapi(self, request: httpx.Request) -> httpx.Response:
        parts = [p for p in request.url.path.split("/") if p]
        resource = parts[-1] if request.method == "POST" else parts[-2] if len(parts) > 1 else ""
        if request.method == "DELETE":
            rid = _int(parts[-1])
            self.writes.append(RecordedWrite(request.url.host, parts[-2], "delete", rid, {}))
            return httpx.Response(204, request=request)
        try:
            body = json.loads(request.content or b"{}")
        except ValueError:
            body = {}
        data = body.get("data") if isinstance(body, dict) else None
        data = data if isinstance(data, dict) else {}
        found = data.get("attributes")
        attributes: dict[str, Any] = found if isinstance(found, dict) else {}
        if request.method == "POST":
            rid, action = next(self._ids), "create"
        else:
            rid, action = _int(parts[-1]) or next(self._ids), "update"
        self.writes.append(
            RecordedWrite(
                request.url.host,
                resource,
                action,
                None if action == "create" else rid,
                dict(attributes),
            )
        )
        document = {
            "data": {
                "type": data.get("type") or resource.rstrip("s"),
                "id": rid,
                "attributes": attributes,
                "relationships": data.get("relationships") or {},
            }
        }
        return httpx.Response(
            201 if action == "create" else 200,
            json=document,
            headers={"Content-Type": "application/vnd.api+json"},
            request=request,
        )

    def _workbooks(self, request: httpx.Request) -> httpx.Response:
        form = parse_qsl(request.content.decode(), keep_blank_values=True)
        methods = [v for k, v in form if k == "__method[]"]
        ids = [_int(v) or 0 for k, v in form if k == "id[]"]
        versions = [_int(v) or 0 for k, v in form if k == "lock_version[]"]
        columns: dict[str, list[str]] = {}
        for key, value in form:
            skip = key in ("__method[]", "id[]", "lock_version[]") or key.startswith("_")
            if key.endswith("[]") and not skip:
                columns.setdefault(key[:-2], []).append(value)
        resource = request.url.path.strip("/").removesuffix(".api")
        objects, infos = [], []
        for position, method in enumerate(methods):
            values = {k: v[position] for k, v in columns.items() if position < len(v)}
            values = {k: v for k, v in values.items() if v != ":no_value:"}
            old = ids[position] if position < len(ids) else 0
            if method == "POST":
                rid, action, version = next(self._ids), "create", 1
            elif method == "DELETE":
                rid, action, version = old, "delete", 0
            else:
                rid, action = old, "update"
                version = (versions[position] if position < len(versions) else 0) + 1
            self.writes.append(
                RecordedWrite(
                    request.url.host,
                    resource,
                    action,
                    None if action == "create" else rid,
                    values,
                )
            )
            objects.append({"id": rid, "lock_version": version, **values})
            infos.append({"success": True})
        body = {"success": True, "affected_objects": objects, "affected_object_information": infos}
        return httpx.Response(200, json=body, request=request)


_RECORDER: ContextVar[WriteRecorder | None] = ContextVar("syncmonitor_dry_run", default=None)


@contextlib.contextmanager
def recording(recorder: WriteRecorder) -> Iterator[WriteRecorder]:
    """Within this block (this task and the tasks it starts), clients made record their writes."""
    token = _RECORDER.set(recorder)
    try:
        yield recorder
    finally:
        _RECORDER.reset(token)


class DryRunTransport(httpx.AsyncBaseTransport):
    """Reads go to `inner`; writes go to the recorder."""

    def __init__(self, inner: httpx.AsyncBaseTransport, recorder: WriteRecorder) -> None:
        self._inner = inner
        self._recorder = recorder

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method in WRITE_METHODS and not path.endswith("/oauth/token"):
            await request.aread()
            return self._recorder.answer(request)
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


def dry_run_transport(
    transport: httpx.AsyncBaseTransport | None, verify: Any
) -> httpx.AsyncBaseTransport | None:
    """The transport a client should use: `transport` outside a dry run; inside one, a
    recording wrapper around it (or around a new one with `verify`)."""
    recorder = _RECORDER.get()
    if recorder is None:
        return transport
    return DryRunTransport(transport or httpx.AsyncHTTPTransport(verify=verify), recorder)


def _int(value: str) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
