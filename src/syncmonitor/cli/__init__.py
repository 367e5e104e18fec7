"""The `syncmonitor` command: the window with no arguments, headless commands otherwise.

One module per command group, named after its command (`sync`, `runs`, `issues`, `daemon`, `status`,
`people`, `mappings`, `import` in imports.py, `queue`, `sandbox`; `window` for no command), each
with `add_parser(sub)` and `run(args, config, paths)`. They are thin over the engine's services:
everything the window shows, a script can read.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from syncmonitor import APP_NAME, __version__
from syncmonitor.app.config import Config, load_config
from syncmonitor.app.errors import UserFacingError
from syncmonitor.app.logs import setup_logging
from syncmonitor.app.paths import AppPaths, app_paths
from syncmonitor.cli import sandbox, window
from syncmonitor.cli.exit_codes import (
    EXIT_FAILED,
    EXIT_NOT_FOUND,
    EXIT_OK,
    EXIT_PARTLY_FAILED,
    EXIT_USAGE,
    EXIT_WRITES_HELD,
)
from syncmonitor.cli.safety import SafeStream, check_arguments

__all__ = [
    "EXIT_FAILED",
    "EXIT_NOT_FOUND",
    "EXIT_OK",
    "EXIT_PARTLY_FAILED",
    "EXIT_USAGE",
    "EXIT_WRITES_HELD",
    "build_parser",
    "main",
]


class CommandGroup(Protocol):
    """What each command module offers."""

    def add_parser(self, sub: Any) -> None: ...

    def run(self, args: argparse.Namespace, config: Config, paths: AppPaths) -> int: ...


# The command groups in the order `--help` lists them: command name -> its module in cli/.
# A module is imported only when its command is used (or listed): opening the window, which
# names no command, loads none of them (they reach the keyring, the domain's file formats...).
COMMANDS: dict[str, str] = {
    "sync": "sync",
    "doctor": "doctor",
    "runs": "runs",
    "issues": "issues",
    "daemon": "daemon",
    "status": "status",
    "people": "people",
    "mappings": "mappings",
    "import": "imports",
    "queue": "queue",
    "cache": "cache",
}
# The options that only the window (or the self-test) takes; each value is the number of
# arguments that follow it.
WINDOW_OPTIONS = {"--config": 1, "-v": 0, "--verbose": 0, "--at-login": 0, "--self-test": 0}


def command_group(name: str) -> CommandGroup:
    """The module of the command `name` (a key of COMMANDS)."""
    module: CommandGroup = importlib.import_module(f"syncmonitor.cli.{COMMANDS[name]}")
    return module


def names_no_command(args: Sequence[str]) -> bool:
    """True when `args` are only window options (`--config PATH`, `-v`...): the window opens
    and the command groups need not be loaded to read them."""
    rest = list(args)
    while rest:
        arg = rest.pop(0)
        if arg.startswith("--config="):
            continue
        if arg not in WINDOW_OPTIONS:
            return False
        if WINDOW_OPTIONS[arg] and not rest:
            return False  # `--config` without its path: the full parser says so
        del rest[: WINDOW_OPTIONS[arg]]
    return True


def named_command(args: Sequence[str]) -> str | None:
    """The command `args` name after the window's options (`status` in `-v status --json`), or
    None when they name none, or start with an option only the whole parser knows (`--help`)."""
    rest = list(args)
    while rest:
        arg = rest.pop(0)
        if arg.startswith("--config="):
            continue
        if arg in WINDOW_OPTIONS:
            del rest[: WINDOW_OPTIONS[arg]]
            continue
        if arg in COMMANDS or arg == "sandbox":
            return arg
        return None
    return None


def build_parser(*, commands: bool = True, only: str | None = None) -> argparse.ArgumentParser:
    """The whole command line; with `commands` False only the window's options (the same
    ones, the same help texts), for a start that names no command; with `only` a command's
    name, the window's options and that command alone: a command loads its own module, not
    the ten others (together about a fifth of its start-up)."""
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
    if not commands:
        parser.set_defaults(command=None)
        return parser
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        if only is None or name == only:
            command_group(name).add_parser(sub)
    if only is None or only == "sandbox":
        sandbox.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    problem = check_arguments(args_list)
    if problem is not None:
        print(f"syncmonitor: error: {problem}", file=sys.stderr)
        return EXIT_USAGE
    # Remote and imported text (names, states, error messages) reaches the terminal through
    # print(): control characters in it are made visible instead of acted on.
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = SafeStream(sys.stdout), SafeStream(sys.stderr)
    try:
        return _main(args_list)
    finally:
        sys.stdout, sys.stderr = saved


def _main(args_list: list[str]) -> int:
    if names_no_command(args_list):
        parser = build_parser(commands=False)
    else:
        parser = build_parser(only=named_command(args_list))
    try:
        args = parser.parse_args(args_list)
    except SystemExit as exc:  # argparse already printed the usage problem
        return int(exc.code or 0) if exc.code in (0, None) else EXIT_USAGE
    if args.self_test:  # before config and logging: it must not touch the user's folders
        from syncmonitor.ui.selftest import main as self_test

        return self_test()
    if args.command == "sandbox":
        return sandbox.run(args_list)
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
            window.check_display()
            from syncmonitor.ui.app import run_gui  # the one command that opens the window

            return run_gui(config, paths, config_error=config_error, at_login=args.at_login)
        if args.command in COMMANDS:
            return command_group(args.command).run(args, config, paths)
    except UserFacingError as exc:
        print(f"{exc.title}: {exc.message}", file=sys.stderr)
        return EXIT_FAILED
    except Exception as exc:  # a damaged or read-only cache, a full disk: told as such
        from syncmonitor.engine.bootstrap import explain_cache_fault

        cache = explain_cache_fault(exc, paths)
        if cache is None:
            raise
        print(f"{cache.title}: {cache.message}", file=sys.stderr)
        return EXIT_FAILED
    parser.print_help()
    return EXIT_USAGE


# `syncmonitor._check_display` in older tests and scripts: the check now lives in cli/window.py.
_check_display = window.check_display

logging.getLogger(__name__).addHandler(logging.NullHandler())
