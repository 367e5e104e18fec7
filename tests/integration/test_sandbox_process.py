"""Starting and stopping the sandbox process, its credentials, live changes and determinism."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import httpx
import psutil
import pytest

import loopback_http
from syncmonitor.sandbox.admin import AdminClient
from syncmonitor.sandbox.process import SandboxEndpoints, SandboxProcess

MakeClient = Callable[[SandboxEndpoints], httpx.Client]


def test_the_child_prints_one_ready_line_with_every_url() -> None:
    child = subprocess.run(
        [sys.executable, "-m", "syncmonitor.sandbox", "--people=5", "--tick=0"],
        input=b"",  # stdin closes at once: the server must stop by itself
        capture_output=True,
        timeout=60,
    )
    assert child.returncode == 0, child.stderr.decode()
    lines = child.stdout.decode().splitlines()
    assert len(lines) == 1
    ready = json.loads(lines[0])
    port = ready["port"]
    assert ready == {
        "event": "ready",
        "port": port,
        "outreach_base_url": f"http://127.0.0.1:{port}/outreach/api/v2",
        "workbooks_base_url": f"http://127.0.0.1:{port}/workbooks",
        "salesforce_base_url": f"http://127.0.0.1:{port}/salesforce",
        "admin_url": f"http://127.0.0.1:{port}/_admin",
        "salesmate_base_url": f"http://127.0.0.1:{port}/salesmate",
        "salesmate_linkname": "sandbox",
        "spotler_base_url": f"http://127.0.0.1:{port}/spotler/integrationservice-1.1.0",
    }


def test_credentials_come_from_the_environment_not_the_command_line() -> None:
    env = {
        "SYNCMONITOR_SANDBOX_OUTREACH_TOKEN": "token-from-env",
        "SYNCMONITOR_SANDBOX_WORKBOOKS_API_KEY": "key-from-env",
    }
    with SandboxProcess(people=10, tick=0, env=env) as process:
        endpoints = process.endpoints
        assert endpoints is not None
        assert (endpoints.outreach_token, endpoints.workbooks_api_key) == (
            "token-from-env",
            "key-from-env",
        )
        command_line = " ".join(psutil.Process(process.pid).cmdline())
        assert "token-from-env" not in command_line and "key-from-env" not in command_line
        json_api = {"Content-Type": "application/vnd.api+json"}
        url = f"{endpoints.outreach_base_url}/stages"
        assert loopback_http.get(
            url, headers={**json_api, "Authorization": "Bearer token-from-env"}
        ).is_success
        default = loopback_http.get(
            url, headers={**json_api, "Authorization": "Bearer sandbox-outreach-token"}
        )
        assert default.status_code == 401


def test_stop_is_a_clean_sigterm() -> None:
    process = SandboxProcess(people=10, tick=0)
    endpoints = process.start()
    assert process.running
    assert process.stop() == 0
    assert not process.running
    with pytest.raises(httpx.ConnectError):
        loopback_http.get(f"{endpoints.admin_url}/stats", timeout=2)


def test_admin_shutdown_stops_the_child() -> None:
    process = SandboxProcess(people=10, tick=0)
    endpoints = process.start()
    with AdminClient(endpoints.admin_url) as admin:
        admin.shutdown()
    assert process.wait(timeout=10) == 0
    process.stop()


PARENT = """
import sys, time
from syncmonitor.sandbox.process import SandboxProcess
process = SandboxProcess(people=10, tick=0)
process.start()
print(process.pid, flush=True)
time.sleep(120)
"""


def test_the_child_does_not_outlive_a_killed_parent() -> None:
    with subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE) as parent:
        try:
            assert parent.stdout is not None
            child = psutil.Process(int(parent.stdout.readline()))
            assert child.is_running()
            parent.kill()  # no chance to clean up: only the closed stdin pipe tells the child
            parent.wait(timeout=10)
            child.wait(timeout=10)
            assert not child.is_running()
        finally:
            if parent.poll() is None:
                parent.kill()


def test_a_child_that_cannot_start_says_why() -> None:
    process = SandboxProcess(people=-1)
    with pytest.raises(RuntimeError, match="must not be negative") as failed:
        process.start(timeout=30)
    assert "exited with code 2" in str(failed.value)
    assert not process.running


def test_a_child_that_is_not_ready_in_time_is_stopped() -> None:
    process = SandboxProcess(people=2_000_000, tick=0)  # far more than 0.2 s of building
    with pytest.raises(RuntimeError, match=r"did not say it was ready within 0\.2 seconds"):
        process.start(timeout=0.2)
    assert not process.running


def test_admin_tick_changes_the_world_and_says_how(
    make_sandbox: Callable[..., SandboxEndpoints], outreach_http: MakeClient
) -> None:
    endpoints = make_sandbox(seed=4, people=80)
    client = outreach_http(endpoints)
    with AdminClient(endpoints.admin_url) as admin:
        before = admin.stats()
        changes = admin.tick(25)
    assert len(changes) == 25
    kinds = {c["kind"] for c in changes}
    assert kinds <= {"advance", "pause_resume", "reply", "bounce", "opt_out", "new_state"}
    assert len(kinds) >= 3
    changed = next(c for c in changes if c["kind"] != "opt_out")
    state = client.get(f"/sequenceStates/{changed['sequenceState']}").json()["data"]
    assert state["attributes"]["state"] == changed["state"]
    newest = client.get("/sequenceStates", params={"sort": "-updatedAt", "page[size]": "1"})
    assert newest.json()["data"][0]["attributes"]["updatedAt"] > "2026-11-01T00:00:00.000Z"
    created = sum(1 for c in changes if c["kind"] == "new_state")
    assert newest.json()["meta"]["count"] == before["sequenceStates"] + created


def test_live_mode_changes_the_world_on_its_own(
    make_sandbox: Callable[..., SandboxEndpoints],
) -> None:
    endpoints = make_sandbox(seed=4, people=80, tick=0)
    with AdminClient(endpoints.admin_url) as admin:
        assert admin.set_live(0.05, 3) == {"tick": 0.05, "changes_per_tick": 3}
        deadline = time.monotonic() + 10
        while admin.stats()["changes_applied"] < 9 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert admin.stats()["changes_applied"] >= 9
        admin.set_live(0, 3)
        time.sleep(0.2)
        frozen = admin.stats()["changes_applied"]
        time.sleep(0.3)
        assert admin.stats()["changes_applied"] == frozen


def _world(endpoints: SandboxEndpoints, outreach_http: MakeClient) -> dict[str, Any]:
    client = outreach_http(endpoints)
    world: dict[str, Any] = {}
    for collection in ("sequenceStates", "prospects", "sequences", "sequenceSteps", "accounts"):
        document = client.get(f"/{collection}", params={"page[size]": "1000"}).json()
        world[collection] = [{k: v for k, v in r.items() if k != "links"} for r in document["data"]]
    people = loopback_http.get(
        f"{endpoints.workbooks_base_url}/crm/people.api",
        params={"api_key": endpoints.workbooks_api_key, "_start": "0", "_limit": "1000"},
        headers={"User-Agent": "syncmonitor-tests/1.0"},
    ).json()
    world["people"] = people["data"]
    return world


def test_the_same_seed_builds_the_same_world(
    make_sandbox: Callable[..., SandboxEndpoints], outreach_http: MakeClient
) -> None:
    first = _world(make_sandbox(seed=11, people=60), outreach_http)
    again = _world(make_sandbox(seed=11, people=60), outreach_http)
    other = _world(make_sandbox(seed=12, people=60), outreach_http)
    assert first == again
    assert len(first["sequenceStates"]) > 100 and len(first["people"]) > 50
    assert first["sequenceStates"] != other["sequenceStates"]
    assert first["people"] != other["people"]
