"""The command line on a team store: `status` names it, the password only from the environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from store_backends import StoreFactory


def run_cli(home: Path, *args: str, env: dict[str, str] | None = None) -> Any:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SYNCMONITOR_")}
    environ.update({"SYNCMONITOR_HOME": str(home), **(env or {})})
    environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    return subprocess.run(
        [sys.executable, "-m", "syncmonitor", *args],
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )


def team_config(home: Path, url: str) -> str:
    """Point `home` at the team store `url`; returns its password (kept out of the file)."""
    parsed = make_url(url)
    (home / "config").mkdir(parents=True, exist_ok=True)
    bare = parsed._replace(password=None).render_as_string(hide_password=False)
    (home / "config" / "config.toml").write_text(f'[cache]\nurl = "{bare}"\n', encoding="utf-8")
    return parsed.password or ""


def test_status_names_the_store_in_use(tmp_path: Path, store_backend: StoreFactory) -> None:
    home = tmp_path / "home"
    env: dict[str, str] = {}
    if store_backend.postgresql:
        password = team_config(home, store_backend.new_url())
        env["SYNCMONITOR_CACHE_PASSWORD"] = password
    done = run_cli(home, "status", "--json", env=env)
    assert done.returncode == 0, done.stderr
    store = json.loads(done.stdout)["store"]
    assert store["kind"] == store_backend.backend
    assert store["can_sync"] is True
    if store_backend.postgresql:
        assert store["description"].startswith("Team store (PostgreSQL) postgresql+psycopg://")
        assert password not in done.stdout
        assert not (home / "data" / "cache.sqlite3").exists()
    else:
        assert store["where"].endswith("cache.sqlite3")
    text = run_cli(home, "status", env=env)
    assert "Store: " + store["description"] in text.stdout


def test_a_team_store_without_its_password_is_one_clear_error(
    tmp_path: Path, store_backend: StoreFactory
) -> None:
    if not store_backend.postgresql:
        pytest.skip("PostgreSQL only")
    home = tmp_path / "home"
    team_config(home, store_backend.new_url())
    done = run_cli(home, "status")
    assert done.returncode == 1
    assert "The team store cannot be reached" in done.stderr
    assert "SYNCMONITOR_CACHE_PASSWORD" in done.stderr
    assert "Traceback" not in done.stderr


def test_sync_once_on_a_team_store_syncs_it_under_the_stores_lock(
    tmp_path: Path, store_backend: StoreFactory
) -> None:
    """`syncmonitor sync --once` (cron on the server) syncs the team store itself; while another
    process holds the store's lock it is refused with who holds it."""
    if not store_backend.postgresql:
        pytest.skip("PostgreSQL only")
    from syncmonitor.engine.team.lock import StoreLock
    from syncmonitor.store.database import open_store

    home = tmp_path / "home"
    url = store_backend.new_url()
    password = team_config(home, url)
    config = home / "config" / "config.toml"
    config.write_text(config.read_text() + "[sandbox]\npeople = 20\n", encoding="utf-8")
    env = {"SYNCMONITOR_CACHE_PASSWORD": password}
    done = run_cli(home, "sync", "--once", "--json", env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["outcome"] == "succeeded"

    store = open_store(url, None)
    try:
        with StoreLock(store.engine, role="server"):
            refused = run_cli(home, "sync", "--once", env=env)
        assert refused.returncode == 1
        assert "synced by the Sync Monitor server on" in refused.stderr + refused.stdout
    finally:
        store.close()


def test_sync_once_closes_the_runs_and_requests_a_dead_server_left(
    tmp_path: Path, store_backend: StoreFactory
) -> None:
    """A server killed mid-run leaves its run and the request it served "running"; the next
    `sync --once` on the store (it takes the lock afresh) closes them before its own run, so
    `runs` shows no dead server's run as running."""
    if not store_backend.postgresql:
        pytest.skip("PostgreSQL only")
    from syncmonitor.domain.timestamps import format_iso, utc_now
    from syncmonitor.store import team_requests
    from syncmonitor.store.database import open_store
    from syncmonitor.store.runs import start_run

    home = tmp_path / "home"
    url = store_backend.new_url()
    password = team_config(home, url)
    config = home / "config" / "config.toml"
    config.write_text(config.read_text() + "[sandbox]\npeople = 10\n", encoding="utf-8")
    env = {"SYNCMONITOR_CACHE_PASSWORD": password}
    store = open_store(url, None)
    try:
        now = format_iso(utc_now())
        with store.engine.begin() as conn:  # what the killed server left behind
            sync_id = team_requests.add_request(conn, "sync", {"kind": "full"}, "ann@desk", now)
            fix_id = team_requests.add_request(
                conn, "queue_fix_name", {"mailshot": 7, "name": "Short"}, "bob@desk", now
            )
            team_requests.claim_next(conn, "dead-server:1", now)
            team_requests.claim_next(conn, "dead-server:1", now)
            dead_run = start_run(conn, "full", f"request:{sync_id}", utc_now())
        done = run_cli(home, "sync", "--once", "--json", env=env)
        assert done.returncode == 0, done.stderr
        runs = run_cli(home, "runs", "--json", env=env)
        assert runs.returncode == 0, runs.stderr
        listed = json.loads(runs.stdout)
        rows = listed["runs"] if isinstance(listed, dict) else listed
        assert [r["outcome"] for r in rows if r["outcome"] == "running"] == []
        assert any(r["id"] == dead_run and r["outcome"] == "failed" for r in rows)
        with store.engine.connect() as conn:
            sync_request = team_requests.get_request(conn, sync_id)
            fix_request = team_requests.get_request(conn, fix_id)
        assert sync_request is not None and sync_request.state == "waiting"  # runs again
        assert fix_request is not None and fix_request.state == "failed"  # never sent twice
        assert "was not repeated" in (fix_request.result or "")
    finally:
        store.close()
