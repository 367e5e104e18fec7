"""`syncmonitor cache`: the team store's password, and moving a one-person cache into one.

syncmonitor cache password          save the team store's password in the OS keyring
syncmonitor cache copy --to URL     copy this computer's SQLite cache into an empty team store
"""

from __future__ import annotations

import argparse
import getpass
import sys

from syncmonitor.app.config import Config, check_store_url
from syncmonitor.app.credentials import Secret, get_secret, store_secret
from syncmonitor.app.errors import UserFacingError
from syncmonitor.app.paths import AppPaths

EXIT_OK = 0


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cache = sub.add_parser("cache", help="the team store: its password, copying a cache into it")
    actions = cache.add_subparsers(dest="cache_command", metavar="ACTION", required=True)
    actions.add_parser("password", help="save the team store's password in the OS keyring")
    copy = actions.add_parser(
        "copy", help="copy this computer's SQLite cache into an empty team store (PostgreSQL)"
    )
    copy.add_argument(
        "--to",
        required=True,
        metavar="URL",
        help="postgresql+psycopg://USER@HOST:5432/DATABASE (the password from the keyring or "
        "SYNCMONITOR_CACHE_PASSWORD, never in the URL)",
    )


def run(args: argparse.Namespace, config: Config, paths: AppPaths) -> int:
    if args.cache_command == "password":
        value = getpass.getpass("Team store password (not shown): ")
        if not value:
            raise UserFacingError("No password was typed; nothing was saved.", "")
        store_secret(Secret.CACHE_PASSWORD, value)
        print("Saved in the OS keyring (syncmonitor / cache_password).")
        return EXIT_OK
    return _copy(args.to, paths)


def _copy(url: str, paths: AppPaths) -> int:
    from syncmonitor.engine.team.copy import copy_file_to_store

    target_url = check_store_url(url)
    if not paths.database_file.exists():
        raise UserFacingError(
            f"There is no cache to copy at {paths.database_file}.",
            "Run the copy on the computer (and with the SYNCMONITOR_HOME) whose history it is.",
        )
    copied = copy_file_to_store(
        paths.database_file,
        target_url,
        get_secret(Secret.CACHE_PASSWORD),
        lambda table, n: print(f"  {table}: {n:,} rows", file=sys.stderr),
    )
    total = sum(copied.values())
    print(
        f"Copied {total:,} rows in {len(copied)} tables from {paths.database_file} to {target_url}."
    )
    print(f'Point Sync Monitor at it with [cache] url = "{target_url}" in config.toml.')
    return EXIT_OK
