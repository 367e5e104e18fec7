"""Hostile command lines: any arguments give an exit status (0 ok, 1 failed with a reason, 2 usage,
3 not found) and, when it is not 0, something on stderr that says why; never a traceback.

The commands that would run for long (a sync, the daemon, the sandbox, the window, the self-test)
are replaced by recorders: what is fuzzed here is parsing, validation and dispatch, and the quick
commands (status, runs, people, mappings, import) run for real on a scratch folder.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from syncmonitor import cli

SCRATCH = Path(tempfile.mkdtemp(prefix="syncmonitor-cli-fuzz-"))
FILES = {
    "good.csv": b"Email,Sequence,Status,Date\nada@example.com,Nurture,Active,2026-11-02\n",
    "garbage.bin": bytes(range(256)),
    "mappings.json": b'{"format": "syncmonitor-mappings", "version": 1}',
    "config.toml": b"[sync]\ninterval_minutes = 3\n",
}
for name, content in FILES.items():
    (SCRATCH / name).write_bytes(content)
PATHS = [str(SCRATCH / n) for n in FILES] + [str(SCRATCH / "missing.csv"), str(SCRATCH)]

COMMANDS = [
    ["status"],
    ["status", "--json"],
    ["runs"],
    ["runs", "--json", "--limit"],
    ["issues"],
    ["issues", "--json", "--all"],
    ["people", "show"],
    ["people"],
    ["mappings", "export"],
    ["mappings", "import"],
    ["import", "salesmate"],
    ["import", "salesmate", "--dry-run", "--json"],
    ["sync", "--once"],
    ["sync", "--once", "--kind"],
    ["daemon"],
    ["sandbox", "--port"],
    [],
]
tokens = (
    st.sampled_from(
        [
            "--json",
            "--kind",
            "inbound",
            "full",
            "--person",
            "-v",
            "--format",
            "csv",
            "json",
            "--limit",
            "5",
            "-1",
            "0",
            "--config",
            "--date-order",
            "dmy",
            "--timezone",
            "Mars/Olympus",
            "--",
            "--skip-invalid-rows",
            "ada@example.com",
            "\x00",
            "é",
            "--version",
        ]
    )
    | st.sampled_from(PATHS)
    | st.text(max_size=10)
)


@st.composite
def argvs(draw: st.DrawFn) -> list[str]:
    head = draw(st.lists(st.sampled_from(["-v", "--config", PATHS[3]]), max_size=2))
    return head + draw(st.sampled_from(COMMANDS)) + draw(st.lists(tokens, max_size=4))


@pytest.fixture(scope="module")
def quiet_cli() -> Iterator[dict[str, list[Any]]]:
    """The long-running commands replaced by recorders, for the whole module."""
    calls: dict[str, list[Any]] = {"long": []}
    patch = pytest.MonkeyPatch()

    def record(*args: Any, **kwargs: Any) -> int:
        calls["long"].append((args, kwargs))
        return 0

    patch.setattr("syncmonitor.cli.sync._sync", record)
    patch.setattr("syncmonitor.cli.daemon.run", record)
    patch.setattr("syncmonitor.sandbox.server.main", record)
    patch.setattr("syncmonitor.ui.selftest.main", record)
    patch.setattr("syncmonitor.ui.app.run_gui", record)
    patch.setenv("SYNCMONITOR_HOME", str(SCRATCH / "home"))
    yield calls
    patch.undo()
    logging.getLogger().handlers = [
        h for h in logging.getLogger().handlers if not getattr(h, "_syncmonitor", False)
    ]


@settings(max_examples=80, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(argv=argvs())
def test_any_command_line_ends_in_an_exit_status_and_a_reason(
    quiet_cli: dict[str, list[Any]], argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    status = cli.main(argv)
    captured = capsys.readouterr()
    assert status in (0, 1, 2, 3), (argv, status)
    if status != 0:
        assert captured.err.strip(), f"{argv} failed ({status}) without saying why"
    assert "Traceback" not in captured.err + captured.out
