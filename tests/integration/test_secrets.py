"""No credential ever lands where it should not: a full sync (Outreach over OAuth with renewals,
Workbooks with retries), a Salesmate import matched through its API, the mapping sources read
from Salesforce, and runs with wrong credentials, all with distinctive fake secrets; then every
file in the app's folders (cache with its WAL, config, logs, exports), everything printed, and
every process's command line is searched for them. Access and refresh tokens the sandbox issues
start with `sbx-at-` / `sbx-rt-`, so the renewed ones are searched for too, unseen.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_cli import Cli, MakeSandbox, base_env

from reliability_log import record
from syncmonitor.app.config import load_config
from syncmonitor.app.logs import setup_logging
from syncmonitor.app.paths import app_paths
from syncmonitor.engine.mappings.sources import SourceRemotes, refresh_sources
from syncmonitor.sandbox.admin import AdminClient
from syncmonitor.sandbox.outreach_oauth import ENV_CLIENT_SECRET, ENV_REFRESH_TOKEN
from syncmonitor.sandbox.process import (
    ENV_SALESFORCE_TOKEN,
    ENV_SALESMATE_TOKEN,
    ENV_WORKBOOKS_API_KEY,
    SandboxEndpoints,
)
from syncmonitor.store.database import open_database

pytestmark = pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs /proc")

SECRETS = {
    "outreach client secret": "ocs-SECRET-51c7e0a2",
    "outreach refresh token": "ort-SECRET-8d2f61b9",
    "workbooks api key": "wak-SECRET-3a90c4de",
    "salesforce token": "sft-SECRET-77e1b05a",
    "salesmate token": "smt-SECRET-c6a2f813",
}
WRONG = {"workbooks api key": "wak-WRONG-0f3e9b27", "salesmate token": "smt-WRONG-1d5a7c40"}
ISSUED_PREFIXES = ("sbx-at-", "sbx-rt-")  # tokens the sandbox's OAuth endpoint hands out


def _config(e: SandboxEndpoints) -> str:
    return (
        "[sync]\nconfirm_writes = true\n"
        f'[outreach]\nbase_url = "{e.outreach_base_url}"\npage_size = 25\n'
        'oauth_client_id = "sandbox-client"\n'
        f'[workbooks]\nbase_url = "{e.workbooks_base_url}"\n'
        f'[salesforce]\nbase_url = "{e.salesforce_base_url}"\n'
        f'[salesmate]\nbase_url = "{e.salesmate_base_url.removesuffix("/apis")}"\n'
        f'linkname = "{e.salesmate_linkname}"\n'
    )


def _env(home: Path, **overrides: str) -> dict[str, str]:
    env = base_env(home)
    env["SYNCMONITOR_OUTREACH_CLIENT_SECRET"] = SECRETS["outreach client secret"]
    env["SYNCMONITOR_OUTREACH_REFRESH_TOKEN"] = SECRETS["outreach refresh token"]
    env["SYNCMONITOR_WORKBOOKS_API_KEY"] = overrides.get("workbooks", SECRETS["workbooks api key"])
    env["SYNCMONITOR_SALESFORCE_TOKEN"] = SECRETS["salesforce token"]
    env["SYNCMONITOR_SALESMATE_TOKEN"] = overrides.get("salesmate", SECRETS["salesmate token"])
    return env


def _run(cli: Cli, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, bytes]:
    """Run a command, watching its command line while it runs: (exit, output, command line)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "syncmonitor", *args],
        env=env or cli.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    cmdline = b""
    deadline = time.monotonic() + 20
    while process.poll() is None and time.monotonic() < deadline and b"syncmonitor" not in cmdline:
        try:
            cmdline = (Path("/proc") / str(process.pid) / "cmdline").read_bytes()
        except OSError:
            break
        time.sleep(0.005)
    out, err = process.communicate(timeout=300)
    return process.returncode, out + err, cmdline


def test_no_secret_reaches_a_file_an_output_or_a_command_line(
    tmp_path: Path, make_sandbox: MakeSandbox
) -> None:
    remote = make_sandbox(
        seed=21,
        people=120,
        tick=0,
        env={
            ENV_CLIENT_SECRET: SECRETS["outreach client secret"],
            ENV_REFRESH_TOKEN: SECRETS["outreach refresh token"],
            ENV_WORKBOOKS_API_KEY: SECRETS["workbooks api key"],
            ENV_SALESFORCE_TOKEN: SECRETS["salesforce token"],
            ENV_SALESMATE_TOKEN: SECRETS["salesmate token"],
        },
    )
    home = tmp_path / "home"
    cli = Cli(home, _env(home))
    cli.write_config(_config(remote))
    admin = AdminClient(remote.admin_url)
    # Access tokens die during the (slowed) sync, so renewals happen; early failures make the
    # client log the requests it retries.
    admin.oauth(token_lifetime_s=1)
    admin.set_faults(target="all", latency_ms=40, fail_next=2)

    outputs: list[str] = []
    cmdlines: list[bytes] = []

    def run(*args: str, env: dict[str, str] | None = None, ok: bool = True) -> None:
        code, text, cmdline = _run(cli, *args, env=env)
        if ok:
            assert code == 0, text
        outputs.append(text)
        cmdlines.append(cmdline)

    run("-v", "sync", "--once", "--json")
    assert admin.oauth()["refreshes"] >= 2, "the access token was never renewed mid-sync"
    admin.clear_faults()

    with sqlite3.connect(home / "data" / "cache.sqlite3") as conn:
        emails = [r[0] for r in conn.execute("SELECT email FROM prospects LIMIT 30")]
    export = tmp_path / "salesmate.csv"
    export.write_text(
        "Email,Sequence,Status,Date\n"
        + "".join(f"{e},Nurture,Active,2026-11-0{1 + i % 9}\n" for i, e in enumerate(emails)),
        encoding="utf-8",
    )
    run("-v", "import", "salesmate", str(export))
    run("status", "--json")
    run("runs", "--json")
    run("people", "show", emails[0])
    run("mappings", "export", str(home / "mappings.json"))
    # Wrong credentials: the errors name the problem, never the value that was tried.
    run("-v", "sync", "--once", env=_env(home, workbooks=WRONG["workbooks api key"]), ok=False)
    run(
        "-v",
        "import",
        "salesmate",
        str(export),
        env=_env(home, salesmate=WRONG["salesmate token"]),
        ok=False,
    )

    # The mapping sources, Salesforce included, read in this process with the app's logging.
    os.environ["SYNCMONITOR_HOME"] = str(home)
    try:
        paths = app_paths()
        setup_logging(paths, verbose=True)
        config = load_config(paths.config_file)
        database = open_database(paths.database_file)
        try:
            remotes = SourceRemotes(
                remote.outreach_base_url,
                remote.outreach_token,
                remote.workbooks_base_url,
                SECRETS["workbooks api key"],
                remote.salesforce_base_url,
                SECRETS["salesforce token"],
            )
            report = asyncio.run(refresh_sources(remotes, config, database.engine))
            outputs.append(repr(report))
            wrong = SourceRemotes(
                None, None, None, None, remote.salesforce_base_url, "sft-WRONG-9c2b6e11"
            )
            outputs.append(repr(asyncio.run(refresh_sources(wrong, config, database.engine))))
        finally:
            database.close()
    finally:
        del os.environ["SYNCMONITOR_HOME"]

    searched = [*SECRETS.values(), *WRONG.values(), "sft-WRONG-9c2b6e11", *ISSUED_PREFIXES]
    files = [p for p in home.rglob("*") if p.is_file()] + [export]
    assert any(p.name.startswith("cache.sqlite3") for p in files)
    assert any(p.suffix == ".log" or ".log" in p.name for p in files)
    found = []
    scanned = 0
    for path in files:
        data = path.read_bytes()
        scanned += len(data)
        found += [(str(path), s) for s in searched if s.encode() in data]
    for text in outputs:
        found += [("output", s) for s in searched if s in text]
    for cmdline in cmdlines:
        assert b"syncmonitor" in cmdline, "a command line was never seen, so never checked"
        found += [("command line", s) for s in searched if s.encode() in cmdline]
    assert found == []

    # The cache (with its WAL) and the logs the app made are the user's only.
    private = [*(home / "data").glob("cache.sqlite3*"), *(home / "logs").glob("*.log*")]
    assert len(private) >= 2
    for path in private:
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, f"{path} is readable by others"
    record(
        "secrets",
        "full sync, import, mapping sources and wrong credentials, then every file, output and "
        "command line searched",
        files=len(files),
        bytes_searched=scanned,
        commands=len(cmdlines),
        secrets_searched=len(searched),
        secrets_found=len(found),
    )
