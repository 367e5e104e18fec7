"""`syncmonitor` as a script runs it: a child process with SYNCMONITOR_HOME in a temporary folder,
a config.toml pointing at a running sandbox and the secrets in the environment.

Exit codes: 0 ok, 1 failed, 2 usage, 3 not found.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from engine_helpers import read_outreach, read_people

from syncmonitor.sandbox.admin import AdminClient
from syncmonitor.sandbox.process import (
    ENV_OUTREACH_TOKEN,
    ENV_WORKBOOKS_API_KEY,
    SandboxEndpoints,
)

PEOPLE = 100
# Distinctive secrets, so that finding one anywhere cannot be a coincidence.
TOKEN = "tok-OUTREACH-7f3a9c1e5b2d"
API_KEY = "key-WORKBOOKS-4e8b2a6c0d9f"

MakeSandbox = Callable[..., SandboxEndpoints]


@dataclass
class Cli:
    """Runs `python -m syncmonitor` with its own home folder and environment."""

    home: Path
    env: dict[str, str]

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "syncmonitor", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def json(self, *args: str) -> Any:
        done = self.run(*args)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def write_config(self, text: str) -> Path:
        path = self.home / "config" / "config.toml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    def files(self) -> list[Path]:
        return [p for p in self.home.rglob("*") if p.is_file()]


def base_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNCMONITOR_")}
    env["SYNCMONITOR_HOME"] = str(home)
    # Never the machine's real keyring: the secrets come from the environment or nowhere.
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    return env


# The sandbox stands in for a real account here: writes are confirmed as a script would (the
# preview itself is tested below with a configuration without it).
CONFIRMED = "[sync]\nconfirm_writes = true\n"


def config_for(endpoints: SandboxEndpoints, page_size: int = 20, confirmed: bool = True) -> str:
    return (CONFIRMED if confirmed else "") + (
        f'[outreach]\nbase_url = "{endpoints.outreach_base_url}"\npage_size = {page_size}\n'
        f'[workbooks]\nbase_url = "{endpoints.workbooks_base_url}"\n'
    )


@pytest.fixture
def remote(make_sandbox: MakeSandbox) -> SandboxEndpoints:
    return make_sandbox(
        seed=5,
        people=PEOPLE,
        tick=0,
        env={ENV_OUTREACH_TOKEN: TOKEN, ENV_WORKBOOKS_API_KEY: API_KEY},
    )


@pytest.fixture
def cli(tmp_path: Path, remote: SandboxEndpoints) -> Cli:
    """The CLI configured for the sandbox, with the right secrets in its environment."""
    home = tmp_path / "home"
    env = base_env(home)
    env["SYNCMONITOR_OUTREACH_TOKEN"] = TOKEN
    env["SYNCMONITOR_WORKBOOKS_API_KEY"] = API_KEY
    made = Cli(home, env)
    made.write_config(config_for(remote))
    return made


def test_sync_once_json_then_status_json(cli: Cli, remote: SandboxEndpoints) -> None:
    stats = AdminClient(remote.admin_url).stats()

    done = cli.run("sync", "--once", "--json")

    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["outcome"] == "succeeded" and result["error"] is None
    assert result["run_id"] == 1
    assert result["records_read"]["sequence_states"] == stats["sequenceStates"]
    assert result["records_written"]["transitions"] == stats["sequenceStates"]
    assert result["records_read"]["workbooks_people_checked"] == PEOPLE
    assert result["started_at"] <= result["finished_at"]
    assert result["duration_s"] >= 0

    status = cli.json("status", "--json")
    assert status["mode"] == "remote"
    assert status["outreach_base_url"] == remote.outreach_base_url
    assert status["credentials"] == {
        "outreach_token": "environment",
        "workbooks_api_key": "environment",
    }
    assert status["paths"]["database"] == str((cli.home / "data" / "cache.sqlite3").resolve())
    assert status["counts"]["people"] == PEOPLE
    assert status["counts"]["transitions"] == stats["sequenceStates"]
    assert status["counts"]["workbooks_updates_pending"] == len(
        [p for p in read_people(AdminClient(remote.admin_url), PEOPLE).values() if p["is_deleted"]]
    )
    last = status["last_run"]
    assert last["id"] == result["run_id"] and last["outcome"] == "succeeded"
    assert last["records_written"] == result["records_written"]
    assert [r["id"] for r in status["recent_runs"]] == [1]


def test_people_show_json_has_current_states_and_the_full_history(
    cli: Cli, remote: SandboxEndpoints
) -> None:
    admin = AdminClient(remote.admin_url)
    assert cli.run("sync", "--once").returncode == 0
    changes = admin.tick(12)
    assert cli.run("sync", "--once").returncode == 0
    world = read_outreach(remote)
    # Someone whose state changed live: first seen states, then the change.
    change = next(c for c in changes if c["kind"] != "opt_out" and c["state"] != c["previousState"])
    pid = change["prospect"]
    prospect = world.prospects[pid]

    shown = cli.json("people", "show", prospect.email.upper(), "--json")

    assert shown["person"]["prospect_id"] == pid
    assert shown["person"]["email"] == prospect.email
    assert shown["person"]["opted_out"] == prospect.opted_out
    person = admin.person(prospect.person_id)
    if not person["is_deleted"]:
        assert shown["person"]["workbooks_person_id"] == prospect.person_id
        assert shown["person"]["workbooks_sequence_state"] == person["cf_person_sequence_state"]
    states = world.states_of(pid)
    assert sorted(
        (s["sequence_state_id"], s["raw_state"], s["state"], s["reason"], s["state_changed_at"])
        for s in shown["current_states"]
    ) == [
        (
            s.id,
            s.raw,
            s.resolved.state.value,
            s.resolved.reason.value if s.resolved.reason else None,
            s.state_changed_at,
        )
        for s in states
    ]
    history = shown["history"]
    touched = Counter(
        c["sequenceState"] for c in changes if c["kind"] != "opt_out" and c["prospect"] == pid
    )
    # One entry per state from the first sync, one more per state changed since.
    assert Counter(h["sequence_state_id"] for h in history) == Counter(
        [s.id for s in states] + list(touched)
    )
    for entry in history:
        assert entry["raw_state"] and entry["state"] and entry["label"]
        assert entry["state_changed_at"] and entry["observed_at"]
    newest = history[0]
    assert newest["sequence_state_id"] == change["sequenceState"]
    assert newest["raw_state"] == world.states[change["sequenceState"]].raw
    assert newest["state_changed_at"] == world.states[change["sequenceState"]].state_changed_at
    assert [h["state_changed_at"] for h in history] == sorted(
        (h["state_changed_at"] for h in history), reverse=True
    )


def test_people_show_of_someone_unknown_exits_3_and_says_what_to_do(cli: Cli) -> None:
    assert cli.run("sync", "--once").returncode == 0

    done = cli.run("people", "show", "nobody@nowhere.example.com", "--json")

    assert done.returncode == 3
    assert done.stdout == ""
    assert "nobody@nowhere.example.com" in done.stderr
    assert "syncmonitor sync --once" in done.stderr


def test_a_wrong_token_exits_1_with_one_clear_message(cli: Cli, remote: SandboxEndpoints) -> None:
    admin = AdminClient(remote.admin_url)
    cli.env["SYNCMONITOR_OUTREACH_TOKEN"] = "tok-wrong-000000"

    done = cli.run("sync", "--once")

    assert done.returncode == 1
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "Outreach refused the access token" in lines[0]
    assert "SYNCMONITOR_OUTREACH_TOKEN" in lines[0]
    assert "tok-wrong-000000" not in done.stderr
    assert admin.stats()["requests"].get("outreach") == 1  # no retries of a refused token

    as_json = cli.run("sync", "--once", "--json")
    assert as_json.returncode == 1
    error = json.loads(as_json.stdout)
    assert error["outcome"] == "failed"
    assert "Outreach refused the access token" in error["error"]["title"]
    status = cli.json("status", "--json")
    assert [r["outcome"] for r in status["recent_runs"]] == ["failed", "failed"]


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (
            '[outreach]\nbase_url = "http://api.outreach.example.com/api/v2"\n',
            ["[outreach] base_url", "plain http://", "https://"],
        ),
        ('[workbooks]\nbase_url = "https://secure.workbooks.com"\nbatch = 5\n', ["'batch'"]),
        ("[outreach]\npage_size = 5000\n", ["page_size", "5000"]),
    ],
    ids=["plain http to another host", "unknown key", "value out of range"],
)
def test_a_bad_config_exits_1_naming_the_problem(
    cli: Cli, config: str, expected: list[str]
) -> None:
    cli.write_config(config)

    done = cli.run("sync", "--once")

    assert done.returncode == 1
    assert "The configuration file has a problem" in done.stderr
    for text in expected:
        assert text in done.stderr
    assert not (cli.home / "data" / "cache.sqlite3").exists(), "it synced anyway"


def test_a_missing_config_file_exits_1(cli: Cli, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "config.toml"

    done = cli.run("--config", str(missing), "status")

    assert done.returncode == 1
    assert str(missing) in done.stderr and "does not exist" in done.stderr


def test_an_unknown_command_is_a_usage_error(cli: Cli) -> None:
    assert cli.run("synchronise").returncode == 2


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _proc(pid: int, name: str) -> bytes:
    try:
        return (Path("/proc") / str(pid) / name).read_bytes()
    except OSError:
        return b""


def _exec_cmdline(process: subprocess.Popen[str], timeout: float = 20) -> bytes:
    """The child's command line once it has exec'd Python (right after fork /proc shows the
    parent's, or nothing under load)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        cmdline = _proc(process.pid, "cmdline")
        if b"syncmonitor" in cmdline:
            return cmdline
        time.sleep(0.005)
    return _proc(process.pid, "cmdline")


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc")
def test_in_sandbox_mode_sync_once_starts_its_own_sandbox_and_no_secret_leaks(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    cli = Cli(home, base_env(home))
    cli.write_config("[sandbox]\npeople = 150\ntick_seconds = 0\n")
    process = subprocess.Popen(
        [sys.executable, "-m", "syncmonitor", "-v", "sync", "--once", "--json"],
        env=cli.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # Watch the sandbox child while it runs: its secrets are in its environment only.
    seen: dict[int, tuple[bytes, bytes]] = {}
    while process.poll() is None:
        for child in _children(process.pid):
            cmdline, environ = _proc(child, "cmdline"), _proc(child, "environ")
            if b"syncmonitor.sandbox" in cmdline and environ:
                seen[child] = (cmdline, environ)
        time.sleep(0.01)
    out, err = process.communicate(timeout=60)

    assert process.returncode == 0, err
    result = json.loads(out)
    assert result["outcome"] == "succeeded"
    assert result["records_read"]["workbooks_people_checked"] == 150
    assert seen, "the sandbox child was never seen running"
    secrets: list[bytes] = []
    for cmdline, environ in seen.values():
        variables = dict(v.split(b"=", 1) for v in environ.split(b"\0") if b"=" in v)
        for name in (ENV_OUTREACH_TOKEN, ENV_WORKBOOKS_API_KEY):
            secret = variables[name.encode()]
            assert len(secret) >= 16  # fresh random secrets, not the well-known defaults
            assert secret not in cmdline
            secrets.append(secret)
    assert not [pid for pid in seen if Path(f"/proc/{pid}").exists()], "the sandbox outlived it"
    files = cli.files()
    assert any(f.name == "cache.sqlite3" for f in files)
    for path in files:
        data = path.read_bytes()
        for secret in secrets:
            assert secret not in data, f"a sandbox secret is in {path}"
    for secret in secrets:
        assert secret.decode() not in out + err


def test_secrets_never_reach_the_log_the_cache_or_the_command_line(
    cli: Cli, remote: SandboxEndpoints
) -> None:
    admin = AdminClient(remote.admin_url)
    # Retries log the request they retry, and Workbooks reads carry the key in the query string.
    admin.set_faults(target="workbooks", fail_next=2)
    process = subprocess.Popen(
        [sys.executable, "-m", "syncmonitor", "-v", "sync", "--once"],
        env=cli.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    cmdline = _exec_cmdline(process)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    admin.tick(5)
    admin.set_faults(target="outreach", fail_next=1)
    again = cli.run("-v", "sync", "--once")
    assert again.returncode == 0, again.stderr
    out, err = out + again.stdout, err + again.stderr
    assert cli.run("people", "show", "1").returncode == 0

    log = (cli.home / "logs" / "syncmonitor.log").read_text(encoding="utf-8")
    assert "retry" in log, "nothing was logged, so nothing was checked"
    assert "Workbooks: GET" in log and "Outreach: GET" in log
    assert re.search(r"api_key=(REDACTED|\[redacted\])", log)  # the URL was logged, not its key
    assert cmdline and b"syncmonitor" in cmdline
    for secret in (TOKEN, API_KEY):
        assert secret.encode() not in cmdline
        assert secret not in out + err
        for path in cli.files():
            assert secret.encode() not in path.read_bytes(), f"{secret} is in {path}"


# -- Sync kinds, runs and the daemon (issue 5) ----------------------------------------------------


def test_sync_once_kind_inbound_reads_only_and_runs_json_lists_every_run(
    cli: Cli, remote: SandboxEndpoints
) -> None:
    inbound = cli.json("sync", "--once", "--kind", "inbound", "--json")
    assert inbound["outcome"] == "succeeded"
    assert "workbooks_people" not in inbound["records_written"]
    assert AdminClient(remote.admin_url).stats()["requests"].get("workbooks", 0) == 0

    full = cli.json("sync", "--once", "--json")  # the default kind is still full
    assert full["records_written"]["workbooks_people"] > 0

    runs = cli.json("runs", "--json")
    assert [(r["id"], r["kind"], r["trigger"], r["outcome"]) for r in runs] == [
        (2, "full", "forced", "succeeded"),
        (1, "inbound", "forced", "succeeded"),
    ]
    assert runs[1]["records_read"]["sequence_states"] > 0 and runs[0]["duration_s"] >= 0
    text = cli.run("runs")
    assert text.returncode == 0 and "inbound" in text.stdout and "full" in text.stdout
    bad = cli.run("sync", "--once", "--kind", "sideways")
    assert bad.returncode == 2 and "invalid choice" in bad.stderr


def test_sync_once_for_one_person_and_an_unknown_person(cli: Cli, remote: SandboxEndpoints) -> None:
    assert cli.run("sync", "--once").returncode == 0
    email = next(iter(read_outreach(remote).prospects.values())).email
    one = cli.json("sync", "--once", "--person", email, "--json")
    assert one["outcome"] == "succeeded"
    assert one["records_read"]["sequence_states"] >= 1
    assert cli.json("runs", "--json")[0]["target"].startswith("person:")
    missing = cli.run("sync", "--once", "--person", "nobody@example.invalid")
    assert missing.returncode == 3 and "No person" in missing.stderr


def test_the_daemon_syncs_on_its_schedule_and_stops_cleanly_on_sigterm(
    cli: Cli, remote: SandboxEndpoints
) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "syncmonitor", "daemon"],
        env=cli.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        runs: list[Any] = []
        while time.monotonic() < deadline and not runs:  # never synced: it runs at once
            time.sleep(0.3)
            done = cli.run("runs", "--json")
            runs = json.loads(done.stdout) if done.returncode == 0 else []
            runs = [r for r in runs if r["outcome"] != "running"]
        assert runs and runs[0]["trigger"] == "scheduled" and runs[0]["kind"] == "full"
        process.terminate()
        _out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert "full scheduled: Synced in" in err
    assert "next full sync at" in err


def test_a_partly_failed_sync_exits_4_and_runs_json_shows_every_part(
    cli: Cli, remote: SandboxEndpoints
) -> None:
    admin = AdminClient(remote.admin_url)
    admin.outreach_scopes(["calls.read"])  # a token made without the calls.read scope

    done = cli.run("sync", "--once")

    assert done.returncode == 4, done.stderr
    assert "partly failed" in done.stderr and "Calls into Workbooks" in done.stderr
    assert "calls.read" in done.stderr  # the remote's own words
    assert "Sequence states into Workbooks: succeeded" in done.stderr

    runs = cli.json("runs", "--json")
    jobs = {j["job"]: j for j in runs[0]["jobs"]}
    assert runs[0]["outcome"] == "partly_failed"
    assert jobs["workbooks.calls"]["outcome"] == "failed"
    assert jobs["workbooks.calls"]["error"]["service"] == "Outreach"
    assert jobs["outreach.pull"]["outcome"] == "succeeded"
    assert jobs["outreach.pull"]["read"]["sequence_states"] > 0

    admin.outreach_scopes([])
    assert cli.run("sync", "--once").returncode == 0


def test_doctor_prints_one_line_per_resource_and_names_a_missing_scope(
    cli: Cli, remote: SandboxEndpoints
) -> None:
    ok = cli.run("doctor")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "Every connection works." in ok.stdout
    assert any(line.startswith("Outreach") and "calls" in line for line in ok.stdout.splitlines())

    AdminClient(remote.admin_url).outreach_scopes(["tasks.read"])
    done = cli.run("doctor")
    assert done.returncode == 1
    [line] = [x for x in done.stdout.splitlines() if "Missing permission" in x]
    assert line.startswith("Outreach") and " tasks " in line and "tasks.read" in line
    checks = json.loads(cli.run("doctor", "--json").stdout)["checks"]
    assert [c["resource"] for c in checks if not c["ok"]] == ["tasks"]
    assert TOKEN not in done.stdout + done.stderr


def test_the_first_two_way_sync_writes_nothing_until_confirmed_and_dry_run_shows_the_plan(
    cli: Cli, remote: SandboxEndpoints
) -> None:
    cli.write_config(config_for(remote, confirmed=False))  # as a real account is set up
    admin = AdminClient(remote.admin_url)
    before = read_people(admin, PEOPLE)

    plan = cli.run("sync", "--once", "--dry-run")
    assert plan.returncode == 0, plan.stderr
    assert "nothing has been written" in plan.stdout
    assert "Workbooks: " in plan.stdout and " people updated (e.g. #" in plan.stdout
    as_json = json.loads(cli.run("sync", "--once", "--dry-run", "--json").stdout)
    writes = {(w["remote"], w["objects"], w["action"]): w for w in as_json["writes"]}
    people = writes[("Workbooks", "people", "update")]
    assert people["count"] > 0 and people["examples"]
    assert read_people(admin, PEOPLE) == before  # the dry runs wrote nothing
    assert cli.json("runs", "--json") == []  # nor to the cache

    held = cli.run("sync", "--once")
    assert held.returncode == 5, held.stderr
    assert "--confirm-writes" in held.stderr and "--dry-run" in held.stderr
    assert read_people(admin, PEOPLE) == before  # it read, and wrote nothing back
    jobs = {j["job"]: j for j in cli.json("runs", "--json")[0]["jobs"]}
    assert jobs["outreach.pull"]["outcome"] == "succeeded"
    assert jobs["workbooks.push"]["outcome"] == "off"
    assert "confirmation" in jobs["workbooks.push"]["reason"]

    done = cli.run("sync", "--once", "--confirm-writes")
    assert done.returncode == 0, done.stderr
    assert read_people(admin, PEOPLE) != before
    assert cli.run("sync", "--once").returncode == 0  # confirmed once, for these remotes
