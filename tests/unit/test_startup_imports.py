"""The start-up path stays light: what `syncmonitor` imports before the window's first paint.

The engine, the store (SQLAlchemy, Alembic), the clients (httpx), the team store's driver, the
keyring and every page but the first load behind the window (bench/bench_startup.py measures the
time; this catches an import that brings them back onto the path).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


def test_the_window_modules_load_no_engine_store_or_driver() -> None:
    """What `syncmonitor` imports before its first paint (the rest loads behind the window)."""
    code = (
        "import sys; import syncmonitor.cli, syncmonitor.ui.app; "
        "from syncmonitor.cli import build_parser; build_parser(commands=False); "
        "print(' '.join(sorted(sys.modules)))"
    )
    loaded = set(
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
        ).stdout.split()
    )
    for heavy in (
        "alembic",
        "sqlalchemy",
        "httpx",
        "psycopg",
        "keyring",
        "syncmonitor.engine.bootstrap",
        "syncmonitor.store.database",
        "syncmonitor.connectors",
        "syncmonitor.ui.people.page",
        "syncmonitor.ui.settings.dialog",
    ):
        assert heavy not in loaded, f"{heavy} is loaded before the window shows"


@pytest.mark.parametrize(
    ("args", "window"),
    [
        ([], True),
        (["--at-login"], True),
        (["-v", "--config", "/tmp/x.toml"], True),
        (["--config=/tmp/x.toml", "--self-test"], True),
        (["--config"], False),  # no path: the full parser says what is missing
        (["status"], False),
        (["-v", "sync", "--once"], False),
        (["--help"], False),  # --help lists the commands, so it needs them
        (["--version"], False),
        (["--bogus"], False),
    ],
)
def test_only_a_start_that_names_no_command_skips_the_command_groups(
    args: list[str], window: bool
) -> None:
    from syncmonitor.cli import build_parser, names_no_command

    assert names_no_command(args) is window
    if window:  # the window's parser reads the same options the full one does
        full, light = build_parser().parse_args(args), build_parser(commands=False).parse_args(args)
        assert vars(light) == vars(full)


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["status", "--json"], "status"),
        (["-v", "sync", "--once", "--kind", "inbound"], "sync"),
        (["--config", "sync", "runs", "--json"], "runs"),  # "sync" is --config's path here
        (["--config=x.toml", "people", "list"], "people"),
        (["--verbose", "import", "salesmate", "f.csv", "--dry-run"], "import"),
        (["sandbox", "--seed", "3"], "sandbox"),
        (["--help", "status"], None),  # the whole parser: --help lists every command
        (["bogus", "status"], None),  # the whole parser says which commands there are
        (["-v"], None),
        ([], None),
    ],
)
def test_a_command_is_parsed_with_its_own_module_alone_and_as_the_whole_parser_does(
    args: list[str], named: str | None
) -> None:
    from syncmonitor.cli import build_parser, named_command

    assert named_command(args) == named
    if named is not None:
        full, alone = build_parser().parse_args(args), build_parser(only=named).parse_args(args)
        assert vars(alone) == vars(full)


def test_a_command_loads_no_other_command_module() -> None:
    from syncmonitor.cli import COMMANDS

    probe = (
        "import json, sys\n"
        "from syncmonitor.cli import build_parser, named_command\n"
        "build_parser(only=named_command(['status'])).parse_args(['status', '--json'])\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('syncmonitor.cli.'))))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    loaded = set(json.loads(done.stdout))
    commands = {f"syncmonitor.cli.{module}" for module in COMMANDS.values()}
    assert loaded & commands == {"syncmonitor.cli.status"}
