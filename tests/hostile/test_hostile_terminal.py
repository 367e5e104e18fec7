"""What reaches the terminal: no control sequence from remote or imported text, and no
traceback for an argument that cannot be represented (review-reliability.md, 1a and 1b)."""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from reliability_log import record
from syncmonitor.cli.safety import SafeStream, terminal_safe

EVIL = "Evil\x1b]0;pwned\x07\x1b[31mRED\x1b[0m\u202eesrever"


def env_for(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNCMONITOR_")}
    env.update(SYNCMONITOR_HOME=str(home), PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    return env


def run(home: Path, *args: str | bytes) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "syncmonitor", *args],
        env=env_for(home),
        capture_output=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("synced")
    (home / "config").mkdir()
    (home / "config" / "config.toml").write_text("[sandbox]\npeople = 200\n", encoding="utf-8")
    assert run(home, "sync", "--once", "--kind", "inbound").returncode == 0
    return home


def test_terminal_safe_makes_every_steering_character_visible() -> None:
    safe = terminal_safe(EVIL + "\r\x9b\udcff")
    assert not any(ord(c) < 32 or 0x7F <= ord(c) <= 0x9F for c in safe)
    assert "\u202e" not in safe and "\udcff" not in safe
    assert "\\u001b]0;pwned\\u0007" in safe
    out = io.StringIO()
    SafeStream(out).write(json.dumps({"name": "\u202e\x9b"}, ensure_ascii=False))
    assert json.loads(out.getvalue()) == {"name": "\u202e\x9b"}  # the same JSON, made safe


def test_an_imported_escape_sequence_never_reaches_the_terminal(
    synced: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    shutil.copytree(synced, home)
    with sqlite3.connect(home / "data" / "cache.sqlite3") as db:
        email = db.execute("SELECT email FROM prospects WHERE email != '' LIMIT 1").fetchone()[0]
    export = tmp_path / "evil.csv"
    export.write_text(
        f"Email,Sequence,State,Date\n{email},{EVIL},Active,2026-03-01 10:00\n", encoding="utf-8"
    )
    done = run(home, "import", "salesmate", str(export), "--no-salesmate", "--timezone", "UTC")
    assert done.returncode == 0, done.stderr.decode()
    shown = run(home, "people", "show", email)
    assert shown.returncode == 0
    assert b"\x1b" not in shown.stdout and b"\x07" not in shown.stdout
    assert "\u202e".encode() not in shown.stdout
    assert b"Evil\\u001b]0;pwned\\u0007" in shown.stdout
    as_json = run(home, "people", "show", email, "--json")
    sequences = [s["sequence"] for s in json.loads(as_json.stdout)["current_states"]]
    assert EVIL in sequences  # the data itself is kept as it came
    for command in (("runs",), ("queue",), ("status",)):
        out = run(home, *command)
        assert b"\x1b" not in out.stdout + out.stderr
    record("terminal", "ESC, BEL and RLO in an imported sequence name", raw_escapes_shown=0)


@pytest.mark.parametrize(
    ("args", "exit_code", "words"),
    [
        (("runs", "--limit", "1e23"), 2, b"not a whole number"),
        (("runs", "--limit", "100000000000000000000000"), 2, b"more than the 1,000,000 allowed"),
        (("runs", "--limit", "0x10"), 2, b"not a whole number"),
        (("runs", "--limit", "-5"), 0, b""),
        (("people", "show", "99999999999999999999999999"), 3, b"No person"),
        (("people", "show", "\u00b2"), 3, b"No person"),
        (("people", "show", b"\xff"), 2, b"not valid text"),
    ],
    ids=[
        "1e23",
        "a 24-digit limit",
        "hex",
        "negative",
        "26-digit id",
        "superscript",
        "undecodable byte",
    ],
)
def test_an_argument_that_cannot_be_represented_is_a_usage_message(
    synced: Path, args: tuple[str | bytes, ...], exit_code: int, words: bytes
) -> None:
    done = run(synced, *args)
    said = done.stdout + done.stderr
    assert done.returncode == exit_code, said[-2000:]
    assert b"Traceback" not in said
    assert words in said
