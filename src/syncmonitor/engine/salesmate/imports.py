"""Import a Salesmate sequence enrolment export: read, check, match, write all or nothing.

The dialog and `syncmonitor import salesmate PATH` run the same three steps:

1. `load_export(path)`: the file's encoding and delimiter, its header, row count and a sample
   of rows, the guessed column mapping (no database, no network; the rows are read again by
   each pass, never all held: a 100 MB export fits in bounded memory).
2. `prepare(...)`: which emails belong to people Sync Monitor knows (the cache: Outreach
   prospects, Workbooks people, earlier imports) and, when Salesmate's API is available, which of
   the rest are Salesmate contacts (then they are known too, with their name and contact id);
   then every row is checked (`domain.salesmate_export`). Salesmate being unreachable is not an
   error: the import never needs it, it only matches more people.
3. `write_import(...)`: all or nothing as a decision (a row in error stops it, unless the person
   skips those rows), written from the file in batches of WRITE_BATCH rows, one transaction
   each: the checked rows, new people, sequences and enrolments, the history (idempotent: a row
   the cache has is skipped, so a rerun after a crash adds only the rest), and the people whose
   Workbooks record needs a new Sequence State queued for the next sync. A file changed since
   its check is refused. A dry run does all of it in one transaction and rolls back, so its
   counts are exactly what a real import would write.
"""

from __future__ import annotations

import asyncio
import io
import logging
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, tzinfo
from pathlib import Path

from sqlalchemy import Engine

from syncmonitor.app.errors import UserFacingError
from syncmonitor.connectors.errors import ConnectorError
from syncmonitor.connectors.salesmate import SalesmateAccess, SalesmateClient
from syncmonitor.domain.csv_text import UnreadableFileError, delimiter_name
from syncmonitor.domain.export_dates import DateOrder, OrderDecision, decide_order
from syncmonitor.domain.salesmate_export import (
    REQUIRED,
    CheckedExport,
    Column,
    EnrolmentRow,
    NumberedRow,
    cell,
    check_rows,
    guess_mapping,
    is_email,
)
from syncmonitor.domain.timestamps import format_iso, utc_now
from syncmonitor.engine.runs.notices import Notice, NoticeLevel, NoticeSink
from syncmonitor.engine.runs.notify_policy import EventType, register_event_type
from syncmonitor.engine.salesmate import export_file
from syncmonitor.engine.salesmate.export_file import Encoding, Opener
from syncmonitor.store.salesmate_store import (
    ContactInfo,
    WriteCounts,
    known_emails,
    write_enrolments,
)
from syncmonitor.store.scratch import DigestSet

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 200 * 1024 * 1024


class ImportRefusedError(UserFacingError):
    """The import cannot go ahead as the file and choices stand."""

    title = "Nothing was imported"


@dataclass(frozen=True)
class LoadedExport:
    """A file as it was read: what was detected about it, its header, how many rows it has and
    a sample of them. The rows themselves are read again from the file by each pass
    (`rows()`), never all held."""

    name: str
    encoding: str
    delimiter: str
    headers: list[str]
    guessed: dict[Column, int | None]
    first_line: int  # the header's line in the file
    data_rows: int
    sample: dict[int, list[str]]  # line -> cells, the first rows
    digest: str  # SHA-256 of the bytes that were read
    opener: Opener = field(repr=False)
    codec: Encoding = field(repr=False)

    def rows(self) -> Iterator[NumberedRow]:
        """Every data row, read from the file again."""
        return export_file.data_rows(self.opener, self.codec, self.delimiter, self.first_line)

    def unchanged(self) -> bool:
        """Whether the file still holds the bytes that were read."""
        try:
            return export_file.file_digest(self.opener) == self.digest
        except OSError:
            return False

    def describe(self) -> str:
        """ "412 rows, UTF-8, semicolon-separated"."""
        rows = "1 row" if self.data_rows == 1 else f"{self.data_rows:,} rows"
        return f"{rows}, {self.encoding}, {delimiter_name(self.delimiter)}-separated"


def _load(opener: Opener, name: str) -> LoadedExport:
    encoding, digest, _size = export_file.detect_encoding(opener)
    delimiter, sep_line = export_file.find_delimiter(opener, encoding)
    scanned = export_file.scan(opener, encoding, delimiter, name, sep_line=sep_line)
    return LoadedExport(
        name,
        encoding.name,
        delimiter,
        scanned.headers,
        guess_mapping(scanned.headers),
        scanned.first_line,
        scanned.row_count,
        scanned.sample,
        digest,
        opener,
        encoding,
    )


def load_export_bytes(data: bytes, name: str) -> LoadedExport:
    """Decode and split an export held in memory (the file name is only for messages)."""
    return _load(lambda: io.BytesIO(data), name)


def load_export(path: Path) -> LoadedExport:
    """Read an export from disk, in passes of bounded memory (call it off the GUI thread)."""
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
        return _load(lambda: path.open("rb"), path.name)
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


@dataclass
class Preview:
    """A checked export, ready to show or to import. `known` is every email the check took as
    a known person: the import checks the rows again against exactly these, so it writes what
    the preview counted."""

    export: LoadedExport
    mapping: dict[Column, int | None]
    checked: CheckedExport
    contacts: dict[str, ContactInfo] = field(default_factory=dict)
    salesmate_note: str = ""
    known: frozenset[str] = frozenset()
    zone: tzinfo = UTC

    def importable(self, *, skip_invalid_rows: bool) -> bool:
        return self.checked.importable(skip_invalid_rows=skip_invalid_rows)


def _scan_columns(
    export: LoadedExport, mapping: dict[Column, int | None]
) -> tuple[set[str], OrderDecision | None]:
    """One pass: the plausible emails of the file, and how its dates read (None when the
    mapping lacks a column, so rows are not checked)."""
    if any(mapping.get(c) is None or mapping[c] >= len(export.headers) for c in REQUIRED):  # type: ignore[operator]
        return set(), None
    emails: set[str] = set()

    def dates() -> Iterator[str]:
        for _line, row in export.rows():
            email = cell(row, mapping, Column.EMAIL).lower()
            if is_email(email):
                emails.add(email)
            yield cell(row, mapping, Column.DATE)

    return emails, decide_order(dates())


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
    emails, decision = await asyncio.to_thread(_scan_columns, export, chosen)
    in_cache = await asyncio.to_thread(_known_in_cache, engine, emails)
    note = ""
    if contacts is None:
        contacts, note = await match_in_salesmate(salesmate, emails - in_cache)
    known = frozenset(in_cache | set(contacts))
    checked = await asyncio.to_thread(_check, export, chosen, date_order, zone, known, decision)
    return Preview(export, chosen, checked, contacts, note, known, zone)


def _check(
    export: LoadedExport,
    mapping: dict[Column, int | None],
    date_order: DateOrder,
    zone: tzinfo,
    known: frozenset[str],
    decision: OrderDecision | None,
    on_row: Callable[[EnrolmentRow], None] | None = None,
) -> CheckedExport:
    with DigestSet() as seen:  # the repeated rows found on disk: no memory per row
        return check_rows(
            export.rows,
            export.headers,
            mapping,
            row_count=export.data_rows,
            date_order=date_order,
            zone=zone,
            known_people=lambda wanted: wanted & known,
            decision=decision,
            on_row=on_row,
            seen=seen,
        )


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


# Rows written per transaction: a crash loses at most the batch under way, and a rerun skips
# every row the cache already has (the history is unique per transition). Each batch looks its
# people and enrolments up again, so a larger batch costs fewer lookups (20,000 rows: about
# 10 MB of rows held; 5,000 made a 100 MB import look its people up 14 times as often).
WRITE_BATCH = 20_000


def write_import(
    engine: Engine, preview: Preview, *, skip_invalid_rows: bool = False, dry_run: bool = False
) -> ImportOutcome:
    """Write the preview's rows, read again from the file in batches, one transaction per batch
    (call it on the cache-writer thread). A dry run writes every batch in one transaction and
    rolls it back, so its counts are exactly what an import would write.

    Refuses (ImportRefusedError, nothing written) while the file has an error, unless
    `skip_invalid_rows` and the error is in rows (not in the file as a whole), and when the file
    no longer holds the bytes that were checked.
    """
    checked = preview.checked
    if not checked.importable(skip_invalid_rows=skip_invalid_rows):
        raise ImportRefusedError(*_refusal(checked, skip_invalid_rows))
    export = preview.export
    if not export.unchanged():
        raise ImportRefusedError(*_changed(export.name))
    observed = format_iso(utc_now())
    counts = WriteCounts()
    batch: list[EnrolmentRow] = []
    with engine.connect() as conn:
        transaction = conn.begin()

        def write_batch() -> None:
            nonlocal transaction
            if batch:
                _add(counts, write_enrolments(conn, batch, preview.contacts, observed))
                batch.clear()
            if not dry_run:
                transaction.commit()
                transaction = conn.begin()

        def take(row: EnrolmentRow) -> None:
            batch.append(row)
            if len(batch) >= WRITE_BATCH:
                write_batch()

        try:
            again = _check(
                export,
                preview.mapping,
                checked.date_order,
                preview.zone,
                preview.known,
                checked.date_decision,
                on_row=take,
            )
            changed = _differs(again, checked)
            if not changed:
                write_batch()
        finally:
            transaction.rollback()  # the batch under way, the empty one after the last, a dry run
    if changed:
        raise ImportRefusedError(
            *_changed(export.name, written=0 if dry_run else counts.transitions)
        )
    return ImportOutcome(dry_run, checked.ready_count, checked.error_row_count, counts)


def _add(total: WriteCounts, part: WriteCounts) -> None:
    total.transitions += part.transitions
    total.already_known += part.already_known
    total.people_added += part.people_added
    total.sequences_added += part.sequences_added
    total.enrolments_added += part.enrolments_added
    total.people_queued |= part.people_queued


def _differs(again: CheckedExport, checked: CheckedExport) -> bool:
    return (again.ready_count, again.error_row_count, again.counts) != (
        checked.ready_count,
        checked.error_row_count,
        checked.counts,
    )


def _changed(name: str, *, written: int = 0) -> tuple[str, str]:
    done = (
        f" {written:,} transitions from its first rows were written; importing again adds "
        "only what is new."
        if written
        else " Nothing was imported."
    )
    return (
        f"{name} changed after it was checked: the rows to import are no longer the ones the "
        f"preview showed.{done}",
        "Check the file again (choose it again, or run the command again), then import.",
    )


def _refusal(checked: CheckedExport, skip: bool) -> tuple[str, str]:
    if checked.file_errors:
        return (
            " ".join(p.message for p in checked.file_errors),
            "Fix the file or the column mapping and try again.",
        )
    if checked.error_row_count and not skip:
        lines = checked.error_row_count
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
