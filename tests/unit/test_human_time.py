"""One way a moment reads: day, month, the year when it is not this year, local time, zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from syncmonitor.domain.timestamps import human_time

CET = timezone(timedelta(hours=1), "CET")
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def test_this_year_has_no_year_and_another_year_has_one() -> None:
    assert human_time(datetime(2026, 9, 8, 13, 1, tzinfo=UTC), now=NOW, tz=CET) == "8 Sep 14:01"
    assert human_time(datetime(2025, 9, 8, 13, 1, tzinfo=UTC), now=NOW, tz=CET) == (
        "8 Sep 2025 14:01"
    )


def test_local_time_with_the_zone_named_where_it_matters() -> None:
    moment = datetime(2026, 12, 1, 10, 46, tzinfo=UTC)
    assert human_time(moment, now=NOW, tz=CET, zone=True) == "1 Dec 11:46 CET"
    assert human_time(moment, now=NOW, tz=CET, zone=True, year=True) == "1 Dec 2026 11:46 CET"


def test_new_year_in_local_time_counts_as_the_new_year() -> None:
    late = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)  # 00:30 on 1 Jan 2027 in CET
    assert human_time(late, now=datetime(2027, 1, 1, 8, 0, tzinfo=UTC), tz=CET) == "1 Jan 00:30"
