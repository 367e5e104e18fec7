"""Every row of an export checked before anything is written: what a person is told, per line."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from syncmonitor.domain.export_dates import DateOrder
from syncmonitor.domain.salesmate_export import (
    PROBLEMS_KEPT,
    CheckedExport,
    Column,
    Severity,
    check_export,
    guess_mapping,
    is_email,
)
from syncmonitor.domain.states import CanonicalState, StateReason

HEADER = ["Email", "Sequence", "Status", "Date"]
KNOWN = {"ann@example.com", "bob@example.com"}


def check(rows: list[list[str]], header: list[str] = HEADER, **options) -> CheckedExport:
    table = [header, *rows]
    options.setdefault("zone", UTC)
    options.setdefault("known_people", lambda emails: emails & KNOWN)
    return check_export(table, guess_mapping(header), **options)


def kinds(checked: CheckedExport) -> list[tuple[int | None, str, str]]:
    return [(p.line, p.severity.value, p.kind) for p in checked.problems]


def test_a_clean_file_checks_clean() -> None:
    checked = check(
        [
            ["Ann@Example.com", "Q4", "Paused O3", "2026-11-03 10:00"],
            ["bob@example.com", "Q4", "Unsubscribed", "2026-11-04"],
        ]
    )
    assert checked.problems == []
    assert checked.importable(skip_invalid_rows=False)
    first = checked.rows[0]
    assert first.email == "ann@example.com" and first.line == 2
    assert (first.state.state, first.state.reason) == (
        CanonicalState.ACTIVE_PAUSED,
        StateReason.OUT_OF_OFFICE,
    )
    assert first.changed_at == datetime(2026, 11, 3, 10, 0, tzinfo=UTC)


def test_each_bad_row_gets_its_own_message_with_the_line_number() -> None:
    checked = check(
        [
            ["ann@example.com", "Q4", "Active", "2026-11-03"],  # line 2: fine
            ["not-an-email", "Q4", "Active", "2026-11-03"],  # 3
            ["", "Q4", "Active", "2026-11-03"],  # 4
            ["bob@example.com", "", "", "2026-11-03"],  # 5
            ["bob@example.com", "Q4", "Active", "someday"],  # 6
            ["carol@example.com", "Q4", "Active", "2026-11-03"],  # 7: unknown person
            ["ann@example.com", "Q4", "Hibernating", "2026-11-05"],  # 8: warning only
            ["ann@example.com", "Q4", "Active", "2026-11-03"],  # 9: same as line 2
        ]
    )
    assert kinds(checked) == [
        (3, "error", "bad-email"),
        (4, "error", "missing-value"),
        (5, "error", "missing-value"),
        (5, "error", "missing-value"),
        (6, "error", "bad-date"),
        (7, "error", "unknown-person"),
        (8, "warning", "unknown-state"),
        (9, "warning", "duplicate"),
    ]
    assert checked.lines_in_error == {3, 4, 5, 6, 7}
    messages = {p.line: p.message for p in checked.problems}
    assert "carol@example.com" in messages[7] and "not in Outreach, Workbooks" in messages[7]
    assert "“Hibernating”" in messages[8] and "Unknown" in messages[8]
    assert "line 2" in messages[9]
    # All or nothing: no import unless the person chooses to skip the rows in error.
    assert not checked.importable(skip_invalid_rows=False)
    assert checked.importable(skip_invalid_rows=True)
    assert [r.line for r in checked.rows] == [2, 8]  # the duplicate is imported once
    assert checked.rows[1].state.label == "Unknown (Hibernating)"


def test_unknown_people_are_reported_not_dropped_and_without_a_lookup_not_checked() -> None:
    rows = [["zed@example.com", "Q4", "Active", "2026-11-03"]]
    assert kinds(check(rows)) == [(2, "error", "unknown-person")]
    assert check(rows, known_people=None).problems == []


def test_missing_columns_stop_the_whole_file() -> None:
    checked = check([["ann@example.com", "Q4"]], header=["Email", "Sequence"])
    assert [(p.line, p.kind) for p in checked.file_errors] == [
        (None, "missing-column"),
        (None, "missing-column"),
    ]
    assert "“State”" in checked.file_errors[0].message
    assert "--date-column" in checked.file_errors[1].message  # for the command line
    assert not checked.importable(skip_invalid_rows=True)  # never skippable


def test_extra_columns_are_ignored_but_a_row_longer_than_the_header_is_an_error() -> None:
    header = ["Owner", "Email", "Sequence", "Status", "Date", "Notes"]
    checked = check(
        [
            ["Sam", "ann@example.com", "Q4", "Active", "2026-11-03", "called"],
            ["Sam", "bob@example.com", "Q4, EMEA", "Active", "2026-11-03", "x", "stray"],
            ["Sam", "bob@example.com", "Q4", "Active", "2026-11-04"],  # short row: fine
        ],
        header=header,
    )
    assert kinds(checked) == [(3, "error", "extra-fields")]
    assert "unquoted delimiter" in checked.problems[0].message
    assert [r.line for r in checked.rows] == [2, 4]


def test_a_header_without_rows_is_an_error() -> None:
    assert [p.kind for p in check([]).file_errors] == ["no-rows"]


def test_ambiguous_dates_need_a_choice_and_the_choice_is_used() -> None:
    rows = [["ann@example.com", "Q4", "Active", "03/11/2026"]]
    refused = check(rows)
    assert [p.kind for p in refused.file_errors] == ["date-order"]
    assert "--date-order" in refused.file_errors[0].message
    day_first = check(rows, date_order=DateOrder.DAY_FIRST)
    assert day_first.rows[0].changed_at == datetime(2026, 11, 3, tzinfo=UTC)
    month_first = check(rows, date_order=DateOrder.MONTH_FIRST)
    assert month_first.rows[0].changed_at == datetime(2026, 3, 11, tzinfo=UTC)


def test_one_unambiguous_date_decides_the_file_and_mixed_formats_are_refused() -> None:
    decided = check(
        [
            ["ann@example.com", "Q4", "Active", "03/11/2026"],
            ["bob@example.com", "Q4", "Active", "23/11/2026"],
        ]
    )
    assert decided.date_order is DateOrder.DAY_FIRST
    assert decided.rows[0].changed_at == datetime(2026, 11, 3, tzinfo=UTC)
    mixed = check(
        [
            ["ann@example.com", "Q4", "Active", "11/23/2026"],
            ["bob@example.com", "Q4", "Active", "23/11/2026"],
        ]
    )
    assert [p.kind for p in mixed.file_errors] == ["date-order"]


def test_the_mapping_can_be_overridden() -> None:
    header = ["A", "B", "C", "D"]
    table = [header, ["Q4", "ann@example.com", "2026-11-03", "Finished (Replied)"]]
    mapping = {Column.EMAIL: 1, Column.SEQUENCE: 0, Column.STATE: 3, Column.DATE: 2}
    checked = check_export(table, mapping, zone=UTC)
    assert checked.problems == [] and checked.rows[0].sequence == "Q4"
    assert checked.rows[0].state.reason is StateReason.REPLIED


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("ann@example.com", True),
        ("ann.o'neill+q4@sub.example.co.uk", True),
        ("ann@example", False),
        ("ann example@example.com", False),
        ("ann@@example.com", False),
        ("ann@example..com", False),
        ("<ann@example.com>", False),
        ("ann@example.com; bob@example.com", False),
    ],
)
def test_email_shapes(text: str, ok: bool) -> None:
    assert is_email(text) is ok


def test_severity_order_within_a_line_is_errors_first() -> None:
    checked = check([["bad", "Q4", "Hibernating", "2026-11-03"]])
    assert [p.severity for p in checked.problems] == [Severity.ERROR, Severity.WARNING]


def _big(rows: list[str]) -> list[list[str]]:
    return [["Email", "Sequence", "State", "Date"]] + [r.split(",") for r in rows]


def test_a_big_file_keeps_a_bounded_sample_and_no_shown_row_looks_ready_wrongly() -> None:
    # 3,000 rows of nobody Sync Monitor knows, and 1,500 with three empty values each: more
    # problems of one kind than are kept, yet every row the preview shows carries its error.
    table = _big(
        [f"p{n}@example.com,S,Active,2026-01-{1 + n % 28:02d}" for n in range(3000)]
        + [f"q{n}@example.com,,," for n in range(1500)]
    )
    checked = check_export(table, guess_mapping(table[0]), zone=UTC, known_people=lambda _e: set())
    assert checked.row_count == 4500 and checked.ready_count == 0
    assert checked.error_row_count == 4500
    assert len(checked.shown) == 2000 < checked.row_count  # bounded: a sample, said as such
    with_error = {p.line for p in checked.problems if p.severity is Severity.ERROR}
    assert set(checked.shown) <= with_error
    assert checked.counts[(Severity.ERROR, "unknown-person")] == 3000
    assert len(checked.problems) <= 2 * PROBLEMS_KEPT + 3 * 2000


def test_repeats_are_found_across_batches_and_counted_once() -> None:
    rows = [f"p{n % 2500}@example.com,S,Active,2026-01-01" for n in range(6000)]
    table = _big(rows)
    checked = check_export(table, guess_mapping(table[0]), zone=UTC)
    assert checked.ready_count == 2500
    assert checked.counts[(Severity.WARNING, "duplicate")] == 3500
    assert checked.warning_row_count == 3500
    # n = 4,999 (line 5,001) repeats n = 2,499 (line 2,501): found in another batch of 2,000
    first_repeat = [p for p in checked.problems if p.line == 2502]
    assert [p.message for p in first_repeat] == [
        "The same transition as line 2; it is imported once."
    ]
    assert checked.shown[2502] == ["p0@example.com", "S", "Active", "2026-01-01"]
