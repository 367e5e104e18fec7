"""The `syncmonitor` command: the GUI with no arguments, headless commands otherwise.

Thin over engine/ and store/: everything the window shows, a script can read.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from syncmonitor import APP_NAME, __version__
from syncmonitor.app.config import Config, load_config
from syncmonitor.app.errors import UserFacingError
from syncmonitor.app.logs import setup_logging
from syncmonitor.app.paths import AppPaths, app_paths
from syncmonitor.cli.connections import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_PARTLY_FAILED,
    EXIT_WRITES_HELD,
    exit_code,
    run_doctor,
    run_plan,
)

EXIT_USAGE, EXIT_NOT_FOUND = 2, 3
__all__ = ["EXIT_FAILED", "EXIT_OK", "EXIT_PARTLY_FAILED", "EXIT_WRITES_HELD", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="syncmonitor",
        description=f"{APP_NAME}: see every sync between Workbooks, Outreach and friends. "
        "With no command, opens the window.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--config",
        type=Path,
        metavar="PATH",
        help="configuration file (default: config.toml in the config folder)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    parser.add_argument("--at-login", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="check this installation end to end (Qt, cache, sandbox, one sync) in a temporary "
        "folder, then exit 0 or 1",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    sync = sub.add_parser("sync", help="sync everything configured")
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

    doctor = sub.add_parser(
        "doctor",
        help="check every connection: one read-only request per resource each enabled feature "
        "needs, each answered OK or with what is wrong and what to do; exit 0 or 1",
    )
    doctor.add_argument("--json", action="store_true", help="print as JSON")

    runs = sub.add_parser("runs", help="the record of every sync run")
    runs.add_argument("--json", action="store_true", help="print as JSON")
    runs.add_argument("--limit", type=int, default=50, help="how many runs, newest first (50)")

    sub.add_parser(
        "daemon",
        help="run the scheduler with no window (for a machine without a desktop); "
        "stops cleanly on SIGTERM or Ctrl+C",
    )

    status = sub.add_parser("status", help="mode, folders, last runs")
    status.add_argument("--json", action="store_true", help="print as JSON")

    people = sub.add_parser("people", help="people and their sequence state history")
    people_sub = people.add_subparsers(dest="people_command", metavar="ACTION", required=True)
    show = people_sub.add_parser("show", help="one person's states and full history")
    show.add_argument("who", metavar="EMAIL", help="email address (or Outreach prospect id)")
    show.add_argument("--json", action="store_true", help="print as JSON")

    from syncmonitor.cli.mappings import add_parser as add_mappings_parser

    add_mappings_parser(sub)
    from syncmonitor.cli.imports import add_parser as add_import_parser

    add_import_parser(sub)  # import salesmate PATH
    queue = sub.add_parser(
        "queue", help="the GatorMail mailshot queue: states, positions, ETAs and problems"
    )
    queue.add_argument("--json", action="store_true", help="print as JSON")

    sandbox = sub.add_parser("sandbox", help="serve the emulated Outreach and Workbooks APIs")
    sandbox.add_argument("--port", type=int, default=0)
    sandbox.add_argument("--seed", type=int, default=1)
    sandbox.add_argument("--people", type=int, default=500)
    sandbox.add_argument("--states-per-person", type=float, default=3.0)
    sandbox.add_argument("--tick", type=float, default=2.0)
    sandbox.add_argument("--changes-per-tick", type=int, default=5)
    sandbox.add_argument("--host", default="127.0.0.1")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(args_list)
    except SystemExit as exc:  # argparse already printed the usage problem
        return int(exc.code or 0) if exc.code in (0, None) else EXIT_USAGE
    if args.self_test:  # before config and logging: it must not touch the user's folders
        from syncmonitor.ui.selftest import main as self_test

        return self_test()
    if args.command == "sandbox":
        from syncmonitor.sandbox.server import main as sandbox_main

        return sandbox_main(args_list[args_list.index("sandbox") + 1 :])
    paths = app_paths()
    try:
        if args.command is None and args.config is None:
            # The window always starts: a broken file is reported in it, on the last good one.
            from syncmonitor.app.settings_store import load_config_safely

            config, config_error = load_config_safely(paths.config_file)
        else:
            config, config_error = load_config(args.config or paths.config_file), None
        if args.config is not None and not args.config.exists():
            raise UserFacingError(
                f"The configuration file {args.config} does not exist.",
                "Check the path, or leave out --config to use the default one.",
            )
        setup_logging(paths, verbose=args.verbose, console=args.command is not None)
        if args.command is None:
            _check_display()
            from syncmonitor.ui.app import run_gui

            return run_gui(config, paths, config_error=config_error, at_login=args.at_login)
        if args.command == "sync":
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
        if args.command == "runs":
            return _runs(paths, as_json=args.json, limit=args.limit)
        if args.command == "doctor":
            return run_doctor(config, paths, as_json=args.json)
        if args.command == "daemon":
            return _daemon(config, paths)
        if args.command == "status":
            return _status(config, paths, as_json=args.json)
        if args.command == "people":
            return _people_show(config, paths, args.who, as_json=args.json)
        if args.command == "mappings":
            from syncmonitor.cli.mappings import run as run_mappings

            return run_mappings(args, paths)
        if args.command == "import":
            from syncmonitor.cli.imports import run as run_import

            return run_import(args, config, paths)
        if args.command == "queue":
            from syncmonitor.cli.queue import run_queue_command

            return run_queue_command(config, paths, as_json=args.json)
    except UserFacingError as exc:
        print(f"{exc.title}: {exc.message}", file=sys.stderr)
        return EXIT_FAILED
    parser.print_help()
    return EXIT_USAGE


class NoDisplayError(UserFacingError):
    """The window cannot be shown: no screen."""

    title = "Cannot open the window"


def _check_display(environ: dict[str, str] | None = None) -> None:
    """On Linux, say what to do when there is no screen, instead of Qt's plugin abort."""
    env = os.environ if environ is None else environ
    if not sys.platform.startswith("linux"):
        return
    if env.get("DISPLAY") or env.get("WAYLAND_DISPLAY") or env.get("QT_QPA_PLATFORM"):
        return
    raise NoDisplayError(
        "There is no display to open the window on (neither DISPLAY nor WAYLAND_DISPLAY is set).",
        "Run it from a desktop session, or with `xvfb-run syncmonitor` on a server; the "
        "headless commands (`syncmonitor sync --once`, `status`, `people show`) need no display.",
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

    services = start_services(config, paths)
    try:
        prospect = _find_prospect(services.database, person) if person else None
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


def _find_prospect(database: Any, who: str) -> int | None:
    from syncmonitor.store.people import find_person

    with database.engine.connect() as conn:
        person = find_person(conn, who)
    return None if person is None else int(person.prospect_id)


def _runs(paths: AppPaths, *, as_json: bool, limit: int) -> int:
    from syncmonitor.store.database import open_database
    from syncmonitor.store.runs import recent_runs

    paths.ensure()
    db = open_database(paths.database_file)
    try:
        with db.engine.connect() as conn:
            runs = recent_runs(conn, max(1, limit))
    finally:
        db.close()
    if as_json:
        print(json.dumps(runs, indent=2, default=str))
        return EXIT_OK
    if not runs:
        print("No sync has run yet: run `syncmonitor sync --once`.")
        return EXIT_OK
    for run in runs:
        duration = f"{run['duration_s']:.1f} s" if run["duration_s"] is not None else "-"
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


def _daemon(config: Config, paths: AppPaths) -> int:
    from syncmonitor.engine.bootstrap import start_services
    from syncmonitor.engine.runs.daemon import run_daemon

    services = start_services(config, paths)
    try:
        return run_daemon(services.service, config)
    finally:
        services.close()


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


def _status(config: Config, paths: AppPaths, *, as_json: bool) -> int:
    from sqlalchemy import func, select

    from syncmonitor.app.credentials import Secret, where_is
    from syncmonitor.store.database import open_database
    from syncmonitor.store.runs import recent_runs
    from syncmonitor.store.schema import prospects, push_outbox, state_history

    paths.ensure()
    db = open_database(paths.database_file)
    try:
        with db.engine.connect() as conn:
            runs = recent_runs(conn, 5)
            counts = {
                "people": conn.execute(select(func.count()).select_from(prospects)).scalar_one(),
                "transitions": conn.execute(
                    select(func.count()).select_from(state_history)
                ).scalar_one(),
                "workbooks_updates_pending": conn.execute(
                    select(func.count()).select_from(push_outbox)
                ).scalar_one(),
            }
    finally:
        db.close()
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
        "counts": counts,
        "last_run": runs[0] if runs else None,
        "recent_runs": runs,
    }
    if as_json:
        print(json.dumps(data, indent=2, default=str))
        return EXIT_OK
    print(f"{APP_NAME} {__version__} — {data['mode']} mode")
    print(f"Cache: {paths.database_file}")
    print(
        f"People: {counts['people']:,}  Transitions: {counts['transitions']:,}  "
        f"Workbooks updates pending: {counts['workbooks_updates_pending']:,}"
    )
    if runs:
        last = runs[0]
        print(f"Last run: {last['started_at']} {last['outcome']}")
        if last["error_title"]:
            print(f"  {last['error_title']}: {last['error_message']}")
    else:
        print("No sync has run yet: run `syncmonitor sync --once`.")
    return EXIT_OK


def _people_show(config: Config, paths: AppPaths, who: str, *, as_json: bool) -> int:
    from syncmonitor.store.database import open_database
    from syncmonitor.store.linked_people import linked_keys, merged_history
    from syncmonitor.store.people import current_states, find_person

    paths.ensure()
    db = open_database(paths.database_file)
    try:
        with db.engine.connect() as conn:
            person = find_person(conn, who)
            if person is None:
                print(
                    f"No person with email or prospect id {who!r} is in the cache. "
                    "Check the spelling, or run `syncmonitor sync --once` first.",
                    file=sys.stderr,
                )
                return EXIT_NOT_FOUND
            # The same person in Outreach and Salesmate (linked by email): one list, one timeline.
            keys = linked_keys(conn, person.provider, person.prospect_id)
            states = [
                (provider, s) for provider, pid in keys for s in current_states(conn, provider, pid)
            ]
            transitions: list[Any] = []
            before = None
            while True:  # the whole history, a window at a time
                window = merged_history(conn, keys, before=before, limit=1000)
                transitions.extend(window)
                if len(window) < 1000:
                    break
                before = window[-1].key
    finally:
        db.close()
    data = {
        "person": {
            "name": person.name,
            "email": person.email,
            "provider": person.provider,
            "prospect_id": person.prospect_id,
            "opted_out": person.opted_out,
            "workbooks_person_id": person.workbooks_person_id,
            "workbooks_sequence_state": person.workbooks_sequence_state,
            "workbooks_no_email": person.workbooks_no_email,
        },
        "current_states": [
            {
                "provider": provider,
                "sequence_state_id": s.sequence_state_id,
                "sequence_id": s.sequence_id,
                "sequence": s.sequence_name,
                "step": s.step_order,
                "step_count": s.step_count,
                "raw_state": s.state.raw,
                "state": s.state.state.value,
                "reason": s.state.reason.value if s.state.reason else None,
                "label": s.state.label,
                "state_changed_at": s.state_changed_at,
            }
            for provider, s in states
        ],
        "history": [
            {
                "provider": t.provider,
                "sequence_state_id": t.sequence_state_id,
                "sequence": t.sequence_name,
                "step": t.step_order,
                "raw_state": t.state.raw,
                "state": t.state.state.value,
                "reason": t.state.reason.value if t.state.reason else None,
                "label": t.state.label,
                "state_changed_at": t.state_changed_at,
                "observed_at": t.observed_at,
            }
            for t in transitions
        ],
    }
    if as_json:
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return EXIT_OK
    print(f"{person.name} <{person.email}>" + (" — opted out" if person.opted_out else ""))
    for provider, s in states:
        print(f"  {s.sequence_name} ({provider}): {s.state.label} since {s.state_changed_at}")
    print(f"History ({len(transitions)} transitions, newest first):")
    for t in transitions:
        step = f" step {t.step_order}" if t.step_order else ""
        print(
            f"  {t.state_changed_at}  {t.provider:<9}  {t.sequence_name}{step}: {t.state.label} "
            f"[{t.state.raw}]"
        )
    return EXIT_OK


logging.getLogger(__name__).addHandler(logging.NullHandler())
