"""Two Sync Monitors on one data folder cannot both sync: while one `sync --once` runs, a second
is refused at once with a message that says why, writes nothing, and the first finishes with the
same cache a lone run leaves."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from engine_helpers import snapshot
from test_cli import API_KEY, TOKEN, Cli, MakeSandbox, base_env, config_for

from reliability_log import record
from syncmonitor.engine.runs.lock import AlreadySyncingError, SyncLock
from syncmonitor.sandbox.admin import AdminClient
from syncmonitor.sandbox.process import ENV_OUTREACH_TOKEN, ENV_WORKBOOKS_API_KEY
from syncmonitor.store.database import open_database


def _cli(home: Path, config: str) -> Cli:
    env = base_env(home)
    env["SYNCMONITOR_OUTREACH_TOKEN"] = TOKEN
    env["SYNCMONITOR_WORKBOOKS_API_KEY"] = API_KEY
    cli = Cli(home, env)
    cli.write_config(config)
    return cli


def _lock_is_held(path: Path) -> bool:
    try:
        with SyncLock(path):
            return False
    except AlreadySyncingError:
        return True


def test_a_second_sync_on_the_same_folder_is_refused_while_the_first_runs(
    make_sandbox: MakeSandbox, tmp_path: Path
) -> None:
    secrets = {ENV_OUTREACH_TOKEN: TOKEN, ENV_WORKBOOKS_API_KEY: API_KEY}
    reference_remote = make_sandbox(seed=4, people=300, tick=0, env=secrets)
    reference = _cli(tmp_path / "reference", config_for(reference_remote, page_size=20))
    assert reference.run("sync", "--once").returncode == 0

    remote = make_sandbox(seed=4, people=300, tick=0, env=secrets)
    AdminClient(remote.admin_url).set_faults(latency_ms=40)  # a first run of several seconds
    cli = _cli(tmp_path / "home", config_for(remote, page_size=20))
    first = subprocess.Popen(
        [sys.executable, "-m", "syncmonitor", "sync", "--once", "--json"],
        env=cli.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lock = cli.home / "data" / "sync.lock"
    deadline = time.monotonic() + 60
    while not (lock.exists() and _lock_is_held(lock)):
        assert first.poll() is None, first.communicate()
        assert time.monotonic() < deadline, "the first sync never took the lock"
        time.sleep(0.05)

    second = cli.run("sync", "--once", "--json")
    assert first.poll() is None, "the first sync must still be running for this to mean anything"
    assert second.returncode == 1
    refused = json.loads(second.stdout)
    assert refused["outcome"] == "failed" and refused["run_id"] == 0
    assert refused["error"]["title"] == "Another Sync Monitor is syncing"

    out, err = first.communicate(timeout=300)
    assert first.returncode == 0, err
    assert json.loads(out)["run_id"] == 1  # the refused run recorded nothing
    finished = open_database(cli.home / "data" / "cache.sqlite3")
    expected = open_database(reference.home / "data" / "cache.sqlite3")
    try:
        assert snapshot(finished.engine) == snapshot(expected.engine)
    finally:
        finished.close()
        expected.close()
    record("crash safety", "two instances on one data folder", runs=2, refused=1)
