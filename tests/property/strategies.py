"""Hypothesis strategies for hostile input: documents built from the Outreach OpenAPI schemas,
Workbooks answers, and generic "anything JSON" values to corrupt them with.

The Outreach strategies read `outreach-openapi.json` (in ../shared/reference, copied into
tests/data so the suite runs from a clean clone) and draw each attribute by its declared type, so a
document the connector must accept is one the real API could send. Corruptions then replace one
part of such a document with arbitrary JSON.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

OPENAPI = Path(__file__).resolve().parents[1] / "data" / "outreach-openapi.json"

# Any JSON value (what a broken or hostile server can put anywhere).
json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
any_json: st.SearchStrategy[Any] = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)

timestamps = st.datetimes(timezones=st.just(__import__("datetime").timezone.utc)).map(
    lambda d: d.isoformat().replace("+00:00", "Z")
)
ids = st.integers(min_value=1, max_value=2**53)


@cache
def schema_properties(name: str) -> dict[str, dict[str, Any]]:
    """The attribute schemas of one Outreach resource type, from the OpenAPI file."""
    components = json.loads(OPENAPI.read_text(encoding="utf-8"))["components"]["schemas"]
    props: dict[str, dict[str, Any]] = components[name]["properties"]
    return props


def _value_for(prop: dict[str, Any]) -> st.SearchStrategy[Any]:
    kind = prop.get("type")
    if kind == "string":
        if prop.get("format") == "date-time":
            return timestamps
        return st.text(max_size=int(prop.get("maxLength", 64)))
    if kind == "integer":
        return st.integers(min_value=0, max_value=2**31)
    if kind == "number":
        return st.floats(allow_nan=False, allow_infinity=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "array":
        return st.lists(_value_for(prop.get("items", {"type": "string"})), max_size=3)
    return st.none()


@st.composite
def attributes(draw: st.DrawFn, resource: str) -> dict[str, Any]:
    """Attributes as the schema declares them; each may be absent or null, as the API allows."""
    out: dict[str, Any] = {}
    for key, prop in schema_properties(resource).items():
        choice = draw(st.sampled_from(("value", "value", "value", "null", "absent")))
        if choice == "value":
            out[key] = draw(_value_for(prop))
        elif choice == "null":
            out[key] = None
    return out


def to_one(kind: str) -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of(
        ids.map(lambda i: {"data": {"type": kind, "id": i}}),
        st.just({"data": None}),
        st.just({"links": {"related": "https://api.outreach.io/x"}}),
    )


@st.composite
def sequence_state_resource(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "type": "sequenceState",
        "id": draw(ids),
        "attributes": draw(attributes("sequenceState")),
        "relationships": {
            "prospect": draw(to_one("prospect")),
            "sequence": draw(to_one("sequence")),
            "sequenceStep": draw(to_one("sequenceStep")),
        },
    }


@st.composite
def included_resource(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(("prospect", "sequence", "sequenceStep", "account")))
    resource: dict[str, Any] = {
        "type": kind,
        "id": draw(ids),
        "attributes": draw(attributes(kind)),
    }
    if kind == "sequenceStep":
        resource["relationships"] = {"sequence": draw(to_one("sequence"))}
    return resource


@st.composite
def state_documents(draw: st.DrawFn) -> dict[str, Any]:
    """A sequenceStates page the real API could send."""
    doc: dict[str, Any] = {
        "data": draw(st.lists(sequence_state_resource(), max_size=4)),
        "included": draw(st.lists(included_resource(), max_size=4)),
    }
    if draw(st.booleans()):
        doc["links"] = {"next": "https://api.outreach.io/api/v2/sequenceStates?page[after]=x"}
    return doc


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


@st.composite
def corrupted(draw: st.DrawFn, documents: st.SearchStrategy[Any]) -> Any:
    """A valid document with one part (possibly the whole) replaced by arbitrary JSON."""
    doc = draw(documents)
    path = draw(st.sampled_from(_paths(doc)))
    replacement = draw(any_json)
    if not path:
        return replacement
    target = doc
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = replacement
    return doc
