"""Workbooks CRM API: paged reads with filters, and batched optimistic-locking updates.

The wire format follows Workbooks' own client bindings (`workbooks/client_lib`): every call
carries `api_key`, `_api_version=1` and `client=api`; writes are form-encoded parallel arrays
(`__method[]`, `id[]`, `lock_version[]`, `<field>[]`) with `:no_value:` for a field an object
does not set and `:null_value:` for a field set to empty, plus a filter selecting the records
touched. Reads put the key in the query string (httpx's request log is redacted for it); writes
put it in the form body, where no log shows it.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx
from typing_extensions import Unpack

from syncmonitor import __version__
from syncmonitor.connectors.errors import WORKBOOKS, MalformedResponseError, RequestRejectedError
from syncmonitor.connectors.http.client import (
    RemoteProblem,
    decode_json,
)
from syncmonitor.connectors.http.remote import RemoteClient, TransportOptions
from syncmonitor.connectors.workbooks.errors import classify_workbooks_error

log = logging.getLogger(__name__)

DEFAULT_USER_AGENT = f"SyncMonitor/{__version__}"
BATCH_LIMIT = 100  # objects per write request, Workbooks' own limit
# Filter values per `people_by_field` request: keeps a URL of e-mail filters under ~4 KB.
LOOKUP_CHUNK = 40
LOOKUP_URL_BUDGET = 3000
NO_VALUE = ":no_value:"
NULL_VALUE = ":null_value:"
CONFLICT_MARKER = "updated elsewhere"
_RESERVED_FIELDS = frozenset({"id", "lock_version", "__method", "method"})

FieldValue = str | int | bool | None
Record = dict[str, Any]


@dataclass(frozen=True, slots=True)
class RecordUpdate:
    """One record to update: which one, the version we read, and the fields to set.

    A value of None empties the field; booleans are sent as 1/0.
    """

    id: int
    lock_version: int
    fields: Mapping[str, FieldValue]


@dataclass(frozen=True, slots=True)
class UpdateResult:
    """What happened to one RecordUpdate.

    `conflict` means the record changed in Workbooks since it was read (stale lock_version):
    read it again and decide. `lock_version` is the new version after a successful save.
    """

    id: int
    ok: bool
    lock_version: int | None
    conflict: bool
    errors: list[str] = field(default_factory=list)


def _flatten_errors(errors: object) -> list[str]:
    """Workbooks error lists come as strings, lists, or {field: [messages]}; make them lines."""
    if errors is None or errors == "" or errors == [] or errors == {}:
        return []
    if isinstance(errors, str):
        return [errors]
    if isinstance(errors, Mapping):
        lines: list[str] = []
        for key, value in errors.items():
            for message in _flatten_errors(value):
                lines.append(message if key in ("base", "id", "[]") else f"{key}: {message}")
        return lines
    if isinstance(errors, list | tuple):
        return [line for item in errors for line in _flatten_errors(item)]
    return [str(errors)]


def _workbooks_problem(response: httpx.Response) -> RemoteProblem:
    body = decode_json(response, WORKBOOKS)
    if not isinstance(body, dict):
        return RemoteProblem()
    lines = _flatten_errors(body.get("errors"))
    flash = body.get("flash") if isinstance(body.get("flash"), str) else None
    code = body.get("failure_reason") or body.get("failure_message")
    if not isinstance(code, str):
        code = lines[0] if lines and lines[0].isidentifier() else None
    detail = "; ".join(lines) or None
    return RemoteProblem(code, flash or None, detail)


def _per_record_errors(body: Mapping[str, Any], count: int) -> list[list[str]] | None:
    """`affected_object_errors` (the guide's "A failure"), one list of lines per record sent,
    or None when the answer has none (or not one per record)."""
    raw = body.get("affected_object_errors")
    if not isinstance(raw, list) or len(raw) != count:
        return None
    return [_flatten_errors(item) for item in raw]


def _not_saved(body: Mapping[str, Any]) -> list[str]:
    return _flatten_errors(body.get("errors")) or ["Workbooks did not save this record"]


def _as_int(value: object) -> int | None:
    """An integer from JSON that may carry it as a number or as digits in a string."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def filter_pairs(filters: Sequence[tuple[str, str, str]]) -> list[tuple[str, str]]:
    """`_ff[]`/`_ft[]`/`_fc[]` for (field, operator, value) triples. A comma in a value is sent
    as `\\,`: Workbooks reads a bare comma as "one of these values" (an IN list), and its guide
    says to escape one that is part of the value ("Filtering")."""
    pairs: list[tuple[str, str]] = []
    for name, operator, value in filters:
        pairs += [("_ff[]", name), ("_ft[]", operator), ("_fc[]", value.replace(",", "\\,"))]
    return pairs


def _encode(value: FieldValue) -> str:
    if value is None:
        return NULL_VALUE
    if isinstance(value, bool):  # before int: bool is an int
        return "1" if value else "0"
    return str(value)


def _endpoint(endpoint: str) -> str:
    endpoint = endpoint.strip("/")
    return endpoint if endpoint.endswith(".api") else f"{endpoint}.api"


def _chunk_values(values: Sequence[str], field_name: str) -> list[list[str]]:
    """Split filter values so that no request URL grows past LOOKUP_URL_BUDGET characters."""
    per_value_overhead = len("&_ff%5B%5D=&_ft%5B%5D=eq&_fc%5B%5D=") + len(quote(field_name))
    chunks: list[list[str]] = []
    current: list[str] = []
    size = 0
    for value in values:
        cost = per_value_overhead + len(quote(value, safe=""))
        if current and (len(current) >= LOOKUP_CHUNK or size + cost > LOOKUP_URL_BUDGET):
            chunks.append(current)
            current, size = [], 0
        current.append(value)
        size += cost
    if current:
        chunks.append(current)
    return chunks


class WorkbooksClient(RemoteClient):
    """An async client for the Workbooks API. Use as `async with`.

    `transport` lets tests inject `httpx.MockTransport`; `sleep`, `random` and `clock` make
    retry timing deterministic in tests. `timeout` defaults to 30 s (10 s to connect).
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        user_agent: str = DEFAULT_USER_AGENT,
        **options: Unpack[TransportOptions],
    ) -> None:
        self._auth = (("api_key", api_key), ("_api_version", "1"), ("client", "api"))
        super().__init__(
            service=WORKBOOKS,
            base_url=base_url,
            headers={"User-Agent": user_agent, "Accept": "application/json"},
            describe_error=_workbooks_problem,
            classify_error=classify_workbooks_error,
            secrets=(api_key,),
            **options,
        )

    # -- answers ----------------------------------------------------------------------------

    def _answer(self, response: httpx.Response) -> dict[str, Any]:
        """The decoded answer, checked for `success`; success: false becomes an error."""
        body = decode_json(response, WORKBOOKS)
        if not isinstance(body, dict):
            raise self._malformed(response, "the answer is not a JSON object")
        per_object = (
            body.get("affected_object_information")
            or body.get("affected_object_errors")
            # The guide's "Failure Reporting": a write's diagnostics "typically under the
            # failures hash", alongside the objects it answers for.
            or (body.get("failures") and "affected_objects" in body)
        )
        if body.get("success") is False and not per_object:
            problem = _workbooks_problem(response)
            said = "; ".join(p for p in (problem.title, problem.detail) if p)
            raise RequestRejectedError(
                WORKBOOKS,
                "Workbooks refused a request",
                f"Workbooks did not carry out {response.request.method} "
                f"{response.request.url.path}"
                f"{f': {said}' if said else ' and gave no reason'}. Check the Workbooks "
                "settings and field mappings; if they look right, report it with the log file.",
                status_code=response.status_code,
                url=str(response.request.url),
            )
        return body

    def _records(self, response: httpx.Response) -> list[Record]:
        raw = decode_json(response, WORKBOOKS)
        if isinstance(raw, list) and all(isinstance(r, dict) for r in raw):
            # A bare array of records where the guide shows {"data": [...]}: its meaning is
            # clear, so it is read as the page (and logged, since the shape is not documented).
            log.warning(
                "Workbooks answered %s %s with a bare array; read as its data",
                response.request.method,
                response.request.url.path,
            )
            return raw
        body = self._answer(response)
        data = body.get("data")
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise self._malformed(response, "'data' is missing or is not a list of records")
        return data

    @staticmethod
    def _malformed(response: httpx.Response, what: str) -> MalformedResponseError:
        return MalformedResponseError(
            WORKBOOKS,
            "Workbooks sent an unexpected answer",
            f"The answer to {response.request.method} {response.request.url.path} is not "
            f"shaped the way the Workbooks API documents: {what}. Sync Monitor tries again by "
            "itself; if this keeps happening, report it with the log file.",
            status_code=response.status_code,
            url=str(response.request.url),
        )

    # -- reads --------------------------------------------------------------------------------

    async def iter_records(
        self,
        endpoint: str,
        *,
        filters: Sequence[tuple[str, str, str]] = (),
        filter_mode: str = "and",
        sort: str = "id",
        direction: str = "ASC",
        columns: Sequence[str] | None = None,
        page_size: int = 100,
    ) -> AsyncIterator[list[Record]]:
        """Every matching record of `endpoint` (e.g. "crm/people"), one page at a time.

        `filters` are (field, operator, value) triples combined by `filter_mode` ("and", "or",
        or an expression such as "1 AND (2 OR 3)"). Offset paging: sort on a key that does not
        change while paging (the default, `id`), or expect to meet moved records twice.
        """
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        if direction.upper() not in ("ASC", "DESC"):
            raise ValueError("direction must be ASC or DESC")
        base: list[tuple[str, str]] = [
            *self._auth,
            ("_sort", sort),
            ("_dir", direction.upper()),
            ("_skip_total_rows", "true"),
        ]
        base += filter_pairs(filters)
        if filters:
            base.append(("_fm", filter_mode))
        base += [("_select_columns[]", column) for column in columns or ()]
        path = _endpoint(endpoint)
        start = 0
        budget = self._http.page_budget(f"Workbooks {endpoint}", page_size)
        while True:
            params = [*base, ("_start", str(start)), ("_limit", str(page_size))]
            records = await self._http.request("GET", path, params=params, parse=self._records)
            if records:
                yield records
            if len(records) < page_size:
                return
            budget.page(len(records), more=True)
            start += len(records)

    async def people_by_field(
        self, field: str, values: Iterable[str], columns: Sequence[str] | None = None
    ) -> list[Record]:
        """People whose `field` equals any of `values` (e.g. `main_location[email]`).

        Values are looked up in OR-filter chunks that keep each URL short. Duplicates and blank
        values are skipped; a person matching several values comes once.
        """
        return await self.records_by_fields("crm/people", (field,), values, columns)

    async def records_by_fields(
        self,
        endpoint: str,
        fields: Sequence[str],
        values: Iterable[str],
        columns: Sequence[str] | None = None,
    ) -> list[Record]:
        """Records of `endpoint` where any of `fields` equals any of `values` (Contact Details
        by `email` or `alternate_email`, say), in OR-filter chunks that keep each URL short."""
        wanted = list(dict.fromkeys(v for v in values if v))
        found: dict[object, Record] = {}
        per_chunk = max(1, LOOKUP_CHUNK // max(1, len(fields)))
        for rough in _chunk_values(wanted, max(fields, key=len)):
            for start in range(0, len(rough), per_chunk):
                chunk = rough[start : start + per_chunk]
                filters = [(f, "eq", value) for value in chunk for f in fields]
                async for page in self.iter_records(
                    endpoint, filters=filters, filter_mode="or", columns=columns
                ):
                    for record in page:
                        found.setdefault(record.get("id", id(record)), record)
        return list(found.values())

    # -- writes -------------------------------------------------------------------------------

    async def update_records(
        self, endpoint: str, updates: Sequence[RecordUpdate]
    ) -> list[UpdateResult]:
        """Update records in batches of at most 100; one result per update, in order.

        Each object is saved or refused on its own (`_per_object_transactions`). A stale
        lock_version is a result with `conflict=True`, not an exception. A retried batch whose
        first attempt did reach Workbooks reports its records as conflicts (their version has
        moved on): read them again before deciding.
        """
        ids = [u.id for u in updates]
        if len(set(ids)) != len(ids):
            raise ValueError("each record may appear only once in update_records")
        for update in updates:
            reserved = _RESERVED_FIELDS.intersection(update.fields)
            if reserved:
                raise ValueError(f"record {update.id}: {sorted(reserved)} cannot be set")
            if update.id <= 0:
                raise ValueError(f"record id must be positive, not {update.id}")
        path = _endpoint(endpoint)
        results: list[UpdateResult] = []
        for start in range(0, len(updates), BATCH_LIMIT):
            batch = updates[start : start + BATCH_LIMIT]
            form = self._update_form(batch)

            def parse(
                response: httpx.Response, batch: Sequence[RecordUpdate] = batch
            ) -> list[UpdateResult]:
                return self._update_results(response, batch)

            results += await self._http.request("PUT", path, form=form, parse=parse)
        return results

    async def create_records(
        self, endpoint: str, records: Sequence[Mapping[str, FieldValue]]
    ) -> list[UpdateResult]:
        """Create records (`__method[]=POST`, id 0) in batches of at most 100; one result per
        record, in order, with the new record's id when it was saved.

        Creates are not retried once a batch may have reached Workbooks: a lost answer would
        create the records twice. Callers put the other system's id in a field they can search
        by (`created_through_reference`) so a later run finds what did land.
        """
        for record in records:
            reserved = _RESERVED_FIELDS.intersection(record)
            if reserved:
                raise ValueError(f"{sorted(reserved)} cannot be set on a new record")
        path = _endpoint(endpoint)
        results: list[UpdateResult] = []
        for start in range(0, len(records), BATCH_LIMIT):
            batch = [RecordUpdate(0, 0, r) for r in records[start : start + BATCH_LIMIT]]
            form = self._update_form(batch, method="POST")

            def parse(
                response: httpx.Response, batch: Sequence[RecordUpdate] = batch
            ) -> list[UpdateResult]:
                return self._create_results(response, batch)

            results += await self._http.request(
                "PUT", path, form=form, parse=parse, idempotent=False
            )
        return results

    def _create_results(
        self, response: httpx.Response, batch: Sequence[RecordUpdate]
    ) -> list[UpdateResult]:
        """One result per record sent. A success is the guide's "Creating an Organisation"
        answer: the new id in `affected_objects`, `affected_object_information` holding `{}`
        (or `success: true`). A refusal is its "A failure" answer: `success: false` with one
        `affected_object_errors` entry per record and no new id."""
        body = self._answer(response)
        objects = body.get("affected_objects") or []
        infos = body.get("affected_object_information") or []
        refusals = _per_record_errors(body, len(batch))
        if not isinstance(objects, list) or not isinstance(infos, list):
            raise self._malformed(response, "affected objects are not lists")
        if refusals is not None and not objects:
            return [UpdateResult(0, False, None, False, e or _not_saved(body)) for e in refusals]
        if len(objects) != len(batch) or (infos and len(infos) != len(batch)):
            raise self._malformed(response, "there is not one affected object per record sent")
        results: list[UpdateResult] = []
        for position in range(len(batch)):
            obj = objects[position] if isinstance(objects[position], dict) else {}
            info = infos[position] if infos and isinstance(infos[position], dict) else {}
            new_id = _as_int(obj.get("id"))
            refused = refusals[position] if refusals is not None else []
            ok = (info.get("success") is True) if "success" in info else bool(new_id)
            ok = ok and not refused
            errors = refused or (_flatten_errors(info.get("errors")) if info else [])
            if ok and not new_id:
                ok, errors = False, ["Workbooks did not say which id the new record got"]
            results.append(
                UpdateResult(
                    new_id or 0,
                    ok,
                    _as_int(obj.get("lock_version")) if ok else None,
                    False,
                    errors if not ok else [],
                )
            )
        return results

    def _update_form(
        self, batch: Sequence[RecordUpdate], method: str = "PUT"
    ) -> list[tuple[str, str]]:
        form: list[tuple[str, str]] = [*self._auth, ("_per_object_transactions", "true")]
        # The filter that "selects" the records touched, as Workbooks requires for writes.
        if len(batch) > 1:
            form.append(("_fm", "or"))
        for update in batch:
            form += [("_ff[]", "id"), ("_ft[]", "eq"), ("_fc[]", str(update.id))]
        names = list(dict.fromkeys(name for update in batch for name in update.fields))
        for update in batch:
            form += [
                ("__method[]", method),
                ("id[]", str(update.id)),
                ("lock_version[]", str(update.lock_version)),
            ]
            for name in names:
                value = _encode(update.fields[name]) if name in update.fields else NO_VALUE
                form.append((f"{name}[]", value))
        return form

    def _update_results(
        self, response: httpx.Response, batch: Sequence[RecordUpdate]
    ) -> list[UpdateResult]:
        body = self._answer(response)
        objects = body.get("affected_objects") or []
        infos = body.get("affected_object_information") or []
        if not isinstance(objects, list) or not isinstance(infos, list):
            raise self._malformed(response, "affected objects are not lists")
        versions: dict[int, int] = {}
        for obj in objects:
            if isinstance(obj, dict):
                oid, version = _as_int(obj.get("id")), _as_int(obj.get("lock_version"))
                if oid is not None and version is not None:
                    versions[oid] = version
        # The guide's "Failure Reporting" puts a bad lock_version's diagnostics under
        # `failures`; its examples put them in the information entries. Either is read.
        batch_errors = _flatten_errors(body.get("errors")) + _flatten_errors(body.get("failures"))
        refusals = _per_record_errors(body, len(batch))
        by_position = len(infos) == len(batch)
        results: list[UpdateResult] = []
        for position, update in enumerate(batch):
            info = infos[position] if by_position else None
            if refusals is not None and refusals[position]:
                ok, errors = False, refusals[position]
            elif isinstance(info, dict):
                ok = info.get("success") is True
                errors = _flatten_errors(info.get("errors"))
            else:
                # No per-object answer to go by: a record saved if it came back with a version.
                ok = update.id in versions and body.get("success") is not False
                errors = [] if ok else (batch_errors or ["Workbooks did not report this record"])
            conflict = not ok and any(CONFLICT_MARKER in e.lower() for e in errors)
            version = versions.get(update.id) if ok else None
            results.append(UpdateResult(update.id, ok, version, conflict, errors))
        return results
