"""The filtered People list as a CSV file, the same from the window and from `syncmonitor people`.

Every cell goes through `csv_text.spreadsheet_safe`: names and emails come from the remotes, and a
cell starting with =, +, -, @, a tab or a carriage return would run as a formula in a spreadsheet.

Encoding: UTF-8 with a byte order mark for a file. Excel (Windows and Mac) opens a CSV without a
BOM in the computer's legacy code page, so "Sørensen" would read "SÃ¸rensen"; with the BOM it reads
UTF-8, and LibreOffice, Google Sheets, Numbers and Python's "utf-8-sig" all take the BOM as it is
meant. Written to standard output (a script's pipe) there is no BOM: a pipe is read by programs,
and a BOM would stick to the first header. Comma-separated, CRLF line ends (RFC 4180). Times are
UTC ISO 8601, as the providers write them, with the zone in the header.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TextIO

from syncmonitor.domain.csv_text import spreadsheet_safe
from syncmonitor.domain.people_filter import PROVIDER_NAMES, PeopleFilter

HEADERS = (
    "Name",
    "Email",
    "Provider",
    "Opted out",
    "Sequences",
    "Latest state",
    "Provider's value",
    "Latest change (UTC)",
)
WINDOW = 1000  # rows read per query while exporting


def person_cells(row: Any) -> list[str]:
    """One person's cells, in HEADERS' order (`row`: a PersonRow)."""
    state = row.latest_state
    return [
        row.name,
        row.email,
        PROVIDER_NAMES.get(row.provider, row.provider.title()),
        "yes" if row.opted_out else "no",
        str(row.sequence_count),
        state.label if state else "",
        state.raw if state else "",
        row.latest_changed_at or "",
    ]


def all_rows(
    search: Callable[[PeopleFilter, tuple[str, int, str] | None, int], list[Any]],
    filt: PeopleFilter,
) -> Iterator[Any]:
    """Every person matching `filt`, read WINDOW at a time in the list's order."""
    after = None
    while True:
        page = search(filt, after, WINDOW)
        yield from page
        if len(page) < WINDOW:
            return
        after = page[-1].key


def write_csv(out: TextIO, rows: Iterable[Any], *, line_end: str = "\r\n") -> int:
    """Write the header and one line per person; the number of people written."""
    writer = csv.writer(out, lineterminator=line_end)
    writer.writerow(HEADERS)
    written = 0
    for row in rows:
        writer.writerow([spreadsheet_safe(cell) for cell in person_cells(row)])
        written += 1
    return written


def write_csv_file(path: Path, rows: Iterable[Any]) -> int:
    """Write the file whole or not at all: into a temporary file beside it, then renamed over
    it, so a failure half-way (a full disk) never leaves a cut file behind."""
    temporary = path.with_name(f".{path.name}.partial")
    try:
        with temporary.open("w", encoding="utf-8-sig", newline="") as out:
            written = write_csv(out, rows)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return written
