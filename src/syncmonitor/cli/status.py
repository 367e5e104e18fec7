"""`syncmonitor status`: the mode, the folders, the credentials found, the cache's counts and
the last runs."""

from __future__ import annotations

import argparse
import json
from typing import Any

from syncmonitor import APP_NAME, __version__
from syncmonitor.app.config import Config
from syncmonitor.app.paths import AppPaths
from syncmonitor.cli.exit_codes import EXIT_OK


def add_parser(sub: Any) -> None:
    status = sub.add_parser("status", help="mode, folders, last runs")
    status.add_argument("--json", action="store_true", help="print as JSON")


def run(args: argparse.Namespace, config: Config, paths: AppPaths) -> int:
    return _status(config, paths, as_json=args.json)


def _status(config: Config, paths: AppPaths, *, as_json: bool) -> int:
    from syncmonitor.app.credentials import Secret, where_is
    from syncmonitor.engine.bootstrap import open_cache
    from syncmonitor.engine.runs.lock import mark_interrupted
    from syncmonitor.engine.sandbox_controls import read_address

    cache = open_cache(paths, config.cache)
    try:
        runs = mark_interrupted(cache.runs.recent(5), paths.lock_file)
        counts = cache.runs.counts()
        open_issues = cache.issues.count()
        causes = len(cache.issues.groups()) if open_issues else 0
        db = cache.database
        store = {
            "kind": "postgresql" if db.shared else "sqlite",
            "where": db.url or str(db.path),
            "can_sync": db.writable,
            "description": db.description,
        }
    finally:
        cache.close()
    outreach_secrets = (
        [Secret.OUTREACH_CLIENT_SECRET, Secret.OUTREACH_REFRESH_TOKEN]
        if config.outreach.oauth_client_id
        else [Secret.OUTREACH_TOKEN]
    )
    needed = [*outreach_secrets, Secret.WORKBOOKS_API_KEY]
    if config.salesforce.base_url:
        needed.append(Secret.SALESFORCE_TOKEN)
    if config.salesmate.base_url:  # the Salesmate token only matters once Salesmate is set up
        needed.append(Secret.SALESMATE_TOKEN)
    if config.spotler.base_url:  # the mailshot queue's Spotler keys, once Spotler is set up
        needed += [Secret.SPOTLER_CONSUMER_KEY, Secret.SPOTLER_CONSUMER_SECRET]
    secrets_found = {
        s.value: where_is(s).found_in for s in (needed if not config.sandbox_mode else [])
    }
    data = {
        "version": __version__,
        "mode": "sandbox" if config.sandbox_mode else "remote",
        "config_file": str(config.source) if config.source else None,
        "outreach_base_url": config.outreach.base_url,
        "workbooks_base_url": config.workbooks.base_url,
        "credentials": secrets_found,
        "paths": {
            "config": str(paths.config_dir),
            "data": str(paths.data_dir),
            "logs": str(paths.log_dir),
            "cache": str(paths.cache_dir),
            "database": str(paths.database_file),
        },
        "sandbox": read_address(paths.data_dir) if config.sandbox_mode else None,
        "store": store,
        "counts": counts,
        "issues": {"open": open_issues, "causes": causes},
        "last_run": runs[0] if runs else None,
        "recent_runs": runs,
    }
    if as_json:
        print(json.dumps(data, indent=2, default=str))
        return EXIT_OK
    print(f"{APP_NAME} {__version__} — {data['mode']} mode")
    if config.sandbox_mode:
        sandbox = data["sandbox"]
        if isinstance(sandbox, dict):
            print(f"Sandbox: {sandbox['base_url']} (admin switches: {sandbox['admin_url']})")
        else:
            print("Sandbox: not running (it starts with the app or `syncmonitor sync --once`)")
    print(f"Store: {store['description']}")
    print(
        f"People: {counts['people']:,}  Transitions: {counts['transitions']:,}  "
        f"Workbooks updates pending: {counts['workbooks_updates_pending']:,}"
    )
    if open_issues:
        print(
            f"Issues: {open_issues:,} open, {causes:,} {'cause' if causes == 1 else 'causes'} "
            "(`syncmonitor issues` lists them with what to do)"
        )
    if runs:
        last = runs[0]
        print(f"Last run: {last['started_at']} {last['outcome']}")
        if last["error_title"]:
            print(f"  {last['error_title']}: {last['error_message']}")
    else:
        print("No sync has run yet: run `syncmonitor sync --once`.")
    return EXIT_OK
