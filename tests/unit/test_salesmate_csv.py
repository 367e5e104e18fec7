"""Reading a Salesmate export whatever wrote it: encodings, delimiters, dates, the day/month
question, column guesses."""

from __future__ import annotations

import codecs
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from syncmonitor.domain.csv_text import (
    UnreadableFileError,
    decode_bytes,
    read_rows,
    sniff_delimiter,
)
from syncmonitor.domain.export_dates import DateError, DateOrder, decide_order, parse_export_date
from syncmonitor.domain.salesmate_export import Column, check_rows, guess_mapping
from syncmonitor.engine.salesmate.imports import load_export_bytes

TEXT = "Email;Sequence;Status;Date\nzoë@exämple.com;Relance Q4 — été;Paused O3;23/04/2026\n"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (TEXT.encode("utf-8"), "UTF-8"),
        (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "UTF-8 with BOM"),
        (TEXT.encode("utf-16"), "UTF-16"),  # with its byte order mark
        (codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"), "UTF-16"),
        (TEXT.encode("utf-16-le"), "UTF-16"),  # no BOM: told by the zero bytes
        (TEXT.encode("cp1252"), "Windows-1252"),  # "—" is 0x97 in 1252, invalid UTF-8
        (TEXT.replace("—", "-").encode("latin-1") + b"\x81", "Latin-1"),
    ],
)
def test_every_encoding_reads_the_same_text(data: bytes, encoding: str) -> None:
    decoded = decode_bytes(data)
    assert decoded.encoding == encoding
    rows = read_rows(decoded.text, sniff_delimiter(decoded.text))
    assert rows[1][0] == "zoë@exämple.com"
    assert rows[1][1].startswith("Relance Q4") and rows[1][1].endswith("été")


def test_an_empty_file_is_refused_with_a_reason() -> None:
    with pytest.raises(UnreadableFileError, match="empty"):
        decode_bytes(codecs.BOM_UTF8 + b"\r\n  \n")


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [
        ('Email,Sequence,Status,Date\na@b.co,"Smith, Jones; Q4",Active,2026-11-01\n', ","),
        ("Email;Sequence;Status;Date\na@b.co;Q4, EMEA;Active;01/11/2026\n", ";"),
        ("Email\tSequence\tStatus\tDate\na@b.co\tQ4; EMEA, UK\tActive\t2026-11-01\n", "\t"),
        ("Email|Sequence|Status|Date\na@b.co|Q4|Active|2026-11-01\n", "|"),
    ],
)
def test_the_delimiter_is_found_despite_the_others_inside_values(text: str, delimiter: str) -> None:
    assert sniff_delimiter(text) == delimiter
    rows = read_rows(text, delimiter)
    assert [len(r) for r in rows] == [4, 4]


def test_blank_lines_keep_their_place_and_fields_are_trimmed() -> None:
    rows = read_rows("Email,State\n\n  a@b.co , Active \n,\n", ",")
    assert rows == [["Email", "State"], [], ["a@b.co", "Active"], []]


def test_excel_sep_line_names_the_delimiter_and_line_numbers_stay_true() -> None:
    text = "sep=,\n\nEmail,Sequence,Status,Date\na@b.co,Q4;EMEA,Active,2026-11-01\n\nx,Q4,,\n"
    export = load_export_bytes(text.encode(), "e.csv")
    assert export.delimiter == "," and export.first_line == 3
    assert export.headers == ["Email", "Sequence", "Status", "Date"]
    assert export.data_rows == 2 and "2 rows" in export.describe()
    checked = check_rows(
        export.rows, export.headers, export.guessed, row_count=export.data_rows, zone=UTC
    )
    assert [r.line for r in checked.rows] == [4]
    assert {p.line for p in checked.problems} == {6}  # the editor's line 6, blank line counted


LONDON = ZoneInfo("Europe/London")


@pytest.mark.parametrize(
    ("text", "order", "expected"),
    [
        ("2026-11-03", DateOrder.AUTO, datetime(2026, 11, 3, tzinfo=UTC)),
        ("2026-11-03T14:05:00Z", DateOrder.AUTO, datetime(2026, 11, 3, 14, 5, tzinfo=UTC)),
        ("2026-07-03 14:05", DateOrder.AUTO, datetime(2026, 7, 3, 13, 5, tzinfo=UTC)),  # BST
        ("2026-11-03T14:05:00+02:00", DateOrder.AUTO, datetime(2026, 11, 3, 12, 5, tzinfo=UTC)),
        ("23/04/2026 14:05", DateOrder.AUTO, datetime(2026, 4, 23, 13, 5, tzinfo=UTC)),
        ("04/23/2026 2:05 PM", DateOrder.AUTO, datetime(2026, 4, 23, 13, 5, tzinfo=UTC)),
        ("03/11/2026", DateOrder.DAY_FIRST, datetime(2026, 11, 3, tzinfo=UTC)),
        ("03/11/2026", DateOrder.MONTH_FIRST, datetime(2026, 3, 11, tzinfo=UTC)),
        ("03.11.26 09:15:30", DateOrder.DAY_FIRST, datetime(2026, 11, 3, 9, 15, 30, tzinfo=UTC)),
        ("05/05/2026", DateOrder.AUTO, datetime(2026, 5, 4, 23, tzinfo=UTC)),  # same both ways
        ("3 Nov 2026", DateOrder.AUTO, datetime(2026, 11, 3, tzinfo=UTC)),
        ("Nov 3, 2026 09:15", DateOrder.AUTO, datetime(2026, 11, 3, 9, 15, tzinfo=UTC)),
        ("03-Nov-2026 12:00 AM", DateOrder.AUTO, datetime(2026, 11, 3, tzinfo=UTC)),
    ],
)
def test_date_formats(text: str, order: DateOrder, expected: datetime) -> None:
    assert parse_export_date(text, order, LONDON) == expected


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "empty"),
        ("yesterday", "not a date"),
        ("31/02/2026", "not a real date"),
        ("2026-13-01", "not a real date"),
        ("13:00 PM 2026-01-01", "not a date"),
        ("03/11/2026", "choose day first or month first"),  # AUTO never guesses alone
        ("3 Smarch 2026", "not a month"),
    ],
)
def test_bad_dates_say_why(text: str, why: str) -> None:
    with pytest.raises(DateError, match=why):
        parse_export_date(text, DateOrder.AUTO, UTC)


def test_the_file_decides_day_or_month_first() -> None:
    day_first = decide_order(["03/11/2026", "23/04/2026 10:00", "2026-01-01"])
    assert day_first.order is DateOrder.DAY_FIRST and not day_first.needs_choice
    assert "23/04/2026" in day_first.note()
    month_first = decide_order(["03/11/2026", "04/23/2026"])
    assert month_first.order is DateOrder.MONTH_FIRST
    ambiguous = decide_order(["03/11/2026", "05/05/2026"])
    assert ambiguous.needs_choice and "choose" in ambiguous.note()
    mixed = decide_order(["23/04/2026", "04/23/2026"])
    assert mixed.conflict and "mixes two formats" in mixed.note()
    iso_only = decide_order(["2026-04-23", "3 Nov 2026"])
    assert iso_only.order is None and not iso_only.needs_choice and not iso_only.conflict


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (
            ["Contact Name", "Email", "Sequence Name", "Status", "Status Changed At"],
            {"email": 1, "sequence": 2, "state": 3, "date": 4, "name": 0, "contact_id": None},
        ),
        (
            ["E-mail Address", "Enrollment Status", "Sequence", "Last Updated", "Owner Name"],
            {"email": 0, "sequence": 2, "state": 1, "date": 3, "name": None, "contact_id": None},
        ),
        (
            ["contact_id", "contact_email", "sequence_name", "state", "date", "extra"],
            {"email": 1, "sequence": 2, "state": 3, "date": 4, "name": None, "contact_id": 0},
        ),
        (["Who", "What"], {c.value: None for c in Column}),
    ],
)
def test_columns_are_guessed_from_their_headers(headers: list[str], expected: dict) -> None:
    assert {c.value: i for c, i in guess_mapping(headers).items()} == expected
