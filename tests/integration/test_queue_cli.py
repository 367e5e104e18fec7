"""`syncmonitor queue [--json]` as a script runs it, against a running sandbox."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from gatormail_helpers import LONG_NAME, GatorMailSandbox, start_gatormail

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def gatormail() -> Iterator[GatorMailSandbox]:
    yield from start_gatormail()


def run(home: Path, env_extra: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNCMONITOR_")}
    env.update(SYNCMONITOR_HOME=str(home), PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "-m", "syncmonitor", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
    )


def configure(home: Path, gatormail: GatorMailSandbox, spotler: bool = True) -> None:
    ep = gatormail.endpoints
    text = f'[sync]\nconfirm_writes = true\n[workbooks]\nbase_url = "{ep.workbooks_base_url}"\n'
    if spotler:
        text += f'[spotler]\nbase_url = "{ep.spotler_base_url}"\n'
    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "config" / "config.toml").write_text(text, encoding="utf-8")


def secrets(gatormail: GatorMailSandbox, secret: str | None = None) -> dict[str, str]:
    ep = gatormail.endpoints
    return {
        "SYNCMONITOR_WORKBOOKS_API_KEY": ep.workbooks_api_key,
        "SYNCMONITOR_SPOTLER_CONSUMER_KEY": ep.spotler_consumer_key,
        "SYNCMONITOR_SPOTLER_CONSUMER_SECRET": secret or ep.spotler_consumer_secret,
    }


def test_queue_json_shows_states_positions_etas_and_the_problem(
    tmp_path: Path, gatormail: GatorMailSandbox
) -> None:
    (long_id,) = gatormail.create(name=LONG_NAME)
    behind = gatormail.create(count=2)
    gatormail.wait_for(lambda: gatormail.state()["syncing"] == long_id)
    configure(tmp_path, gatormail)
    done = run(tmp_path, secrets(gatormail), "queue", "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["problem"]["code"] == "blocked"
    assert data["problem"]["message"].startswith('2 mailshots are waiting behind "')
    queued = [m for m in data["mailshots"] if m["position"] is not None]
    assert [(m["id"], m["state"], m["position"]) for m in queued] == [
        (long_id, "blocked", 1),
        (behind[0], "waiting", 2),
        (behind[1], "waiting", 3),
    ]
    assert queued[0]["name_length"] == 101
    assert all(m["eta_s"] is None and m["eta_inferred"] for m in queued)
    assert {m["state"] for m in data["mailshots"]} >= {"arrived", "blocked", "waiting"}
    # No API reads the key or the switch: each is said to be so, with where to look.
    assert data["api_key"] is None and data["integration_running"] is None
    notes = " ".join(n["message"] for n in data["notes"])
    assert "Start > Configuration > Automation > API Keys" in notes
    assert "Tools > Integration > General" in notes
    assert queued[1]["workbooks_status"] == "Queued" and queued[1]["status_means"] == "queued"
    assert "Inferred" in data["sources"]["eta"] and "campaign/list" in data["sources"]["arrived"]
    for secret in secrets(gatormail).values():
        assert secret not in done.stdout and secret not in done.stderr


def test_queue_text_names_the_blocker(tmp_path: Path, gatormail: GatorMailSandbox) -> None:
    (long_id,) = gatormail.create(name=LONG_NAME)
    gatormail.wait_for(lambda: gatormail.state()["syncing"] == long_id)
    configure(tmp_path, gatormail)
    done = run(tmp_path, secrets(gatormail), "queue")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("PROBLEM: No other mailshot is waiting behind")
    assert "1 mailshot(s) in the GatorMail queue" in done.stdout


def test_wrong_oauth_keys_fail_with_a_clear_message(
    tmp_path: Path, gatormail: GatorMailSandbox
) -> None:
    configure(tmp_path, gatormail)
    done = run(tmp_path, secrets(gatormail, secret="wrong-secret"), "queue", "--json")
    assert done.returncode == 1
    data = json.loads(done.stdout)  # what Workbooks said is still shown
    assert data["mailshots"]
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("Not updated: arrivals in GatorMail")
    assert "Spotler refused the OAuth consumer key" in line
    assert "SYNCMONITOR_SPOTLER_CONSUMER_SECRET" in line


def test_spotler_not_configured_says_what_to_set(
    tmp_path: Path, gatormail: GatorMailSandbox
) -> None:
    configure(tmp_path, gatormail, spotler=False)
    done = run(tmp_path, secrets(gatormail), "queue")
    assert done.returncode == 1
    assert "Spotler is not configured" in done.stderr and "[spotler] base_url" in done.stderr


def test_a_missing_spotler_secret_is_named(tmp_path: Path, gatormail: GatorMailSandbox) -> None:
    configure(tmp_path, gatormail)
    env = secrets(gatormail)
    del env["SYNCMONITOR_SPOTLER_CONSUMER_SECRET"]
    done = run(tmp_path, env, "queue")
    assert done.returncode == 1
    assert "Spotler consumer secret is not set" in done.stderr


def test_sandbox_mode_reads_the_built_in_queue(tmp_path: Path) -> None:
    done = run(tmp_path, {}, "queue", "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["mailshots"] and data["api_key"] is None


def test_an_unseen_status_and_a_migrating_workbooks_are_one_line_each(
    tmp_path: Path, gatormail: GatorMailSandbox
) -> None:
    configure(tmp_path, gatormail)
    (odd,) = gatormail.create(name="Odd one", status="Draft")
    gatormail.workbooks_write_status(odd, "Held for review")
    done = run(tmp_path, secrets(gatormail), "queue")
    assert done.returncode == 0, done.stderr
    notes = [line for line in done.stdout.splitlines() if line.startswith("NOTE:")]
    assert any("“Held for review” is new to Sync Monitor" in line for line in notes)
    assert "Odd one [Held for review]" in done.stdout
    gatormail.settings(workbooks_migrating=True)
    try:
        done = run(tmp_path, secrets(gatormail), "queue")
    finally:
        gatormail.settings(workbooks_migrating=False)
    assert done.returncode == 1
    assert "database_being_migrated" in done.stderr
    assert "Nothing is wrong with the API key" in done.stderr
