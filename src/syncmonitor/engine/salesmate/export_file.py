"""A Salesmate export read as a stream: its encoding, delimiter and header, a bounded sample, and
its rows again whenever a pass needs them, never the whole file in memory.

The file is read in three kinds of pass: one when it is loaded (encoding, delimiter, header, row
count, a sample of rows, a SHA-256 of the bytes), one or two for each check (emails and dates,
then every row) and one for the import, which first makes sure the bytes are still the ones that
were checked (the same SHA-256), so what is written is what the preview showed.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from syncmonitor.domain.csv_text import (
    MAX_CELL_CHARS,
    UnreadableFileError,
    decode_bytes,
    excel_separator,
    sniff_delimiter,
)
from syncmonitor.domain.salesmate_export import NumberedRow

Opener = Callable[[], BinaryIO]
_CHUNK = 1024 * 1024
_SNIFF_BYTES = 1024 * 1024
SAMPLE_ROWS = 1000  # rows kept from loading, shown before the columns are chosen


@dataclass(frozen=True)
class Encoding:
    """How the bytes decode: Python's codec, how many bytes of byte order mark to skip, and the
    name a person knows ("UTF-8 with BOM")."""

    codec: str
    skip: int
    name: str


def detect_encoding(opener: Opener) -> tuple[Encoding, str, int]:
    """The file's encoding (as `csv_text.decode_bytes` decides it for the whole file, reading it
    in chunks), its SHA-256 and its size in bytes."""
    digest, size = hashlib.sha256(), 0
    with opener() as f:
        head = f.read(4000)
        digest.update(head)
        size += len(head)
        decode_bytes(head)  # refuses an empty file (only blanks, zeros and byte order marks)
        if head.startswith(codecs.BOM_UTF8):
            encoding = Encoding("utf-8", len(codecs.BOM_UTF8), "UTF-8 with BOM")
        elif head.startswith(codecs.BOM_UTF16_LE):
            encoding = Encoding("utf-16-le", 2, "UTF-16")
        elif head.startswith(codecs.BOM_UTF16_BE):
            encoding = Encoding("utf-16-be", 2, "UTF-16")
        else:
            found = decode_bytes(head[: max(4, len(head) - len(head) % 4)]).encoding
            if found == "UTF-16":
                zeros_odd = head[1::2].count(0)
                codec = "utf-16-le" if zeros_odd >= head[0::2].count(0) else "utf-16-be"
                encoding = Encoding(codec, 0, "UTF-16")
            else:
                encoding = Encoding("utf-8", 0, "UTF-8")
        utf8 = codecs.getincrementaldecoder("utf-8")() if encoding.codec == "utf-8" else None
        cp1252 = codecs.getincrementaldecoder("cp1252")()
        valid_utf8 = valid_cp1252 = True
        chunk = head[encoding.skip :]
        while True:
            final = not chunk
            if utf8 is not None and valid_utf8:
                try:
                    utf8.decode(chunk, final)
                except UnicodeDecodeError:
                    valid_utf8 = False
            if utf8 is not None and not valid_utf8 and valid_cp1252:
                try:
                    cp1252.decode(chunk, final)
                except UnicodeDecodeError:
                    valid_cp1252 = False
            if final:
                break
            chunk = f.read(_CHUNK)
            digest.update(chunk)
            size += len(chunk)
    if utf8 is not None and not valid_utf8 and encoding.skip == 0:
        encoding = (
            Encoding("cp1252", 0, "Windows-1252")
            if valid_cp1252
            else Encoding("latin-1", 0, "Latin-1")
        )
    return encoding, digest.hexdigest(), size


def file_digest(opener: Opener) -> str:
    """The SHA-256 of the file's bytes as they are now."""
    digest = hashlib.sha256()
    with opener() as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _text(binary: BinaryIO, encoding: Encoding) -> io.TextIOWrapper:
    binary.read(encoding.skip)
    # A cp1252 file was checked to decode whole; utf-8 with a BOM and UTF-16 replace what
    # cannot be decoded (as the whole-file reading did).
    return io.TextIOWrapper(binary, encoding=encoding.codec, errors="replace", newline="")


def find_delimiter(opener: Opener, encoding: Encoding) -> tuple[str, bool]:
    """The delimiter, and whether Excel's `sep=` line named it (then the first line is not the
    header)."""
    with opener() as binary, _text(binary, encoding) as text:
        start = text.read(_SNIFF_BYTES)
    named = excel_separator(start)
    if named is not None:
        return named, True
    return sniff_delimiter(start), False


def records(opener: Opener, encoding: Encoding, delimiter: str) -> Iterator[list[str]]:
    """Every record of the file, cells stripped, a blank record as []: record n (from 0) is line
    n + 1 of the file (unless a quoted value spans lines), as a person sees it in an editor."""
    with opener() as binary, _text(binary, encoding) as text:
        reader = csv.reader(text, delimiter=delimiter, strict=False)
        try:
            for row in reader:
                cells = [f.strip() for f in row]
                yield cells if any(cells) else []
        except csv.Error as exc:
            if "field larger than field limit" in str(exc):
                raise UnreadableFileError(
                    f"The file has a cell longer than {MAX_CELL_CHARS:,} characters (around line "
                    f"{reader.line_num:,}), far longer than any export holds: it is not an "
                    'enrolment export, or a quote (") opened a cell that never closes.',
                    "Check that this is the right file; open it in a spreadsheet and save it "
                    "again as CSV.",
                ) from None
            raise UnreadableFileError(
                f"The file is not valid CSV: {exc} (around line {reader.line_num:,}).",
                "Open it in a spreadsheet and save it again as CSV.",
            ) from exc


def data_rows(
    opener: Opener, encoding: Encoding, delimiter: str, first_line: int
) -> Iterator[NumberedRow]:
    """The data rows after the header (on `first_line`), numbered by their line, blank ones
    left out."""
    for n, row in enumerate(records(opener, encoding, delimiter), start=1):
        if n > first_line and row:
            yield n, row


@dataclass(frozen=True)
class Scanned:
    """What loading learnt in its one pass over the rows."""

    headers: list[str]
    first_line: int
    row_count: int
    sample: dict[int, list[str]]


def scan(
    opener: Opener, encoding: Encoding, delimiter: str, name: str, *, sep_line: bool
) -> Scanned:
    """The header (the first non-blank record, after Excel's `sep=` line), the number of data
    rows and the first SAMPLE_ROWS of them."""
    headers: list[str] | None = None
    first_line, count = 0, 0
    sample: dict[int, list[str]] = {}
    for n, row in enumerate(records(opener, encoding, delimiter), start=1):
        if headers is None:
            if row and not (sep_line and n == 1):
                headers, first_line = row, n
            continue
        if row:
            count += 1
            if len(sample) < SAMPLE_ROWS:
                sample[n] = row
    if headers is None:
        raise UnreadableFileError(f"{name} has no rows.", "Export the enrolments again.")
    return Scanned(headers, first_line, count, sample)
