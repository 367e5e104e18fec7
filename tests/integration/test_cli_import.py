"""`syncmonitor import salesmate PATH` run as a script: per-line messages, all or nothing, the
exit codes, --skip-invalid-rows, --dry-run, --json, column options, and Salesmate matching."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from syncmonitor.sandbox.process import SandboxEndpoints, SandboxProcess

MakeSandbox = Callable[..., SandboxEndpoints]


class Cli:
    """`python -m syncmonitor` with its own home folder, configured for one sandbox."""

    def __init__(self, home: Path, endpoints: SandboxEndpoints, *, salesmate: bool) -> None:
        self.home = home
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("SYNCMONITOR_")}
        self.env["SYNCMONITOR_HOME"] = str(home)
        self.env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
        self.env["SYNCMONITOR_OUTREACH_TOKEN"] = endpoints.outreach_token
        self.env["SYNCMONITOR_WORKBOOKS_API_KEY"] = endpoints.workbooks_api_key
        config = (
            "[sync]\nconfirm_writes = true\n"
            f'[outreach]\nbase_url = "{endpoints.outreach_base_url}"\n'
            f'[workbooks]\nbase_url = "{endpoints.workbooks_base_url}"\n'
        )
        if salesmate:
            self.env["SYNCMONITOR_SALESMATE_TOKEN"] = endpoints.salesmate_token
            config += (
                f'[salesmate]\nbase_url = "{endpoints.salesmate_base_url}"\n'
                f'linkname = "{endpoints.salesmate_linkname}"\n'
            )
        path = home / "config" / "config.toml"
        path.parent.mkdir(parents=True)
        path.write_text(config, encoding="utf-8")

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "syncmonitor", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def transitions(self, email: str) -> list[dict[str, Any]]:
        done = self.run("people", "show", email, "--json")
        assert done.returncode == 0, done.stderr
        return list(json.loads(done.stdout)["history"])


@pytest.fixture(scope="module")
def endpoints() -> Iterator[SandboxEndpoints]:
    process = SandboxProcess(seed=9, people=20, tick=0)
    try:
        yield process.start(timeout=60)
    finally:
        process.stop()


@pytest.fixture
def cli(tmp_path: Path, endpoints: SandboxEndpoints) -> Cli:
    made = Cli(tmp_path / "home", endpoints, salesmate=False)
    done = made.run("sync", "--once")
    assert done.returncode == 0, done.stderr
    return made


def people(cli: Cli, count: int) -> list[str]:
    with sqlite3.connect(cli.home / "data" / "cache.sqlite3") as conn:
        rows = conn.execute(
            "select email from prospects where provider='outreach' order by id limit ?", (count,)
        ).fetchall()
    return [r[0] for r in rows]


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def test_all_or_nothing_then_skip_then_idempotent(cli: Cli, tmp_path: Path) -> None:
    ann, bob = people(cli, 2)
    export = write(
        tmp_path / "export.csv",
        "Contact Name;E-mail;Séquence name;Status;Last Updated\n"
        f"Ann;{ann};Relance été;Paused O3;23/11/2026 10:30\n"
        f"Bob;{bob};Relance été;Finished (Opt-out);24/11/2026\n"
        "Zed;zed@nowhere.example;Relance été;Active;24/11/2026\n"
        "Bad;not-an-email;Relance été;Active;24/11/2026\n",
        encoding="cp1252",
    )
    refused = cli.run("import", "salesmate", str(export))
    assert refused.returncode == 1
    err = refused.stderr
    assert "Windows-1252, semicolon-separated" in err
    assert "day first (23/11/2026 10:30" in err
    assert "line 4: error: No person with the email zed@nowhere.example" in err
    assert "line 5: error: “not-an-email” is not an email address." in err
    assert "Nothing was imported: 2 of 4 rows have problems" in err
    assert "--skip-invalid-rows" not in refused.stdout
    assert [t for t in cli.transitions(ann) if t["provider"] == "salesmate"] == []

    done = cli.run("import", "salesmate", str(export), "--skip-invalid-rows")
    assert done.returncode == 0, done.stderr
    assert "Imported 2 rows: 2 new transitions" in done.stdout
    assert "2 rows with problems were skipped" in done.stdout
    assert "line 4: error" in done.stderr  # the skipped lines are still listed
    mine = [t for t in cli.transitions(ann) if t["provider"] == "salesmate"]
    assert [(t["sequence"], t["raw_state"], t["label"]) for t in mine] == [
        ("Relance été", "Paused O3", "Active – Paused (out of office)")
    ]

    again = cli.run("import", "salesmate", str(export), "--skip-invalid-rows")
    assert again.returncode == 0 and "0 new transitions (2 already known)" in again.stdout


def test_dry_run_json_writes_nothing(cli: Cli, tmp_path: Path) -> None:
    (ann,) = people(cli, 1)
    export = write(
        tmp_path / "e.csv", f"Email\tSequence\tState\tDate\n{ann}\tQ4\tActive\t2026-11-20\n"
    )
    done = cli.run("import", "salesmate", str(export), "--dry-run", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["delimiter"] == "\t" and result["dry_run"] is True and result["imported"] is False
    assert result["result"]["new_transitions"] == 1
    assert result["columns"] == {
        "email": "Email",
        "sequence": "Sequence",
        "state": "State",
        "date": "Date",
        "name": None,
        "contact_id": None,
    }
    assert [t for t in cli.transitions(ann) if t["provider"] == "salesmate"] == []


def test_ambiguous_dates_and_column_options(cli: Cli, tmp_path: Path) -> None:
    (ann,) = people(cli, 1)
    export = write(
        tmp_path / "e.csv", f"Who,Cadence,Stage,When\n{ann},Q4,Finished (Replied),03/11/2026\n"
    )
    guessed = cli.run("import", "salesmate", str(export), "--json")
    assert guessed.returncode == 1
    result = json.loads(guessed.stdout)
    # Only "Cadence" looks like a known header: the other three required columns are missing.
    assert [(p["line"], p["kind"]) for p in result["problems"]] == [(None, "missing-column")] * 3
    assert result["columns"]["sequence"] == "Cadence"
    assert result["refused"]["title"] == "Nothing was imported"
    assert "“Contact email”" in result["refused"]["message"]

    wrong = cli.run("import", "salesmate", str(export), "--email-column", "Mail")
    assert wrong.returncode == 1
    assert "--email-column 'Mail' is not a column of the file" in wrong.stderr
    assert "Who, Cadence, Stage, When" in wrong.stderr

    options = ["--email-column", "who", "--state-column", "3", "--date-column", "When"]
    ambiguous = cli.run("import", "salesmate", str(export), *options)
    assert ambiguous.returncode == 1 and "--date-order dmy or mdy" in ambiguous.stderr
    done = cli.run("import", "salesmate", str(export), *options, "--date-order", "mdy")
    assert done.returncode == 0, done.stderr
    (mine,) = [t for t in cli.transitions(ann) if t["provider"] == "salesmate"]
    assert mine["state_changed_at"].startswith("2026-03-1")  # 11 March in the local zone


def test_a_missing_file_says_so(cli: Cli, tmp_path: Path) -> None:
    done = cli.run("import", "salesmate", str(tmp_path / "nope.csv"))
    assert done.returncode == 1
    assert "The file cannot be read: There is no file" in done.stderr


def test_salesmate_contacts_are_matched_when_configured(
    tmp_path: Path, endpoints: SandboxEndpoints
) -> None:
    cli = Cli(tmp_path / "home", endpoints, salesmate=True)
    export = write(
        tmp_path / "e.csv",
        "Email,Sequence,Status,Date\nonly.salesmate1@example.org,Q4,Active,2026-11-20\n",
    )
    done = cli.run("import", "salesmate", str(export), "--timezone", "UTC")
    assert done.returncode == 0, done.stderr
    assert "Salesmate knew 1 of the 1 emails" in done.stderr
    (t,) = cli.transitions("only.salesmate1@example.org")
    assert t["state_changed_at"] == "2026-11-20T00:00:00.000Z"
    offline = cli.run("import", "salesmate", str(export), "--no-salesmate")
    assert offline.returncode == 0  # known now: an earlier import brought the person in
