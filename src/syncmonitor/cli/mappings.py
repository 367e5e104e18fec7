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

from syncmonitor.app.config import Config
from syncmonitor.app.errors import UserFacingError
from syncmonitor.app.paths import AppPaths
from syncmonitor.cli.exit_codes import EXIT_OK
from syncmonitor.domain.mappings.files import describe, export_bytes, file_format, import_bytes

# Thousands of rules fit in a few hundred kilobytes; a bigger file is something else.
MAX_MAPPING_FILE_BYTES = 20 * 1024 * 1024


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


def run(args: argparse.Namespace, config: Config, paths: AppPaths) -> int:
    from syncmonitor.engine.bootstrap import open_cache

    path: Path = args.path
    fmt = file_format(path.name, args.format)
    cache = open_cache(paths, config.cache)
    try:
        if args.mappings_command == "export":
            data = export_bytes(cache.mappings.load().mappings, fmt)
            try:
                path.write_bytes(data)
            except OSError as exc:
                raise UserFacingError(
                    f"Cannot write {path}: {exc.strerror}.", "Choose a folder you can write to."
                ) from exc
            print(f"Exported the mappings to {path} ({fmt.upper()}).")
            return EXIT_OK
        try:
            if path.exists() and not path.is_file():  # a FIFO would block, /dev/zero never end
                raise UserFacingError(
                    f"Cannot read {path}: it is not a regular file.", "Choose the mapping file."
                )
            if path.stat().st_size > MAX_MAPPING_FILE_BYTES:
                raise UserFacingError(
                    f"Cannot read {path}: it is larger than a mapping file can be "
                    f"({MAX_MAPPING_FILE_BYTES // (1024 * 1024)} MB).",
                    "Check that this is the right file.",
                )
            data = path.read_bytes()
        except OSError as exc:
            raise UserFacingError(
                f"Cannot read {path}: {exc.strerror}.", "Check the path and try again."
            ) from exc
        mappings = import_bytes(data, fmt, source=str(path))
        # Checked against the values last read (all or nothing), then saved.
        mappings, stages_known = cache.mappings.import_checked(mappings, str(path))
        print(f"Imported {path}:")
        for line in describe(mappings):
            print(f"  {line}")
        if not stages_known:
            print(
                "Outreach stages are not cached yet: open Lead Status in the app (or sync) to "
                "check stage names against Outreach.",
                file=sys.stderr,
            )
        return EXIT_OK
    finally:
        cache.close()
