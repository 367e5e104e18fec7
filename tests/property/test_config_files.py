"""Hostile configuration files: any file gives a Config or one ConfigError naming the problem.

Keys are discovered from the settings classes, so sections added later are fuzzed too.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import any_json

from syncmonitor.app.config import (
    _BOUNDS,
    _CHOICES,
    _SECTIONS,
    NOTIFICATION_EVENTS,
    Config,
    ConfigError,
    load_config,
    parse_config,
)

SECTION_KEYS = {name: [f.name for f in dataclasses.fields(cls)] for name, cls in _SECTIONS.items()}
toml_scalars = (
    st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
    | st.sampled_from(("https://api.outreach.io/api/v2", "http://10.0.0.1/", "http://127.0.0.1:9"))
)


def _as_kept(key: str, value: Any) -> Any:
    """How a valid value is kept: URLs without the trailing slash, lists as tuples."""
    if key == "base_url" and isinstance(value, str):
        return value.strip().rstrip("/")
    if isinstance(value, list):
        return tuple(value)
    return value


@st.composite
def config_documents(draw: st.DrawFn) -> dict[str, Any]:
    """Mostly known sections and keys with values of any TOML type; sometimes unknown names."""
    doc: dict[str, Any] = {}
    for name in draw(st.lists(st.sampled_from(sorted(SECTION_KEYS)), max_size=4, unique=True)):
        keys = st.sampled_from(SECTION_KEYS[name]) | st.text(min_size=1, max_size=10)
        doc[name] = draw(st.dictionaries(keys, toml_scalars | any_json, max_size=4))
    if draw(st.integers(0, 9)) == 0:
        doc[draw(st.text(min_size=1, max_size=10))] = draw(any_json)
    return doc


def _valid_value(section: str, key: str) -> st.SearchStrategy[Any]:
    default = getattr(_SECTIONS[section](), key)
    low, high = _BOUNDS.get((section, key), (0, 10_000))
    if key == "base_url":
        return st.sampled_from(("https://api.example.com/v2/", "http://localhost:8080"))
    if (section, key) in _CHOICES:  # one of a few words (the look: system, light, dark)
        return st.sampled_from(_CHOICES[(section, key)])
    if (section, key) == ("cache", "url"):  # a team store's address, never with a password
        return st.sampled_from(
            ("postgresql+psycopg://db.example.org/sync", "postgresql+psycopg://h/db")
        )
    if section == "notifications" and isinstance(default, tuple):  # names it knows (#19)
        return st.lists(st.sampled_from(NOTIFICATION_EVENTS), max_size=3)
    if isinstance(default, tuple):  # a list of names
        return st.lists(st.text(min_size=1, max_size=20), max_size=3)
    if isinstance(default, bool):
        return st.booleans()
    if isinstance(default, int):
        return st.integers(min_value=int(low), max_value=int(high))
    if isinstance(default, float):
        return st.floats(min_value=low, max_value=high)
    if isinstance(default, str) or default is None:  # control characters are refused
        printable = st.characters(blacklist_categories=("Cc", "Cs"))
        return st.text(printable, min_size=1, max_size=30).filter(str.strip)
    return st.just(default)


@st.composite
def valid_documents(draw: st.DrawFn) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    for name in draw(st.lists(st.sampled_from(sorted(SECTION_KEYS)), max_size=4, unique=True)):
        keys = draw(st.lists(st.sampled_from(SECTION_KEYS[name]), max_size=6, unique=True))
        doc[name] = {key: draw(_valid_value(name, key)) for key in keys}
    return doc


@given(valid_documents() | config_documents())
def test_any_document_gives_a_config_or_one_error_naming_the_problem(doc: dict[str, Any]) -> None:
    try:
        config = parse_config(doc)
    except ConfigError as exc:
        text = str(exc)
        assert exc.title and exc.message
        # the message names the section or key that is wrong
        names = set(doc) | {k for v in doc.values() if isinstance(v, dict) for k in v}
        assert any(str(n) in text for n in names), text
        return
    assert isinstance(config, Config)
    for name, values in doc.items():
        section = getattr(config, name)
        for key, value in values.items():
            kept = getattr(section, key)
            assert kept == _as_kept(key, value)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_any_file_gives_a_config_or_one_config_error(tmp_path: Path, body: bytes) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(body)
    try:
        config = load_config(path)
    except ConfigError as exc:
        assert str(path) in exc.message or "[" in exc.message
        return
    assert config.source == path


@given(valid_documents())
def test_every_value_inside_the_rules_is_accepted_as_written(doc: dict[str, Any]) -> None:
    config = parse_config(doc)
    for name, values in doc.items():
        for key, value in values.items():
            kept = getattr(getattr(config, name), key)
            assert kept == _as_kept(key, value)
