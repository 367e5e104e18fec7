"""`syncmonitor runs`: the record of every sync run, newest first."""

from __future__ import annotations

import argparse
import json
from typing import Any

from syncmonitor.app.config import Config
from syncmonitor.app.paths import AppPaths
from syncmonitor.cli.exit_codes import EXIT_OK
from syncmonitor.cli.safety import bounded_int
from syncmonitor.domain.durations import duration_text


def add_parser(sub: Any) -> None:
    runs = sub.add_parser("runs", help="the record of every sync run")
    runs.add_argument("--json", action="store_true", help="print as JSON")
    runs.add_argument(
        "--limit",
        type=bounded_int(1, 1_000_000, clamp_low=True),
        default=50,
        help="how many runs, newest first (50)",
    )


def run(args: argparse.Namespace, config: Config, paths: AppPaths) -> int:
    return _runs(config, paths, as_json=args.json, limit=args.limit)


def _runs(config: Config, paths: AppPaths, *, as_json: bool, limit: int) -> int:
    from syncmonitor.engine.bootstrap import open_cache
    from syncmonitor.engine.runs.lock import mark_interrupted

    cache = open_cache(paths, config.cache)
    try:
        runs = cache.runs.recent(limit)
    finally:
        cache.close()
    runs = mark_interrupted(runs, paths.lock_file)
    if as_json:
        print(json.dumps(runs, indent=2, default=str))
        return EXIT_OK
    if not runs:
        print("No sync has run yet: run `syncmonitor sync --once`.")
        return EXIT_OK
    for run in runs:
        duration = duration_text(run["duration_s"])
        target = f" {run['target']}" if run.get("target") else ""
        error = f"  {run['error_title']}" if run["error_title"] else ""
        print(
            f"{run['id']:>5}  {run['started_at']}  {run['kind']:<8}{target} {run['trigger']:<10} "
            f"{duration:>9}  {run['outcome']}{error}"
        )
        if run["outcome"] == "partly_failed":
            for job in run.get("jobs") or []:
                print(f"         {job['label']}: {job['outcome']}")
    return EXIT_OK
