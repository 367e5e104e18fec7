"""The sandbox's timestamp formats and its Workbooks filter language."""

from __future__ import annotations

import pytest

from syncmonitor.sandbox.timefmt import (
    iso_ms,
    parse_iso_ms,
    parse_workbooks_datetime,
    workbooks_datetime,
)
from syncmonitor.sandbox.workbooks_fields import PERSON_FIELDS
from syncmonitor.sandbox.workbooks_filters import FilterError, compile_filter
from syncmonitor.sandbox.world import World


@pytest.mark.parametrize(
    "text",
    ["2026-11-22T15:58:00.000Z", "1999-12-31T23:59:59.999Z", "2024-02-29T00:00:00.001Z"],
)
def test_iso_round_trip(text: str) -> None:
    assert iso_ms(parse_iso_ms(text)) == text


def test_iso_parsing_accepts_offsets_and_no_fraction() -> None:
    assert parse_iso_ms("2026-11-22T16:58:00+01:00") == parse_iso_ms("2026-11-22T15:58:00.000Z")
    assert parse_iso_ms("2026-11-22T15:58:00") == parse_iso_ms("2026-11-22T15:58:00Z")
    with pytest.raises(ValueError):
        parse_iso_ms("last tuesday")


def test_workbooks_datetimes() -> None:
    seconds = parse_iso_ms("2009-05-15T14:36:54Z") // 1000
    assert workbooks_datetime(seconds) == "Fri May 15 14:36:54 UTC 2009"
    assert workbooks_datetime(parse_iso_ms("2026-01-05T01:02:03Z") // 1000) == (
        "Mon Jan 05 01:02:03 UTC 2026"
    )
    for text in (
        "Fri May 15 14:36:54 UTC 2009",
        "2009-05-15T14:36:54Z",
        "2009-05-15 14:36:54",
        str(seconds),
    ):
        assert parse_workbooks_datetime(text) == seconds
    assert parse_workbooks_datetime("22 May 2009") == parse_iso_ms("2009-05-22T00:00:00Z") // 1000
    assert workbooks_datetime(None) is None


@pytest.fixture(scope="module")
def world() -> World:
    return World.generate(seed=2, people=200)


def _select(world: World, conditions: list[tuple[str, str, str | None]], mode: str) -> set[int]:
    test = compile_filter(world, PERSON_FIELDS, conditions, mode)
    assert test is not None
    return {p.id for p in world.people.values() if test(p)}


def test_fm_expressions_combine_conditions_like_boolean_algebra(world: World) -> None:
    people = list(world.people.values())
    a = {p.id for p in people if p.id < 10100}
    b = {p.id for p in people if p.no_email_soliciting}
    c = {p.id for p in people if p.sync_to_outreach}
    conditions = [
        ("id", "lt", "10100"),
        ("no_email_soliciting", "true", None),
        ("cf_person_sync_to_outreach", "true", None),
    ]
    everyone = {p.id for p in people}
    assert _select(world, conditions, "and") == a & b & c
    assert _select(world, conditions, "OR") == a | b | c
    assert _select(world, conditions, "1 AND (2 OR NOT 3)") == a & (b | (everyone - c))
    assert _select(world, conditions, "(1 || 2) && !3") == (a | b) - c


@pytest.mark.parametrize("mode", ["1 AND", "1 AND 4", "(1 OR 2", "1 XOR 2", "0"])
def test_bad_fm_expressions_are_refused(world: World, mode: str) -> None:
    conditions = [("id", "gt", "1"), ("id", "lt", "5"), ("id", "ne", "3")]
    with pytest.raises(FilterError):
        compile_filter(world, PERSON_FIELDS, conditions, mode)


def test_blank_values_never_match_comparisons(world: World) -> None:
    blank = {p.id for p in world.people.values() if p.outreach_id is None}
    assert blank
    assert not blank & _select(world, [("cf_person_outreach_id", "gt", "0")], "and")
    assert blank <= _select(world, [("cf_person_outreach_id", "nct", "1")], "and")
    assert blank <= _select(world, [("cf_person_outreach_id", "ne", "1")], "and")
