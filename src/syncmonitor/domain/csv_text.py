"""Reading a CSV export whatever wrote it: the encoding, the delimiter and the rows.

Exports come from Salesmate's web app, from Excel after someone "just fixed a column", or from a
colleague's Mac: UTF-8 with or without a byte order mark, UTF-16 (Excel's "Unicode text"), or
Windows-1252. And the delimiter is a comma, a semicolon (Excel in most of Europe) or a tab. Pure
Python, no I/O: the caller reads the bytes.
"""

from __future__ import annotations

import codecs
import csv
import io
import sys
from dataclasses import dataclass

from syncmonitor.app.errors import UserFacingError

DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar"}
_SNIFF_LINES = 50
_SNIFF_CHARS = 1024 * 1024
# The longest cell read (csv's own limit): an export's cells are names, addresses and dates.
MAX_CELL_CHARS = 131_072


class UnreadableFileError(UserFacingError):
    """The file is not a table Sync Monitor can read."""

    title = "The file cannot be read"


@dataclass(frozen=True, slots=True)
class DecodedText:
    """A file's text and the encoding it was read with, in words a person knows."""

    text: str
    encoding: str  # "UTF-8", "UTF-8 with BOM", "UTF-16", "Windows-1252"


def decode_bytes(data: bytes) -> DecodedText:
    """Decode an export: a byte order mark decides; else UTF-16 by its zero bytes; else UTF-8
    if it is valid UTF-8; else Windows-1252; else Latin-1 (which reads any byte)."""
    if not data.strip(b"\x00 \r\n\t\xef\xbb\xbf\xff\xfe"):
        raise UnreadableFileError(
            "The file is empty.", "Export the sequence enrolments from Salesmate again."
        )
    if data.startswith(codecs.BOM_UTF8):
        return DecodedText(
            data[len(codecs.BOM_UTF8) :].decode("utf-8", "replace"), "UTF-8 with BOM"
        )
    for bom, codec in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            return DecodedText(data[len(bom) :].decode(codec, "replace"), "UTF-16")
    sample = data[:4000]
    if len(sample) >= 4 and sample.count(b"\x00") >= len(sample) // 4:
        # ASCII text in UTF-16 without a BOM: every other byte is zero.
        zeros_odd = sample[1::2].count(0)
        codec = "utf-16-le" if zeros_odd >= sample[0::2].count(0) else "utf-16-be"
        return DecodedText(data.decode(codec, "replace"), "UTF-16")
    try:
        return DecodedText(data.decode("utf-8"), "UTF-8")
    except UnicodeDecodeError:
        pass
    try:
        return DecodedText(data.decode("cp1252"), "Windows-1252")
    except UnicodeDecodeError:  # one of the five bytes Windows-1252 leaves undefined
        return DecodedText(data.decode("latin-1"), "Latin-1")


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first lines into the same number (>1) of fields most often.

    Quoted fields are respected (a comma inside "Smith, Jane" does not count). A file with a
    single column gets a comma.
    """
    # The first lines only: splitting a 100 MB file into lines to look at 50 of them costs more
    # memory than the file.
    lines = text[:_SNIFF_CHARS].splitlines()[:_SNIFF_LINES]
    sample = "\n".join(line for line in lines if line.strip())
    best, best_score = ",", (0, 0, 0)
    for delimiter in DELIMITERS:
        try:
            rows = list(csv.reader(io.StringIO(sample), delimiter=delimiter))
        except csv.Error:  # a field past csv's limit with this delimiter: not the one
            continue
        if not rows:
            continue
        width = len(rows[0])
        if width < 2:
            continue
        agreeing = sum(1 for r in rows if len(r) == width)
        # Most rows agreeing with the header first, then the most columns, then the usual order.
        score = (agreeing, width, -list(DELIMITERS).index(delimiter))
        if score > best_score:
            best, best_score = delimiter, score
    return best


def excel_separator(text: str) -> str | None:
    """The delimiter named by Excel's optional first line `sep=;`, if the file has one."""
    first = text.split("\n", 1)[0].strip().strip('"')
    if first.lower().startswith("sep=") and len(first) == 5:
        return first[4]
    return None


def read_rows(text: str, delimiter: str) -> list[list[str]]:
    """Every record of the table, fields stripped of surrounding blanks. A blank line stays as an
    empty record, so a record's position is its line in the file (unless a quoted value spans
    lines), which is what a person sees in an editor or as a spreadsheet's row number."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    rows: list[list[str]] = []
    intern = sys.intern  # names, states, sequences and dates repeat: one copy of each
    try:
        for row in reader:
            cells = [intern(f.strip()) for f in row]
            rows.append(cells if any(cells) else [])
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise UnreadableFileError(
                f"The file has a cell longer than {MAX_CELL_CHARS:,} characters (around line "
                f"{reader.line_num:,}), far longer than any export holds: it is not an "
                'enrolment export, or a quote (") opened a cell that never closes.',
                "Check that this is the right file; open it in a spreadsheet and save it again "
                "as CSV.",
            ) from None
        raise UnreadableFileError(
            f"The file is not valid CSV: {exc} (around line {reader.line_num:,}).",
            "Open it in a spreadsheet and save it again as CSV.",
        ) from exc
    return rows


def delimiter_name(delimiter: str) -> str:
    """ "," -> "comma"."""
    return DELIMITERS.get(delimiter, repr(delimiter))


# A cell a spreadsheet would run as a formula starts with one of these (OWASP, "CSV Injection").
# A leading apostrophe is escaped as well, so that reading a file back is exact.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")


def spreadsheet_safe(cell: str) -> str:
    """The cell as written to a CSV the app makes: prefixed with an apostrophe when it starts
    like a formula (`=`, `+`, `-`, `@`, tab, carriage return), so Excel, LibreOffice and Google
    Sheets show it as text instead of running it. CRM picklist values and imported names are
    not ours: "=HYPERLINK(...)" must reach a spreadsheet as the text it is."""
    return "'" + cell if cell.startswith(_FORMULA_STARTS) else cell


def from_spreadsheet_safe(cell: str) -> str:
    """A cell read from a CSV, undoing `spreadsheet_safe` (one leading apostrophe is dropped, as
    a spreadsheet treats it: a marker for "this is text", not part of the value)."""
    return cell[1:] if cell.startswith("'") else cell
