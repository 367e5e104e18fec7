"""Workbooks date and datetime text formats."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from syncmonitor.connectors.workbooks.format import (
    format_date,
    format_datetime,
    parse_date,
    parse_datetime,
    parse_optional_datetime,
)


def test_parses_the_documented_example() -> None:
    parsed = parse_datetime("Fri May 15 14:36:54 UTC 2009")
    assert parsed == datetime(2009, 5, 15, 14, 36, 54, tzinfo=UTC)
    assert parsed.utcoffset() == timedelta(0)


def test_formats_the_documented_example() -> None:
    assert format_datetime(datetime(2009, 5, 15, 14, 36, 54, tzinfo=UTC)) == (
        "Fri May 15 14:36:54 UTC 2009"
    )


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2009, 5, 15, 14, 36, 54, tzinfo=UTC),
        datetime(2026, 1, 1, 0, 0, 0, tzinfo=UTC),
        datetime(2024, 2, 29, 23, 59, 59, tzinfo=UTC),
        datetime(2026, 11, 3, 7, 5, 9, tzinfo=UTC),
    ],
)
def test_round_trip(moment: datetime) -> None:
    assert parse_datetime(format_datetime(moment)) == moment


def test_other_zones_are_converted_to_utc() -> None:
    cet = timezone(timedelta(hours=1))
    assert format_datetime(datetime(2026, 1, 1, 0, 30, tzinfo=cet)) == (
        "Wed Dec 31 23:30:00 UTC 2025"
    )
    assert parse_datetime("Fri May 15 14:36:54 +0100 2009") == datetime(
        2009, 5, 15, 13, 36, 54, tzinfo=UTC
    )


def test_sub_seconds_are_dropped_and_naive_times_refused() -> None:
    assert format_datetime(datetime(2009, 5, 15, 14, 36, 54, 999_999, tzinfo=UTC)).endswith(
        "14:36:54 UTC 2009"
    )
    with pytest.raises(ValueError):
        format_datetime(datetime(2009, 5, 15, 14, 36, 54))


def test_tolerant_parsing() -> None:
    expected = datetime(2009, 5, 5, 4, 6, 0, tzinfo=UTC)
    assert parse_datetime("Tue May  5 04:06:00 UTC 2009") == expected
    assert parse_datetime("May 5 04:06 GMT 2009") == expected
    assert parse_datetime("2009-05-05T04:06:00Z") == expected


@pytest.mark.parametrize(
    "bad", ["", "yesterday", "Fri Foo 15 14:36:54 UTC 2009", "2009-05-05T04:06"]
)
def test_garbage_is_a_value_error(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_datetime(bad)


def test_blank_optional_datetime_is_none() -> None:
    assert parse_optional_datetime(None) is None
    assert parse_optional_datetime("") is None
    assert parse_optional_datetime("Fri May 15 14:36:54 UTC 2009") is not None
    with pytest.raises(ValueError):
        parse_optional_datetime(12)


def test_dates() -> None:
    assert parse_date("22 May 2009") == date(2009, 5, 22)
    assert parse_date("2 may 2009") == date(2009, 5, 2)
    assert parse_date("2009-05-22") == date(2009, 5, 22)
    assert format_date(date(2009, 5, 22)) == "22 May 2009"
    assert parse_date(format_date(date(2026, 1, 3))) == date(2026, 1, 3)
    with pytest.raises(ValueError):
        parse_date("22/05/2009")
