"""A Salesmate sequence enrolment export: its columns, and every row checked before anything is
written.

Columns are found by their header names (Salesmate's own, and what a person who edited the file in
a spreadsheet is likely to have typed); the person can override each guess. Every row is then
validated on its own and given problems a person can act on, with the file's line number:

- errors (the row cannot be imported as it is): a missing or malformed email address, an empty
  sequence or state, a date that is not a date, a person Sync Monitor does not know, a NUL
  character (a zero byte) in a value (review-reliability.md #32: a damaged file, never a name);
- warnings (imported, but worth a look): a state Salesmate did not document (imported as Unknown
  with the raw text kept), a row repeated in the file (imported once).

A file with any error is imported all or nothing: nothing, unless the person explicitly asks to
skip the rows in error, and then exactly the rows without one.

Checking streams: rows come from a function that reads them again for each pass, and only
counts, the first problems of each kind and a bounded sample of rows are kept, so a 100 MB export
is checked in bounded memory.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Protocol

from syncmonitor.domain.export_dates import (
    DateError,
    DateOrder,
    OrderDecision,
    decide_order,
    parse_export_date,
)
from syncmonitor.domain.states import CanonicalState, ResolvedState, resolve_salesmate


class Column(enum.StrEnum):
    """What a column of the export holds."""

    EMAIL = "email"
    SEQUENCE = "sequence"
    STATE = "state"
    DATE = "date"
    NAME = "name"  # optional: the contact's name, for people Sync Monitor has not seen
    CONTACT_ID = "contact_id"  # optional: Salesmate's contact id

    @property
    def label(self) -> str:
        return {
            "email": "Contact email",
            "sequence": "Sequence",
            "state": "State",
            "date": "Date",
            "name": "Contact name",
            "contact_id": "Salesmate contact id",
        }[self.value]

    @property
    def required(self) -> bool:
        return self in REQUIRED


REQUIRED = (Column.EMAIL, Column.SEQUENCE, Column.STATE, Column.DATE)

# Header words per column, best first: the first header that contains one of them wins. Compared
# lower case with only letters and digits kept ("E-mail Address" -> "emailaddress").
_GUESSES: dict[Column, tuple[str, ...]] = {
    Column.EMAIL: ("contactemail", "emailaddress", "email", "mail"),
    Column.SEQUENCE: ("sequencename", "sequence", "cadence", "campaign"),
    Column.STATE: (
        "enrollmentstatus",
        "enrolmentstatus",
        "sequencestatus",
        "sequencestate",
        "status",
        "state",
    ),
    Column.DATE: (
        "statuschangedat",
        "statechangedat",
        "statusdate",
        "lastupdated",
        "updatedat",
        "modifiedat",
        "modifiedon",
        "updatedon",
        "enrolledon",
        "enrolledat",
        "enrollmentdate",
        "date",
        "time",
    ),
    Column.NAME: ("contactname", "fullname", "name"),
    Column.CONTACT_ID: ("contactid",),
}
_NOT_A_NAME = ("sequence", "owner", "user", "company", "enrolledby")


def _some(headers: Sequence[str], shown: int = 12) -> str:
    """The headers for a message: the first dozen, then how many more."""
    if not headers:
        return "none"
    more = f", and {len(headers) - shown:,} more" if len(headers) > shown else ""
    return ", ".join(headers[:shown]) + more


def _squash(text: str) -> str:
    """ "Séquence Name" -> "sequencename": accents, case, spaces and punctuation do not count."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]", "", plain.lower())


def guess_mapping(headers: Sequence[str]) -> dict[Column, int | None]:
    """Column -> header index (None: not found), each header used at most once."""
    squashed = [_squash(h) for h in headers]
    taken: set[int] = set()
    mapping: dict[Column, int | None] = {}
    for column in (Column.CONTACT_ID, Column.EMAIL, Column.SEQUENCE, Column.STATE, Column.DATE):
        mapping[column] = _first_match(squashed, _GUESSES[column], taken)
    mapping[Column.NAME] = _first_match(
        squashed,
        _GUESSES[Column.NAME],
        taken | {i for i, h in enumerate(squashed) if any(w in h for w in _NOT_A_NAME)},
    )
    return mapping


def _first_match(squashed: list[str], words: tuple[str, ...], taken: set[int]) -> int | None:
    for word in words:
        for exact in (True, False):
            for i, header in enumerate(squashed):
                if i not in taken and (header == word if exact else word in header):
                    taken.add(i)
                    return i
    return None


class Severity(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Problem:
    """Something wrong with one row (`line` is the file's line number) or the whole file
    (`line` None)."""

    line: int | None
    severity: Severity
    kind: str  # stable name: bad-email, missing-value, bad-date, unknown-person, unknown-state,...
    message: str

    def text(self) -> str:
        where = f"line {self.line}" if self.line is not None else "file"
        return f"{where}: {self.severity.value}: {self.message}"


@dataclass(frozen=True, slots=True)
class EnrolmentRow:
    """One valid row: a person's state in a sequence at a moment."""

    line: int
    email: str  # lower case
    sequence: str
    state: ResolvedState
    changed_at: datetime  # aware UTC
    name: str = ""
    contact_id: str = ""

    @property
    def key(self) -> tuple[str, str, str, datetime]:
        """What makes two rows the same transition."""
        return (self.email, self.sequence, self.state.raw.lower(), self.changed_at)


# Problems of one kind kept with their message (all are counted).
PROBLEMS_KEPT = 1000
# Rows kept for a preview: the first ROWS_KEPT rows, and up to ROWS_KEPT more with a problem;
# the rest of a file is counted, never held (a 100 MB export has a million rows).
ROWS_KEPT = 1000

# One data row of a file: its line number and its cells.
NumberedRow = tuple[int, Sequence[str]]
RowSource = Callable[[], Iterable[NumberedRow]]


@dataclass
class CheckedExport:
    """The outcome of checking every row: counts of everything, and bounded examples.

    `rows` holds the first ROWS_KEPT rows that will be imported (a small file: all of them),
    `lines_in_error` the first lines in error; `ready_count` and `error_row_count` count them
    all. `shown` is the rows a preview shows (line -> cells): the first ROWS_KEPT, then rows with
    a problem."""

    rows: list[EnrolmentRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    date_decision: OrderDecision | None = None
    date_order: DateOrder = DateOrder.AUTO  # the order actually used
    row_count: int = 0  # data rows in the file
    lines_in_error: set[int] = field(default_factory=set)
    # Every problem counted by (severity, kind); `problems` keeps the first PROBLEMS_KEPT of
    # each kind, so a file of a million repeated rows does not hold a million messages.
    counts: Counter[tuple[Severity, str]] = field(default_factory=Counter)
    ready_count: int = 0  # rows that will be imported
    error_row_count: int = 0  # rows with an error (skipped, or blocking the import)
    warning_row_count: int = 0  # rows with a warning
    shown: dict[int, list[str]] = field(default_factory=dict)

    def add(self, problem: Problem) -> None:
        """Count the problem; keep it while its kind has fewer than PROBLEMS_KEPT, and always
        for a row the preview shows (a shown row never looks "Ready" for want of its
        problem)."""
        key = (problem.severity, problem.kind)
        self.counts[key] += 1
        if self.counts[key] <= PROBLEMS_KEPT or problem.line in self.shown:
            self.problems.append(problem)

    @property
    def error_count(self) -> int:
        return sum(n for (severity, _), n in self.counts.items() if severity is Severity.ERROR)

    @property
    def warning_count(self) -> int:
        return sum(n for (severity, _), n in self.counts.items() if severity is Severity.WARNING)

    @property
    def shown_partly(self) -> bool:
        """Whether the preview shows fewer rows than the file has."""
        return len(self.shown) < self.row_count

    def summary(self, shown: int = 5) -> list[str]:
        """The problems as lines for a terminal: per kind the first `shown`, then how many
        more (errors first), instead of one line per problem."""
        lines: list[str] = []
        order = sorted(self.counts, key=lambda k: (k[0] is not Severity.ERROR, k[1]))
        for severity, kind in order:
            total = self.counts[(severity, kind)]
            same = [p for p in self.problems if p.severity is severity and p.kind == kind]
            lines += [p.text() for p in same[:shown]]
            if total > shown:
                lines.append(
                    f"... and {total - shown:,} more {severity.value}s of this kind ({kind}); "
                    f"{total:,} in all"
                )
        return lines

    @property
    def file_errors(self) -> list[Problem]:
        return [p for p in self.problems if p.line is None and p.severity is Severity.ERROR]

    @property
    def row_errors(self) -> list[Problem]:
        return [p for p in self.problems if p.line is not None and p.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.WARNING]

    def importable(self, *, skip_invalid_rows: bool) -> bool:
        """Whether an import may go ahead: never with a file-level error; with row errors only
        when the person chose to skip those rows (and something is left)."""
        if self.file_errors:
            return False
        if self.error_row_count and not skip_invalid_rows:
            return False
        return self.ready_count > 0


_EMAIL = re.compile(r"^[^@\s<>(),;:\"\[\]]+@[^@\s<>(),;:\"\[\]]+\.[^@\s<>(),;:\"\[\].]{2,}$")


def is_email(text: str) -> bool:
    """A plausible address: one @, a dot in the domain, no spaces or list separators."""
    return bool(_EMAIL.match(text)) and ".." not in text


KnownPeople = Callable[[set[str]], set[str]]


def cell(row: Sequence[str], mapping: dict[Column, int | None], column: Column) -> str:
    """A row's value for `column` (empty when not mapped or the row is short)."""
    index = mapping.get(column)
    return row[index].strip() if index is not None and index < len(row) else ""


def check_export(
    table: Sequence[Sequence[str]],
    mapping: dict[Column, int | None],
    *,
    first_line: int = 1,
    date_order: DateOrder = DateOrder.AUTO,
    zone: tzinfo,
    known_people: KnownPeople | None = None,
) -> CheckedExport:
    """Check every data row of `table` (its first row is the header, on line `first_line` of
    the file; an empty row is a blank line and is skipped). See `check_rows`."""
    headers = list(table[0]) if table else []

    def rows() -> Iterable[NumberedRow]:
        return ((n, row) for n, row in enumerate(table[1:], start=first_line + 1) if row)

    return check_rows(
        rows,
        headers,
        mapping,
        row_count=sum(1 for row in table[1:] if row),
        date_order=date_order,
        zone=zone,
        known_people=known_people,
    )


def check_rows(
    rows: RowSource,
    headers: Sequence[str],
    mapping: dict[Column, int | None],
    *,
    row_count: int,
    date_order: DateOrder = DateOrder.AUTO,
    zone: tzinfo,
    known_people: KnownPeople | None = None,
    decision: OrderDecision | None = None,
    on_row: Callable[[EnrolmentRow], None] | None = None,
    seen: SeenTransitions | None = None,
) -> CheckedExport:
    """Check every data row `rows()` yields, in one pass (two when `decision`, the file's date
    order, is not given), holding only counts and bounded examples: any size of file fits.

    `known_people(emails)` returns those of `emails` that belong to a person Sync Monitor knows;
    None skips that check (nothing to match against). `on_row` receives every row that will be
    imported, in file order (an import writes them as they come). `seen` keeps the digests of
    the transitions found (None: in memory; an import passes one on disk).
    """
    result = CheckedExport(row_count=row_count)
    headers = list(headers)
    _check_columns(result, headers, mapping)
    if result.row_count == 0:
        result.add(Problem(None, Severity.ERROR, "no-rows", "The file has a header but no rows."))
    if result.file_errors:
        return result

    if decision is None:
        decision = decide_order(cell(r, mapping, Column.DATE) for _, r in rows())
    result.date_decision = decision
    order = DateOrder(date_order)
    if order is DateOrder.AUTO:
        if decision.conflict:
            result.add(Problem(None, Severity.ERROR, "date-order", decision.note()))
            return result
        if decision.needs_choice:
            result.add(
                Problem(
                    None,
                    Severity.ERROR,
                    "date-order",
                    decision.note() + " Choose the date order (in the window: Dates; on the "
                    "command line: --date-order dmy or mdy).",
                )
            )
            return result
        order = decision.order or DateOrder.AUTO
    result.date_order = order

    matcher = _Matcher(result, known_people, on_row, seen if seen is not None else SeenInMemory())
    for line, row in rows():
        problems = _row_problems(line, row, headers)
        email = cell(row, mapping, Column.EMAIL).lower()
        sequence = cell(row, mapping, Column.SEQUENCE)
        raw_state = cell(row, mapping, Column.STATE)
        when_text = cell(row, mapping, Column.DATE)
        if not email:
            problems.append(_error(line, "missing-value", "The contact email is empty."))
        elif not is_email(email):
            problems.append(_error(line, "bad-email", f"“{email}” is not an email address."))
        if not sequence:
            problems.append(_error(line, "missing-value", "The sequence is empty."))
        if not raw_state:
            problems.append(_error(line, "missing-value", "The state is empty."))
        nul = [c.label for c in Column if "\x00" in cell(row, mapping, c)] if _has_nul(row) else []
        if nul:
            problems.append(
                _error(
                    line,
                    "nul-character",
                    f"The {' and '.join(nul).lower()} {'holds' if len(nul) == 1 else 'hold'} a "
                    "NUL character (a zero byte), which no name or address has: the file is "
                    "damaged or was saved by a program that writes binary data. Export it "
                    "again, or fix the row.",
                )
            )
        changed_at = None
        try:
            changed_at = parse_export_date(when_text, order, zone)
        except DateError as exc:
            problems.append(_error(line, "bad-date", f"The date is not usable: {exc}."))
        state = resolve_salesmate(raw_state)
        if raw_state and state.state is CanonicalState.UNKNOWN:
            problems.append(
                Problem(
                    line,
                    Severity.WARNING,
                    "unknown-state",
                    f"“{raw_state}” is not a Salesmate state Sync Monitor knows; it is imported "
                    "as Unknown with the text kept.",
                )
            )
        if len(result.shown) < ROWS_KEPT or (problems and len(result.shown) < 2 * ROWS_KEPT):
            result.shown[line] = list(row)
        for problem in problems:
            result.add(problem)
        if any(p.severity is Severity.ERROR for p in problems) or changed_at is None:
            result.error_row_count += 1
            if len(result.lines_in_error) < PROBLEMS_KEPT:
                result.lines_in_error.add(line)
            continue
        if problems:
            matcher.warned.add(line)
        matcher.add(
            EnrolmentRow(
                line,
                email,
                sequence,
                state,
                changed_at,
                cell(row, mapping, Column.NAME),
                cell(row, mapping, Column.CONTACT_ID),
            ),
            list(row),
        )
    matcher.flush()
    result.problems.sort(key=lambda p: (p.line or 0, p.severity != Severity.ERROR))
    return result


class SeenTransitions(Protocol):
    """The transitions earlier lines gave, by digest: where each was first seen."""

    def first_lines(self, digests: Sequence[int]) -> dict[int, int]:
        """digest -> its first line, for those of `digests` already added."""
        ...

    def add(self, firsts: Iterable[tuple[int, int]]) -> None:
        """Note (digest, line) pairs, none of them added before."""
        ...


class SeenInMemory:
    """`SeenTransitions` in a dict: for small files and tests (an import of a file passes one
    on disk, `store.scratch.DigestSet`, so a million rows cost no memory)."""

    def __init__(self) -> None:
        self._lines: dict[int, int] = {}

    def first_lines(self, digests: Sequence[int]) -> dict[int, int]:
        return {d: self._lines[d] for d in digests if d in self._lines}

    def add(self, firsts: Iterable[tuple[int, int]]) -> None:
        self._lines.update(firsts)


class _Matcher:
    """Rows that passed their own checks, matched in batches against the people Sync Monitor
    knows, and against the transitions earlier lines already gave (a repeat is imported once).

    Repeats are found by a 64-bit digest of the transition, kept in `seen` (two different
    transitions sharing a digest is a one in ten million chance for a million rows)."""

    BATCH = 2000

    def __init__(
        self,
        result: CheckedExport,
        known_people: KnownPeople | None,
        on_row: Callable[[EnrolmentRow], None] | None,
        seen: SeenTransitions,
    ) -> None:
        self.result = result
        self.known_people = known_people
        self.on_row = on_row
        self.seen = seen
        self.pending: list[tuple[EnrolmentRow, list[str]]] = []
        self.warned: set[int] = set()  # lines of the pending batch with a warning already

    def add(self, row: EnrolmentRow, cells: list[str]) -> None:
        self.pending.append((row, cells))
        if len(self.pending) >= self.BATCH:
            self.flush()

    def flush(self) -> None:
        result, batch = self.result, self.pending
        self.pending = []
        known = self.known_people({r.email for r, _ in batch}) if self.known_people else None
        # The digest of each row of a known person (None: nobody Sync Monitor knows).
        digests = [_digest(r) if known is None or r.email in known else None for r, _ in batch]
        earlier = self.seen.first_lines(sorted({d for d in digests if d is not None}))
        firsts: dict[int, int] = {}
        for (r, cells), digest in zip(batch, digests, strict=True):
            warned = r.line in self.warned
            if digest is None:
                self._keep(r.line, cells)
                result.add(
                    _error(
                        r.line,
                        "unknown-person",
                        f"No person with the email {r.email} is known to Sync Monitor (not in "
                        "Outreach, Workbooks, Salesmate or an earlier import). Check the "
                        "address, or sync first.",
                    )
                )
                result.error_row_count += 1
                if len(result.lines_in_error) < PROBLEMS_KEPT:
                    result.lines_in_error.add(r.line)
                continue
            first = earlier.get(digest, firsts.get(digest))
            if first is not None:
                self._keep(r.line, cells)
                result.add(
                    Problem(
                        r.line,
                        Severity.WARNING,
                        "duplicate",
                        f"The same transition as line {first}; it is imported once.",
                    )
                )
                result.warning_row_count += not warned
                continue
            firsts[digest] = r.line
            result.warning_row_count += warned
            result.ready_count += 1
            if len(result.rows) < ROWS_KEPT:
                result.rows.append(r)
            if self.on_row is not None:
                self.on_row(r)
        self.seen.add(firsts.items())
        self.warned.clear()

    def _keep(self, line: int, cells: list[str]) -> None:
        if len(self.result.shown) < 2 * ROWS_KEPT:
            self.result.shown[line] = cells


def _digest(row: EnrolmentRow) -> int:
    """A 64-bit digest of the transition (Python's own hash: one check and its import run in
    one process, so the same transition always has the same digest)."""
    return hash(row.key)


def _has_nul(row: Sequence[str]) -> bool:
    return any("\x00" in value for value in row)


def _check_columns(
    result: CheckedExport, headers: list[str], mapping: dict[Column, int | None]
) -> None:
    """File-level problems of the column mapping: a required column missing or out of range
    (errors), a header naming two columns (a warning)."""
    missing = [c for c in REQUIRED if mapping.get(c) is None]
    for column in missing:
        result.add(
            Problem(
                None,
                Severity.ERROR,
                "missing-column",
                f"No column is chosen for “{column.label}” and none of the headers "
                f"({_some(headers)}) looks like one. Choose its column (in the "
                f"window: the column pickers above; on the command line: "
                f"--{column.value.replace('_', '-')}-column).",
            )
        )
    for column, index in mapping.items():
        if index is not None and index >= len(headers):
            result.add(
                Problem(
                    None,
                    Severity.ERROR,
                    "missing-column",
                    f"“{column.label}” is mapped to column {index + 1}, but the file has only "
                    f"{len(headers)} columns.",
                )
            )
    for column, index in mapping.items():
        if index is None or index >= len(headers):
            continue
        same = [i for i, h in enumerate(headers) if _squash(h) == _squash(headers[index])]
        if len(same) > 1:
            result.add(
                Problem(
                    None,
                    Severity.WARNING,
                    "duplicate-column",
                    f"The header “{headers[index]}” names columns "
                    f"{', '.join(str(i + 1) for i in same)}; column {index + 1} is read as "
                    f"“{column.label}”. If that is the wrong one, rename the other, or choose "
                    f"it by its number (--{column.value.replace('_', '-')}-column N).",
                )
            )


def _error(line: int, kind: str, message: str) -> Problem:
    return Problem(line, Severity.ERROR, kind, message)


def _row_problems(line: int, row: Sequence[str], headers: Sequence[str]) -> list[Problem]:
    """A row with more filled fields than the header has columns lost its alignment (a stray
    delimiter), so its values cannot be trusted; fewer fields leave the missing values empty."""
    extra = [v for v in row[len(headers) :] if v.strip()]
    if extra:
        return [
            _error(
                line,
                "extra-fields",
                f"The row has {len(row)} fields but the header has {len(headers)}; a value "
                "probably contains an unquoted delimiter, so its columns cannot be trusted.",
            )
        ]
    return []
