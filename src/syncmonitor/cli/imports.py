"""`syncmonitor import salesmate PATH`: the headless twin of the Salesmate import dialog.

What a person should expect, and gets:
- every problem is printed with its line number (stderr), errors first in each line;
- the import is all or nothing: any row in error means nothing is written and the exit code is 1,
  unless `--skip-invalid-rows` says explicitly to import the other rows (the skipped lines are
  still listed); a problem with the file as a whole (a missing column, dates that could be
  day/month or month/day) is never skipped;
- warnings (a state Salesmate did not document, imported as Unknown; a repeated row) never block;
- `--dry-run` checks and counts everything a real import would write, and writes nothing;
- importing the same or an overlapping file again adds only what is new.

Exit codes: 0 imported (or a dry run that would import), 1 nothing imported, 2 bad arguments.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from syncmonitor.app.config import Config
from syncmonitor.app.errors import UserFacingError
from syncmonitor.app.paths import AppPaths
from syncmonitor.cli.exit_codes import EXIT_FAILED, EXIT_OK
from syncmonitor.domain.export_dates import DateOrder
from syncmonitor.domain.salesmate_export import Column

_COLUMN_OPTIONS = {
    Column.EMAIL: "--email-column",
    Column.SEQUENCE: "--sequence-column",
    Column.STATE: "--state-column",
    Column.DATE: "--date-column",
    Column.NAME: "--name-column",
    Column.CONTACT_ID: "--contact-id-column",
}


class UsageError(UserFacingError):
    """An option the import cannot use."""

    title = "Cannot import"


def add_parser(sub: Any) -> None:
    """Register `import salesmate PATH` on the main parser's subcommands."""
    importer = sub.add_parser("import", help="import data exported from another tool")
    kinds = importer.add_subparsers(dest="import_kind", metavar="KIND", required=True)
    p = kinds.add_parser(
        "salesmate",
        help="Salesmate sequence enrolment export (CSV)",
        description="Import a Salesmate sequence enrolment export. All or nothing: any row with "
        "an error stops the import unless --skip-invalid-rows is given.",
    )
    p.add_argument("path", type=Path, metavar="PATH", help="the CSV file")
    for column, option in _COLUMN_OPTIONS.items():
        p.add_argument(
            option,
            metavar="HEADER",
            help=f"the column holding the {column.label.lower()} (header text or 1-based "
            "number; default: guessed from the headers)",
        )
    p.add_argument(
        "--date-order",
        choices=[o.value for o in DateOrder],
        default="auto",
        help="how to read 03/11/2026: dmy (3 Nov), mdy (11 Mar), or auto (decided from the "
        "file; refuses to guess when every date reads both ways)",
    )
    p.add_argument(
        "--timezone",
        default="local",
        metavar="ZONE",
        help="zone of dates without one: local (this computer's, default), UTC, or a name such "
        "as Europe/London",
    )
    p.add_argument(
        "--skip-invalid-rows",
        action="store_true",
        help="import the rows without errors and skip the others (listed), instead of nothing",
    )
    p.add_argument("--dry-run", action="store_true", help="check and count, write nothing")
    p.add_argument(
        "--no-salesmate",
        action="store_true",
        help="do not ask Salesmate's API about emails the cache does not know",
    )
    p.add_argument("--json", action="store_true", help="print the result as JSON on stdout")


def _zone(text: str) -> tzinfo:
    if text.lower() == "local":
        local = datetime.now().astimezone().tzinfo
        return local if local is not None else UTC
    if text.upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(
            f"{text!r} is not a time zone.", "Use local, UTC or a name such as Europe/London."
        ) from None


def _column(value: str, headers: list[str], option: str) -> int:
    if value.isdigit() and 1 <= int(value) <= len(headers):
        return int(value) - 1
    folded = [h.strip().lower() for h in headers]
    if value.strip().lower() in folded:
        return folded.index(value.strip().lower())
    raise UsageError(
        f"{option} {value!r} is not a column of the file.",
        f"Its columns are: {', '.join(headers)} (or give a number from 1 to {len(headers)}).",
    )


def run(args: argparse.Namespace, config: Config, paths: AppPaths) -> int:
    """Run the import; print problems and the outcome; return the exit code."""
    from syncmonitor.engine.bootstrap import (
        CacheServices,
        open_cache,
        resolve_salesmate,
        start_services,
    )
    from syncmonitor.engine.services.imports import ImportsService

    zone = _zone(args.timezone)
    export = ImportsService.load(args.path)
    mapping = dict(export.guessed)
    for column, option in _COLUMN_OPTIONS.items():
        value = getattr(args, option.removeprefix("--").replace("-", "_"))
        if value:
            mapping[column] = _column(value, export.headers, option)

    cache: CacheServices
    if args.no_salesmate:
        cache = open_cache(paths, config.cache)
    elif config.sandbox_mode and not config.salesmate.base_url:
        cache = start_services(config, paths)  # the sandbox emulates Salesmate
    else:
        cache = open_cache(paths, config.cache, salesmate=resolve_salesmate(config))
    try:
        preview = asyncio.run(
            cache.imports.check(
                export,
                mapping=mapping,
                date_order=DateOrder(args.date_order),
                zone=zone,
            )
        )
        refused: UserFacingError | None = None
        outcome = None
        try:
            outcome = cache.imports.write(
                preview, skip_invalid_rows=args.skip_invalid_rows, dry_run=args.dry_run
            )
        except UserFacingError as exc:
            refused = exc
    finally:
        cache.close()

    checked = preview.checked
    if args.json:
        print(json.dumps(_as_json(preview, outcome, refused), indent=2, ensure_ascii=False))
    else:
        print(f"{export.name}: {export.describe()}.", file=sys.stderr)
        print(_mapping_line(preview), file=sys.stderr)
        if checked.date_decision is not None:
            print(checked.date_decision.note(), file=sys.stderr)
        if preview.salesmate_note:
            print(preview.salesmate_note, file=sys.stderr)
        for line in checked.summary():  # per kind the first few, then how many more
            print(line, file=sys.stderr)
        if refused is not None:
            print(f"{refused.title}: {refused.message}", file=sys.stderr)
        elif outcome is not None:
            print(outcome.summary())
    return EXIT_OK if outcome is not None else EXIT_FAILED


def _mapping_line(preview: Any) -> str:
    headers = preview.export.headers
    parts = []
    for column in Column:
        index = preview.mapping.get(column)
        if index is not None and index < len(headers):
            parts.append(f"{column.label} = “{headers[index]}”")
        elif column.required:
            parts.append(f"{column.label} = (none)")
    return "Columns: " + ", ".join(parts)


def _as_json(preview: Any, outcome: Any, refused: UserFacingError | None) -> dict[str, Any]:
    checked = preview.checked
    headers = preview.export.headers
    return {
        "file": preview.export.name,
        "encoding": preview.export.encoding,
        "delimiter": preview.export.delimiter,
        "rows": checked.row_count,
        "columns": {
            c.value: headers[i]
            if (i := preview.mapping.get(c)) is not None and i < len(headers)
            else None
            for c in Column
        },
        "date_order": checked.date_order.value,
        "date_note": checked.date_decision.note() if checked.date_decision else None,
        "salesmate": preview.salesmate_note or None,
        "problems": [
            {"line": p.line, "severity": p.severity.value, "kind": p.kind, "message": p.message}
            for p in checked.problems
        ],
        "errors": checked.error_count,
        "warnings": checked.warning_count,
        # per kind: how many in all ("problems" lists the first PROBLEMS_KEPT of each kind)
        "problem_counts": {
            f"{severity.value}:{kind}": n for (severity, kind), n in checked.counts.items()
        },
        "imported": outcome is not None and not outcome.dry_run,
        "dry_run": outcome.dry_run if outcome is not None else None,
        "result": None
        if outcome is None
        else {
            "rows_imported": outcome.rows_imported,
            "rows_skipped": outcome.rows_skipped,
            "new_transitions": outcome.counts.transitions,
            "already_known": outcome.counts.already_known,
            "people_added": outcome.counts.people_added,
            "sequences_added": outcome.counts.sequences_added,
            "enrolments_added": outcome.counts.enrolments_added,
            "people_queued_for_workbooks": len(outcome.counts.people_queued),
        },
        "refused": None
        if refused is None
        else {"title": refused.title, "message": refused.message},
    }
