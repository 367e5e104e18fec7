"""`syncmonitor mappings export PATH` and `syncmonitor mappings import PATH`.

Import is all or nothing: the file is parsed and checked whole (columns, encoding, every rule,
duplicates, options that do not apply, and, when they have been read, the CRM's status API
names and Outreach's stages, exactly), and only then saved, in one transaction. Stage names are
matched to the cached Outreach stages' ids when they are known.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from syncmonitor.app.config import Config
from syncmonitor.app.errors import UserFacingError
from syncmonitor.app.paths import AppPaths
from syncmonitor.domain.mappings.files import describe, export_bytes, file_format, import_bytes
from syncmonitor.domain.mappings.mapping_set import MappingSet
from syncmonitor.domain.mappings.statuses import check_status_mapping, resolve_stages
from syncmonitor.domain.timestamps import format_iso, utc_now

EXIT_OK, EXIT_FAILED = 0, 1


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    mappings = sub.add_parser("mappings", help="export or import the status and field mappings")
    actions = mappings.add_subparsers(dest="mappings_command", metavar="ACTION", required=True)
    for name, text in (
        ("export", "write every mapping to PATH"),
        ("import", "replace every mapping with PATH's (checked whole first)"),
    ):
        action = actions.add_parser(name, help=text)
        action.add_argument("path", type=Path, metavar="PATH")
        action.add_argument(
            "--format", choices=("json", "csv"), help="default: from the file's extension"
        )


def _check_live(conn: Any, mappings: MappingSet, path: Path) -> None:
    """Refuse API names and stages the cached remote values do not have (exact match), with the
    value probably meant; skipped for values never read."""
    from syncmonitor.domain.mappings.files import MappingImportError
    from syncmonitor.store import mappings as store

    stages = store.stages(conn)
    problems = []
    for kind, status in mappings.status.items():
        values = store.statuses(conn, mappings.crm_source, kind)
        for issue in check_status_mapping(status, values, stages):
            if issue.is_error and issue.row is not None:
                problems.append(f"{kind.label} row {issue.row + 1}: {issue.message}")
    if problems:
        raise MappingImportError(
            f"{path} names values the CRM or Outreach does not have (as last read): "
            + "; ".join(problems[:8])
            + (f"; and {len(problems) - 8} more" if len(problems) > 8 else ""),
            "Nothing was imported. Correct the names (they must match exactly), or refresh the "
            "values in the app if they were just created.",
        )


def run(args: argparse.Namespace, paths: AppPaths, config: Config | None = None) -> int:
    from syncmonitor.store import mappings as store
    from syncmonitor.store.database import open_cache

    path: Path = args.path
    fmt = file_format(path.name, args.format)
    paths.ensure()
    db = open_cache((config or Config()).cache, paths.database_file)
    try:
        if args.mappings_command == "export":
            with db.engine.connect() as conn:
                data = export_bytes(store.load_mappings(conn), fmt)
            try:
                path.write_bytes(data)
            except OSError as exc:
                raise UserFacingError(
                    f"Cannot write {path}: {exc.strerror}.", "Choose a folder you can write to."
                ) from exc
            print(f"Exported the mappings to {path} ({fmt.upper()}).")
            return EXIT_OK
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise UserFacingError(
                f"Cannot read {path}: {exc.strerror}.", "Check the path and try again."
            ) from exc
        mappings = import_bytes(data, fmt, source=str(path))
        with db.engine.begin() as conn:
            stages = store.stages(conn)
            _check_live(conn, mappings, path)
            if stages is not None:
                for status in mappings.status.values():
                    mappings = mappings.with_status(resolve_stages(status, stages))
            store.save_mappings(conn, mappings, format_iso(utc_now()))
        print(f"Imported {path}:")
        for line in describe(mappings):
            print(f"  {line}")
        if stages is None:
            print(
                "Outreach stages are not cached yet: open Lead Status in the app (or sync) to "
                "check stage names against Outreach.",
                file=sys.stderr,
            )
        return EXIT_OK
    finally:
        db.close()
