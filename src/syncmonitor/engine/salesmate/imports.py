"""Import a Salesmate sequence enrolment export: read, check, match, write all or nothing.

The dialog and `syncmonitor import salesmate PATH` run the same three steps:

1. `load_export(path)`: the file's bytes, its encoding and delimiter, the table, the guessed
   column mapping (no database, no network).
2. `prepare(...)`: which emails belong to people Sync Monitor knows (the cache: Outreach
   prospects, Workbooks people, earlier imports) and, when Salesmate's API is available, which of
   the rest are Salesmate contacts (then they are known too, with their name and contact id);
   then every row is checked (`domain.salesmate_export`). Salesmate being unreachable is not an
   error: the import never needs it, it only matches more people.
3. `write_import(...)`: in one transaction, or not at all: the checked rows, new people,
   sequences and enrolments, the history (idempotent: a row the cache has is skipped), and the
   people whose Workbooks record needs a new Sequence State queued for the next sync. A dry run
   does all of it and rolls back, so its counts are exactly what a real import would write.
"""

from __future__ import annotations

import asyncio
import logging
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import tzinfo
from pathlib import Path

from sqlalchemy import Engine

from syncmonitor.app.errors import UserFacingError
from syncmonitor.connectors.errors import ConnectorError
from syncmonitor.connectors.salesmate import SalesmateAccess, SalesmateClient
from syncmonitor.domain.csv_text import (
    UnreadableFileError,
    decode_bytes,
    delimiter_name,
    excel_separator,
    read_rows,
    sniff_delimiter,
)
from syncmonitor.domain.export_dates import DateOrder
from syncmonitor.domain.salesmate_export import (
    CheckedExport,
    Column,
    check_export,
    guess_mapping,
    is_email,
)
from syncmonitor.domain.timestamps import format_iso, utc_now
from syncmonitor.engine.runs.notices import Notice, NoticeLevel, NoticeSink
from syncmonitor.engine.runs.notify_policy import EventType, register_event_type
from syncmonitor.store.salesmate_store import (
    ContactInfo,
    WriteCounts,
    known_emails,
    write_enrolments,
)

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 200 * 1024 * 1024


class ImportRefusedError(UserFacingError):
    """The import cannot go ahead as the file and choices stand."""

    title = "Nothing was imported"


@dataclass(frozen=True)
class LoadedExport:
    """A file read as a table, with what was detected about it."""

    name: str
    encoding: str
    delimiter: str
    table: list[list[str]]  # the header first; a blank line is an empty row
    guessed: dict[Column, int | None]
    first_line: int = 1  # the header's line in the file

    @property
    def data_rows(self) -> int:
        return sum(1 for row in self.table[1:] if row)

    @property
    def headers(self) -> list[str]:
        return self.table[0] if self.table else []

    def describe(self) -> str:
        """ "412 rows, UTF-8, semicolon-separated"."""
        rows = "1 row" if self.data_rows == 1 else f"{self.data_rows:,} rows"
        return f"{rows}, {self.encoding}, {delimiter_name(self.delimiter)}-separated"


def load_export_bytes(data: bytes, name: str) -> LoadedExport:
    """Decode and split an export (pure; the file name is only for messages)."""
    decoded = decode_bytes(data)
    text = decoded.text
    delimiter = excel_separator(text)
    if delimiter is not None:
        text = "\n" + text.split("\n", 1)[1] if "\n" in text else ""  # keep the numbering
    else:
        delimiter = sniff_delimiter(text)
    table = read_rows(text, delimiter)
    skipped = 0
    while skipped < len(table) and not table[skipped]:
        skipped += 1  # blank lines (or Excel's sep= line) before the header
    table = table[skipped:]
    if not table:
        raise UnreadableFileError(f"{name} has no rows.", "Export the enrolments again.")
    return LoadedExport(
        name, decoded.encoding, delimiter, table, guess_mapping(table[0]), skipped + 1
    )


def load_export(path: Path) -> LoadedExport:
    """Read an export from disk (call it off the GUI thread)."""
    try:
        info = path.stat()
        size = info.st_size
        if not stat.S_ISREG(info.st_mode) and not stat.S_ISDIR(info.st_mode):
            raise UnreadableFileError(  # a FIFO would block for ever, /dev/zero never end
                f"{path} is not a regular file (it is a pipe, socket or device).",
                "Choose the CSV file Salesmate exported.",
            )
        if size > MAX_FILE_BYTES:
            raise UnreadableFileError(
                f"{path.name} is {size / 1e6:.0f} MB, more than an enrolment export can be.",
                "Check that this is the right file.",
            )
        data = path.read_bytes()
    except FileNotFoundError:
        raise UnreadableFileError(
            f"There is no file {path}.", "Check the path and try again."
        ) from None
    except IsADirectoryError:
        raise UnreadableFileError(
            f"{path} is a folder, not a file.", "Choose the CSV file."
        ) from None
    except OSError as exc:
        raise UnreadableFileError(
            f"{path} cannot be read: {exc.strerror or exc}.", "Check the file's permissions."
        ) from None
    return load_export_bytes(data, path.name)


@dataclass
class Preview:
    """A checked export, ready to show or to import."""

    export: LoadedExport
    mapping: dict[Column, int | None]
    checked: CheckedExport
    contacts: dict[str, ContactInfo] = field(default_factory=dict)
    salesmate_note: str = ""

    def importable(self, *, skip_invalid_rows: bool) -> bool:
        return self.checked.importable(skip_invalid_rows=skip_invalid_rows)


def _candidate_emails(export: LoadedExport, mapping: dict[Column, int | None]) -> set[str]:
    index = mapping.get(Column.EMAIL)
    if index is None:
        return set()
    return {
        row[index].strip().lower()
        for row in export.table[1:]
        if index < len(row) and is_email(row[index].strip().lower())
    }


def _known_in_cache(engine: Engine, emails: set[str]) -> set[str]:
    with engine.connect() as conn:
        return known_emails(conn, emails)


async def match_in_salesmate(
    access: SalesmateAccess | None,
    emails: set[str],
    client_factory: Callable[[SalesmateAccess], SalesmateClient] = SalesmateClient,
) -> tuple[dict[str, ContactInfo], str]:
    """Salesmate's contacts for these emails, and a sentence on how the matching went."""
    if access is None:
        return {}, "Salesmate's API was not used: rows were matched against the cache only."
    if not emails:
        return {}, "Every email already belongs to a person Sync Monitor knows."
    try:
        async with client_factory(access) as client:
            found = await client.contacts_by_email(emails)
    except ConnectorError as exc:
        log.warning("Salesmate contact matching failed: %s", exc)
        return {}, (
            f"Salesmate could not be asked ({exc.title}: {exc.message}) Rows were matched "
            "against the cache only."
        )
    contacts = {e: ContactInfo(c.id, c.name) for e, c in found.items()}
    return contacts, (
        f"Salesmate knew {len(contacts):,} of the {len(emails):,} emails Sync Monitor had not seen."
    )


async def prepare(
    engine: Engine,
    export: LoadedExport,
    *,
    mapping: dict[Column, int | None] | None = None,
    date_order: DateOrder = DateOrder.AUTO,
    zone: tzinfo,
    salesmate: SalesmateAccess | None = None,
    contacts: dict[str, ContactInfo] | None = None,
) -> Preview:
    """Check every row against the cache (and Salesmate for emails the cache lacks).

    Pass `contacts` from an earlier preview to check again without asking Salesmate again (the
    dialog does, when only the date order changed).
    """
    chosen = dict(mapping if mapping is not None else export.guessed)
    emails = _candidate_emails(export, chosen)
    in_cache = await asyncio.to_thread(_known_in_cache, engine, emails)
    note = ""
    if contacts is None:
        contacts, note = await match_in_salesmate(salesmate, emails - in_cache)
    known = in_cache | set(contacts)
    checked = await asyncio.to_thread(
        check_export,
        export.table,
        chosen,
        first_line=export.first_line,
        date_order=date_order,
        zone=zone,
        known_people=lambda wanted: wanted & known,
    )
    return Preview(export, chosen, checked, contacts, note)


@dataclass(frozen=True)
class ImportOutcome:
    """What an import wrote (or, in a dry run, would have written)."""

    dry_run: bool
    rows_imported: int
    rows_skipped: int
    counts: WriteCounts

    def summary(self) -> str:
        c = self.counts
        verb = "Would import" if self.dry_run else "Imported"
        text = (
            f"{verb} {self.rows_imported:,} rows: {c.transitions:,} new transitions "
            f"({c.already_known:,} already known), {c.people_added:,} new people, "
            f"{c.sequences_added:,} new sequences; {len(c.people_queued):,} people queued "
            "for Workbooks."
        )
        if self.rows_skipped:
            text += f" {self.rows_skipped:,} rows with problems were skipped."
        return text


def write_import(
    engine: Engine, preview: Preview, *, skip_invalid_rows: bool = False, dry_run: bool = False
) -> ImportOutcome:
    """Write the preview's rows in one transaction (call it on the cache-writer thread).

    Refuses (ImportRefusedError, nothing written) while the file has an error, unless
    `skip_invalid_rows` and the error is in rows (not in the file as a whole).
    """
    checked = preview.checked
    if not checked.importable(skip_invalid_rows=skip_invalid_rows):
        raise ImportRefusedError(*_refusal(checked, skip_invalid_rows))
    observed = format_iso(utc_now())
    with engine.connect() as conn:
        transaction = conn.begin()
        try:
            counts = write_enrolments(conn, checked.rows, preview.contacts, observed)
        except BaseException:
            transaction.rollback()
            raise
        if dry_run:
            transaction.rollback()
        else:
            transaction.commit()
    return ImportOutcome(dry_run, len(checked.rows), len(checked.lines_in_error), counts)


def _refusal(checked: CheckedExport, skip: bool) -> tuple[str, str]:
    if checked.file_errors:
        return (
            " ".join(p.message for p in checked.file_errors),
            "Fix the file or the column mapping and try again.",
        )
    if checked.row_errors and not skip:
        lines = len(checked.lines_in_error)
        return (
            f"{lines:,} of {checked.row_count:,} rows have problems, and an import is all or "
            "nothing.",
            "Fix those rows and import again, or choose to skip the rows with problems.",
        )
    return ("No row is left to import.", "Every row has a problem: see the list.")


SALESMATE_IMPORTED = register_event_type(
    EventType("salesmate.imported", "A Salesmate export was imported", NoticeLevel.INFO)
)


def notice_for(outcome: ImportOutcome, name: str) -> Notice:
    """The notification an import posts when it is done."""
    return Notice(
        event=SALESMATE_IMPORTED.event,
        level=NoticeLevel.INFO,
        title="Salesmate enrolments imported",
        message=f"{name}: {outcome.summary()}",
        key=name,
    )


def post_outcome(sink: NoticeSink | None, outcome: ImportOutcome, name: str) -> None:
    """Tell the person (dry runs tell nobody: nothing happened)."""
    if sink is not None and not outcome.dry_run:
        sink.post(notice_for(outcome, name))
