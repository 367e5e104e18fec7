"""`syncmonitor sync --once`: one sync now, headless, with its result as text or JSON."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from syncmonitor.app.config import Config
from syncmonitor.app.paths import AppPaths
from syncmonitor.cli.connections import exit_code, run_plan
from syncmonitor.cli.exit_codes import EXIT_NOT_FOUND, EXIT_WRITES_HELD


def add_parser(sub: Any) -> None:
    sync = sub.add_parser("sync", help="run a full sync (or an inbound one) now")
    sync.add_argument(
        "--once", action="store_true", required=True, help="run one sync now and exit"
    )
    sync.add_argument("--json", action="store_true", help="print the run's result as JSON")
    sync.add_argument(
        "--kind",
        choices=("inbound", "full"),
        default="full",
        help="inbound: bring remote changes into the cache; full (default): inbound, then "
        "write back to Workbooks",
    )
    sync.add_argument(
        "--person",
        metavar="EMAIL",
        help="sync one person only (email or Outreach prospect id): re-read their Outreach "
        "states and write their Workbooks record",
    )
    sync.add_argument(
        "--dry-run",
        action="store_true",
        help="print what the sync would write to each remote (counts and examples) and write "
        "nothing to either remote or the cache",
    )
    sync.add_argument(
        "--confirm-writes",
        action="store_true",
        help="confirm the first two-way sync to these remotes (see --dry-run), then sync",
    )


def run(args: argparse.Namespace, config: Config, paths: AppPaths) -> int:
    if args.dry_run:
        return run_plan(config, paths, as_json=args.json, kind=args.kind)
    return _sync(
        config,
        paths,
        as_json=args.json,
        kind=args.kind,
        person=args.person,
        confirm=args.confirm_writes,
    )


def _sync(
    config: Config,
    paths: AppPaths,
    *,
    as_json: bool,
    kind: str = "full",
    person: str | None = None,
    confirm: bool = False,
) -> int:
    from syncmonitor.engine.bootstrap import start_services
    from syncmonitor.engine.runs.events import SyncProgress
    from syncmonitor.engine.runs.first_sync import WRITES_HELD_HELP, held_counts

    def show(p: SyncProgress) -> None:
        if not as_json and sys.stderr.isatty():
            print(f"\r{p.message}\033[K", end="", file=sys.stderr, flush=True)

    # On a team store a `sync --once` (cron on the server, a script) syncs itself with this
    # machine's secrets, under the store's lock: refused with who holds it while the daemon syncs.
    services = start_services(config, paths, role="command")
    try:
        found = services.people.find(person) if person else None
        prospect = None if found is None else int(found.prospect_id)
        if person and prospect is None:
            print(
                f"No person with email or prospect id {person!r} is in the cache. Check the "
                "spelling, or run `syncmonitor sync --once` first.",
                file=sys.stderr,
            )
            return EXIT_NOT_FOUND
        if confirm:
            services.service.confirm_writes("command line")
        result = asyncio.run(
            services.service.sync_once(trigger="forced", progress=show, kind=kind, person=prospect)
        )
    finally:
        services.close()
    held = held_counts(result)
    if not as_json and sys.stderr.isatty():
        print(file=sys.stderr)
    if held and not as_json:
        print(WRITES_HELD_HELP, file=sys.stderr)
    if as_json:
        print(json.dumps(_result_json(result), indent=2))
    elif result.ok:
        print(result.summary)
    else:
        print(result.summary, file=sys.stderr)
        if result.outcome.value == "partly_failed":  # which parts ran, which did not
            for job in result.jobs:
                print(f"  {job.sentence()}", file=sys.stderr)
    if held and result.ok:
        return EXIT_WRITES_HELD
    return exit_code(result)


def _result_json(result: Any) -> dict[str, Any]:
    return {
        "run_id": result.run_id,
        "outcome": result.outcome.value,
        "started_at": result.started_at,
        "finished_at": result.finished_at,
        "duration_s": result.duration_s,
        "records_read": result.records_read,
        "records_written": result.records_written,
        "error": (
            {
                "title": result.error_title,
                "message": result.error_message,
                "kind": result.error_kind,
            }
            if result.error_title
            else None
        ),
        "jobs": [job.to_json() for job in result.jobs],
    }
