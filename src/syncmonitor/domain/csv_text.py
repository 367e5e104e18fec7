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
from dataclasses import dataclass

from syncmonitor.app.errors import UserFacingError

DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar"}
_SNIFF_LINES = 50


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
    lines = text.splitlines()[:_SNIFF_LINES]
    sample = "\n".join(line for line in lines if line.strip())
    best, best_score = ",", (0, 0, 0)
    for delimiter in DELIMITERS:
        rows = list(csv.reader(io.StringIO(sample), delimiter=delimiter))
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
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False))
    except csv.Error as exc:
        raise UnreadableFileError(
            f"The file is not valid CSV: {exc}.",
            "Open it in a spreadsheet and save it again as CSV.",
        ) from exc
    return [[f.strip() for f in row] if any(f.strip() for f in row) else [] for row in rows]


def delimiter_name(delimiter: str) -> str:
    """ "," -> "comma"."""
    return DELIMITERS.get(delimiter, repr(delimiter))
