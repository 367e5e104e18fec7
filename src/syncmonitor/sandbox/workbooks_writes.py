"""Workbooks batch writes: parallel arrays in, `affected_objects` and their information out.

The wire format (from Workbooks' own client bindings): `__method[]` (POST create, PUT update,
DELETE delete), `id[]`, `lock_version[]` and one `<field>[]` per field, every array as long as
`__method[]`; `:no_value:` leaves a field alone, `:null_value:` empties it. The request also
carries a filter selecting the records it touches (`_ff[]=id&_ft[]=eq&_fc[]=...`, with `_fm=or`).

A stale `lock_version` is not an HTTP error: the answer is 200 and that object's
`affected_object_information` says `success: false`. Without `_per_object_transactions=true` one
failed object rolls the whole batch back.
"""

from __future__ import annotations

from typing import Any

from syncmonitor.sandbox.faults import Faults
from syncmonitor.sandbox.workbooks_fields import Endpoint, parse_value, record_json
from syncmonitor.sandbox.workbooks_filters import compile_filter, conditions_from
from syncmonitor.sandbox.world import World

MAX_OBJECTS = 100
NO_VALUE, NULL_VALUE = ":no_value:", ":null_value:"
STALE = "This record cannot be saved since it has already been updated elsewhere."
ROLLED_BACK = "Not saved: another object in this request failed, so the request was rolled back."


def write_batch(
    world: World,
    endpoint: Endpoint,
    pairs: list[tuple[str, str]],
    params: dict[str, str],
    faults: Faults,
) -> dict[str, Any]:
    """Apply one PUT batch; the caller holds the world lock."""
    arrays: dict[str, list[str]] = {}
    for key, value in pairs:
        # Underscored arrays are request options (_ff[], _select_columns[]), not object fields.
        if key.endswith("[]") and (key == "__method[]" or not key.startswith("_")):
            arrays.setdefault(key, []).append(value)
    methods = [m.upper() for m in arrays.pop("__method[]", [])]
    count = len(methods)
    if count == 0:
        return _refused("No objects: send __method[], id[] and lock_version[] arrays.")
    if count > MAX_OBJECTS:
        return _refused(f"Too many objects: at most {MAX_OBJECTS} can be sent in one request.")
    uneven = [k for k, v in arrays.items() if len(v) != count]
    if uneven:
        return _refused(f"Every array must have {count} values; these do not: {', '.join(uneven)}")
    conditions = conditions_from(pairs)
    if not conditions:
        return _refused("The request must carry a filter selecting the objects it changes.")
    selects = compile_filter(world, endpoint.fields, conditions, params.get("_fm"))
    assert selects is not None
    ids = arrays.pop("id[]", ["0"] * count)
    versions = arrays.pop("lock_version[]", ["0"] * count)
    now = world.clock() // 1000  # Workbooks keeps whole seconds
    store = endpoint.store(world)
    staged: list[tuple[str, Any, dict[str, Any]]] = []
    infos: list[dict[str, Any]] = []
    for index, method in enumerate(methods):
        values = {k[:-2]: v[index] for k, v in arrays.items()}
        outcome = _stage(
            world,
            endpoint,
            store,
            method,
            ids[index],
            versions[index],
            values,
            selects,
            faults,
            now,
        )
        if isinstance(outcome, dict):
            staged.append((method, None, {}))
            infos.append({"success": False, "errors": outcome, "warnings": {}})
        else:
            staged.append((method, outcome[0], outcome[1]))
            infos.append({"success": True, "errors": {}, "warnings": {}})
    per_object = params.get("_per_object_transactions", "").lower() in ("true", "1")
    all_ok = all(info["success"] for info in infos)
    if not all_ok and not per_object:
        for info in infos:
            if info["success"]:
                info.update(success=False, errors={"base": [ROLLED_BACK]})
    affected: list[dict[str, Any]] = []
    saved: list[Any] = []
    columns = list(endpoint.fields)
    for (method, record, changes), info, raw_id, raw_version in zip(
        staged, infos, ids, versions, strict=True
    ):
        if not info["success"]:
            affected.append({"id": _int_or(raw_id), "lock_version": _int_or(raw_version)})
            continue
        record = _apply(world, endpoint, store, method, record, changes, now)
        saved.append(record)
        affected.append(record_json(world, endpoint.fields, record, columns))
    if saved:
        world.workbooks_changed(endpoint.path, saved)
    for (method, _record, _changes), info in zip(staged, infos, strict=True):
        if method == "POST" and info["success"]:
            # The guide's "Creating an Organisation" answers a saved create with `{}`: the
            # information is "often empty"; the new id is in affected_objects.
            info.clear()
    return {
        "success": all_ok,
        "errors": [],
        "flash": "" if all_ok else "Some objects could not be saved.",
        "affected_objects": affected,
        "affected_object_information": infos,
    }


def _stage(
    world: World,
    endpoint: Endpoint,
    store: dict[int, Any],
    method: str,
    raw_id: str,
    raw_version: str,
    values: dict[str, str],
    selects: Any,
    faults: Faults,
    now: int,
) -> tuple[Any, dict[str, Any]] | dict[str, list[str]]:
    """Check one object: (record, parsed changes) to apply, or its errors by field."""
    changes: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    if method == "DELETE":
        values = {}
    elif method not in ("PUT", "POST"):
        return {"__method": [f"{method!r} is not POST, PUT or DELETE"]}
    for name, raw in values.items():
        if raw == NO_VALUE:
            continue
        field = endpoint.fields.get(name)
        if field is None:
            errors.setdefault(name, []).append("is not a known attribute")
        elif field.attribute is None:
            errors.setdefault(name, []).append("is read-only")
        elif raw == NULL_VALUE:
            changes[field.attribute] = None
        else:
            try:
                changes[field.attribute] = parse_value(field.kind, raw)
            except (ValueError, KeyError):
                errors.setdefault(name, []).append(f"{raw!r} is not a valid {field.kind}")
    if errors:
        return errors
    if method == "POST":
        return None, changes
    record_id, version = _int_or(raw_id), _int_or(raw_version)
    record = store.get(record_id) if record_id is not None else None
    if record is None or record.is_deleted:
        return {"id": [f"No record has the id {raw_id}."]}
    if not selects(record):
        return {"id": [f"The record {record_id} is not selected by the request's filter."]}
    if faults.take_lock_conflict():
        # Someone else saved this record a moment ago.
        record.lock_version += 1
        record.updated_at = now
        world.workbooks_changed(endpoint.path, [record])
    if version != record.lock_version:
        return {"id": [STALE]}
    return record, changes


def _apply(
    world: World,
    endpoint: Endpoint,
    store: dict[int, Any],
    method: str,
    record: Any,
    changes: dict[str, Any],
    now: int,
) -> Any:
    if method == "POST":
        record = endpoint.create(world, next(reversed(store), 0) + 1, now)
        store[record.id] = record
    for attribute, value in changes.items():
        setattr(record, attribute, value)
    if method == "DELETE":
        record.is_deleted = True
    if method != "POST":
        record.lock_version += 1
    record.updated_at = now
    return record


def _int_or(raw: str) -> int | None:
    raw = raw.strip()
    return int(raw) if raw.lstrip("-").isdigit() else None


def _refused(message: str) -> dict[str, Any]:
    return {"success": False, "errors": [message], "flash": message}
