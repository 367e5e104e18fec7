"""A damaged, read-only or full cache, and a run killed mid-way (review-reliability.md, 1e).

Read-only and full disks are real: a tmpfs mounted (then remounted read-only) inside a private
user and mount namespace (`unshare -rm`), so no root is needed and nothing outside the test sees
it. Those cases are skipped where user namespaces are not allowed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from reliability_log import record

COMMANDS = [
    ("status",),
    ("status", "--json"),
    ("runs",),
    ("people", "show", "1"),
    ("queue",),
    ("sync", "--once", "--kind", "inbound"),
]
READ_ONLY_COMMANDS = [("status",), ("runs",), ("people", "show", "1")]


def env_for(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNCMONITOR_")}
    env.update(SYNCMONITOR_HOME=str(home), PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    return env


def run(home: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "syncmonitor", *args],
        env=env_for(home),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def in_namespace(script: str, home: Path, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """Run `script` (sh) in a private user+mount namespace; $PY is this Python."""
    env = env_for(home) | {"PY": sys.executable}
    return subprocess.run(
        ["unshare", "-rm", "sh", "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _namespaces_work() -> bool:
    if shutil.which("unshare") is None:
        return False
    done = subprocess.run(
        ["unshare", "-rm", "sh", "-c", "mount -t tmpfs tmpfs /mnt 2>/dev/null || exit 1"],
        capture_output=True,
    )
    return done.returncode == 0


needs_namespaces = pytest.mark.skipif(
    not _namespaces_work(), reason="needs unprivileged user and mount namespaces"
)


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home with a cache synced from the sandbox (500 people), made once."""
    home = tmp_path_factory.mktemp("synced")
    (home / "config").mkdir()
    (home / "config" / "config.toml").write_text("[sandbox]\npeople = 500\n", encoding="utf-8")
    done = run(home, "sync", "--once", "--kind", "inbound")
    assert done.returncode == 0, done.stderr
    return home


def copy_of(synced: Path, tmp_path: Path) -> Path:
    home = tmp_path / "home"
    shutil.copytree(synced, home, symlinks=True)
    return home


def test_a_damaged_cache_is_told_as_damaged_by_every_command(synced: Path, tmp_path: Path) -> None:
    home = copy_of(synced, tmp_path)
    cache = home / "data" / "cache.sqlite3"
    pages = cache.stat().st_size // 4096
    with cache.open("r+b") as file:  # 20 pages of noise over the middle
        file.seek(4096 * (pages // 3))
        file.write(os.urandom(4096 * min(20, pages // 3)))
    for command in COMMANDS:
        done = run(home, *command)
        said = done.stdout + done.stderr
        assert done.returncode == 1, (command, said[-2000:])
        assert "The local cache is damaged" in said, (command, said[-2000:])
        assert "rename cache.sqlite3 to cache.sqlite3.damaged" in said
        assert "Traceback" not in said and "Unexpected error" not in said
    record("cache faults", "20 pages overwritten mid-file", commands=len(COMMANDS), told=True)


def test_a_damaged_cache_names_the_copy_the_app_kept(synced: Path, tmp_path: Path) -> None:
    home = copy_of(synced, tmp_path)
    cache = home / "data" / "cache.sqlite3"
    shutil.copyfile(cache, cache.with_name("cache.sqlite3.before-0001.bak"))
    with cache.open("r+b") as file:
        file.seek(0)
        file.write(b"garbage" * 200)
    done = run(home, "status")
    assert "cache.sqlite3.before-0001.bak" in done.stderr
    assert "rename that copy to cache.sqlite3" in done.stderr


def test_a_damaged_cache_in_the_window_is_not_an_unexpected_error(
    synced: Path, tmp_path: Path
) -> None:
    from syncmonitor.store.cache_faults import CacheDamagedError, explain

    cache = tmp_path / "cache.sqlite3"
    error = explain(sqlite3.DatabaseError("database disk image is malformed"), cache)
    assert isinstance(error, CacheDamagedError)  # what the crash dialog and a run show
    assert "rename cache.sqlite3" in error.message


@needs_namespaces
def test_a_read_only_home_still_answers_the_commands_that_read(
    synced: Path, tmp_path: Path
) -> None:
    mount = tmp_path / "ro"
    mount.mkdir()
    script = (
        f'mount -t tmpfs -o size=50m tmpfs "{mount}" && cp -a "{synced}" "{mount}/h" && '
        f'mount -o remount,ro "{mount}" && export SYNCMONITOR_HOME="{mount}/h" && '
        + " && ".join(
            f'$PY -m syncmonitor {" ".join(c)} && echo "OK {c[0]}"' for c in READ_ONLY_COMMANDS
        )
        + '; $PY -m syncmonitor sync --once --kind inbound; echo "sync exit $?"'
    )
    done = in_namespace(script, synced)
    said = done.stdout + done.stderr
    for command in READ_ONLY_COMMANDS:
        assert f"OK {command[0]}" in done.stdout, said[-3000:]
    assert "sync exit 1" in done.stdout
    assert "The local cache is read-only" in said
    assert "corrupt" not in said.lower() and "move the file aside" not in said
    assert "Traceback" not in said
    record(
        "cache faults", "home on a read-only filesystem", read_commands_ok=len(READ_ONLY_COMMANDS)
    )


@needs_namespaces
def test_only_the_data_folder_read_only_is_not_called_corrupt(synced: Path, tmp_path: Path) -> None:
    home = copy_of(synced, tmp_path)
    mount = tmp_path / "ro"
    mount.mkdir()
    script = (
        f'mount -t tmpfs -o size=50m tmpfs "{mount}" && cp -a "{home}/data" "{mount}/data" && '
        f'mount -o remount,ro "{mount}" && rm -rf "{home}/data" && ln -s "{mount}/data" '
        f'"{home}/data" && $PY -m syncmonitor status && echo "OK status"; '
        '$PY -m syncmonitor sync --once --kind inbound; echo "sync exit $?"'
    )
    done = in_namespace(script, home)
    said = done.stdout + done.stderr
    assert "OK status" in done.stdout, said[-3000:]
    assert "sync exit 1" in done.stdout
    assert "The local cache is read-only" in said
    assert "not a readable SQLite database" not in said and "move the file aside" not in said


@needs_namespaces
def test_a_full_disk_is_told_as_a_full_disk_and_what_was_kept_stays(tmp_path: Path) -> None:
    mount = tmp_path / "small"
    mount.mkdir()
    home = mount / "h"
    script = (
        f'mount -t tmpfs -o size=2m tmpfs "{mount}" && mkdir -p "{home}/config" && '
        f"printf '[sandbox]\\npeople = 3000\\n' > \"{home}/config/config.toml\" && "
        f'export SYNCMONITOR_HOME="{home}" && $PY -m syncmonitor sync --once --kind inbound; '
        'echo "sync exit $?"; $PY -m syncmonitor runs; '
        f"$PY -c \"import sqlite3; print('integrity', sqlite3.connect('{home}/data/cache.sqlite3')"
        ".execute('pragma integrity_check').fetchone()[0])\""
    )
    done = in_namespace(script, home)
    said = done.stdout + done.stderr
    assert "sync exit 1" in done.stdout, said[-3000:]
    assert "The disk is full" in said
    assert "Everything saved before that is kept" in said
    assert "Unexpected error" not in said and "sqlalche.me" not in said
    assert "integrity ok" in done.stdout
    record("cache faults", "disk full (2 MB tmpfs, 3,000 people)", told=True)


def test_a_killed_run_is_shown_interrupted_by_every_command(synced: Path, tmp_path: Path) -> None:
    home = copy_of(synced, tmp_path)
    (home / "config" / "config.toml").write_text("[sandbox]\npeople = 20000\n", encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "syncmonitor", "sync", "--once", "--kind", "full"],
        env=env_for(home),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    cache = home / "data" / "cache.sqlite3"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # kill it once its run is recorded as running
        with sqlite3.connect(cache) as db:
            if db.execute("SELECT count(*) FROM sync_runs WHERE outcome='running'").fetchone()[0]:
                break
        time.sleep(0.2)
    children = psutil.Process(process.pid).children(recursive=True)  # the sandbox it started
    process.send_signal(signal.SIGKILL)
    process.wait()
    for child in children:
        with contextlib.suppress(psutil.Error):
            child.kill()
    runs = run(home, "runs")
    status = run(home, "status", "--json")
    assert "interrupted" in runs.stdout and "running" not in runs.stdout, runs.stdout
    assert '"outcome": "interrupted"' in status.stdout
    assert '"outcome": "running"' not in status.stdout
    record("cache faults", "run killed by SIGKILL, then runs and status", shown="interrupted")


def test_the_wal_and_shm_files_are_readable_by_the_user_only(tmp_path: Path) -> None:
    from syncmonitor.store.database import open_database

    database = open_database(tmp_path / "data" / "cache.sqlite3")
    try:
        with database.engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE probe (x)")
            conn.exec_driver_sql("INSERT INTO probe VALUES (1)")
        names = ["cache.sqlite3", "cache.sqlite3-wal", "cache.sqlite3-shm"]
        modes = {n: stat.S_IMODE((tmp_path / "data" / n).stat().st_mode) for n in names}
    finally:
        database.close()
    assert modes == dict.fromkeys(names, 0o600)
