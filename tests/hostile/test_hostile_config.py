"""Hostile configuration files, through the real command line (review-reliability.md, 1a)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hostile_server import HostileServer

from reliability_log import record

PASSWORD = "URLPASSWORD-s3cr3t"


def run(home: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNCMONITOR_")}
    env.update(
        SYNCMONITOR_HOME=str(home),
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
        SYNCMONITOR_OUTREACH_TOKEN="cfg-TOKEN-1",
        SYNCMONITOR_WORKBOOKS_API_KEY="cfg-KEY-2",
    )
    return subprocess.run(
        [sys.executable, "-m", "syncmonitor", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def write_config(home: Path, text: str, *, bom: bool = False) -> None:
    (home / "config").mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8")
    (home / "config" / "config.toml").write_bytes(b"\xef\xbb\xbf" + data if bom else data)


def test_credentials_in_a_base_url_are_refused_never_used_never_shown(tmp_path: Path) -> None:
    with HostileServer("echo_auth") as server:
        url = server.base_url.replace("http://", f"http://admin:{PASSWORD}@")
        write_config(tmp_path, f'[outreach]\nbase_url = "{url}"\n[workbooks]\nbase_url = "{url}"\n')
        outputs = [
            run(tmp_path, "sync", "--once", "--kind", "inbound", "--json"),
            run(tmp_path, "status", "--json"),
            run(tmp_path, "status"),
        ]
        requests = server.requests
    record("hostile config", "credentials in base_url", requests_sent=requests)
    assert requests == 0
    for done in outputs:
        assert done.returncode != 0
        said = done.stdout + done.stderr
        assert PASSWORD not in said and "admin" not in said
        assert "[outreach] base_url has a user name or password" in said
    for file in tmp_path.rglob("*"):
        if file.is_file() and file.name != "config.toml":
            assert PASSWORD.encode() not in file.read_bytes(), file


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://127.0.0.1:99999/api", "port is not a number from 1 to 65535"),
        ("http://127.0.0.1:18555/a\\u0000b", "invisible control character"),
        ("http://127.0.0.1:18555/api?x=1#frag", "?query or #fragment"),
    ],
    ids=["port out of range", "NUL", "query and fragment"],
)
def test_an_unusable_base_url_is_refused_at_load(tmp_path: Path, url: str, words: str) -> None:
    write_config(tmp_path, f'[outreach]\nbase_url = "{url}"\n')
    done = run(tmp_path, "status")
    assert done.returncode == 1
    assert "[outreach] base_url" in done.stderr + done.stdout
    assert words in done.stderr + done.stdout
    assert "Unexpected error" not in done.stderr and "Traceback" not in done.stderr


def test_a_config_with_a_utf8_byte_order_mark_is_read(tmp_path: Path) -> None:
    write_config(tmp_path, "[outreach]\npage_size = 25\n", bom=True)
    done = run(tmp_path, "status", "--json")
    assert done.returncode == 0, done.stderr
    assert "not valid TOML" not in done.stderr


@pytest.mark.parametrize("kind", ["fifo", "/dev/zero"])
def test_config_on_a_fifo_or_a_device_is_refused_at_once(tmp_path: Path, kind: str) -> None:
    target = tmp_path / "pipe"
    if kind == "fifo":
        os.mkfifo(target)
    else:
        target = Path(kind)
    started = time.monotonic()
    done = run(tmp_path, "--config", str(target), "status", timeout=30)
    took = time.monotonic() - started
    record("hostile config", f"--config {kind}", seconds=round(took, 1))
    assert done.returncode == 1
    assert "is not a regular file" in done.stderr + done.stdout
    assert took < 20


def test_config_on_dev_null_still_means_the_defaults(tmp_path: Path) -> None:
    done = run(tmp_path, "--config", os.devnull, "status", "--json")
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("key", ["off", "on"])
def test_an_unknown_notification_name_is_refused_and_named(tmp_path: Path, key: str) -> None:
    write_config(tmp_path, f'[notifications]\n{key} = ["sync.failed", "nonexistent.event"]\n')
    done = run(tmp_path, "status")
    said = done.stdout + done.stderr
    assert done.returncode == 1, said
    assert f"[notifications] {key} names a notification Sync Monitor does not have" in said
    assert "'nonexistent.event'" in said and "people.opted_out" in said  # the names to use
    assert "Traceback" not in said and "Unexpected error" not in said


def test_the_known_notification_names_are_accepted(tmp_path: Path) -> None:
    write_config(tmp_path, '[notifications]\noff = ["people.opted_out", "salesmate.imported"]\n')
    done = run(tmp_path, "status", "--json")
    assert done.returncode == 0, done.stderr
