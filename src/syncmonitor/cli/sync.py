"""`syncmonitor sync --once`: one sync now, headless, with its result as text or JSON."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from syncmonitor.app.config import Config
from syncmonitor.app.paths import AppPaths
from syncmonitor.cli.exit_codes import EXIT_FAILED, EXIT_NOT_FOUND, EXIT_OK


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


def run(args: argparse.Namespace, config: Config, paths: AppPaths) -> int:
    return _sync(config, paths, as_json=args.json, kind=args.kind, person=args.person)


def _sync(
    config: Config, paths: AppPaths, *, as_json: bool, kind: str = "full", person: str | None = None
) -> int:
    from syncmonitor.engine.bootstrap import start_services
    from syncmonitor.engine.runs.events import SyncProgress

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
        result = asyncio.run(
            services.service.sync_once(trigger="forced", progress=show, kind=kind, person=prospect)
        )
    finally:
        services.close()
    if not as_json and sys.stderr.isatty():
        print(file=sys.stderr)
    if as_json:
        print(json.dumps(_result_json(result), indent=2))
    elif result.ok:
        print(result.summary)
    else:
        print(result.summary, file=sys.stderr)
    return EXIT_OK if result.ok else EXIT_FAILED


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
    }
