"""The Sandbox menu's stories, played against a real sandbox over loopback."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from syncmonitor.engine.sandbox_controls import (
    LONG_NAME,
    STORIES,
    SandboxControls,
    forget_address,
    read_address,
    write_address,
)
from syncmonitor.sandbox.admin import AdminClient
from syncmonitor.sandbox.process import SandboxEndpoints

pytestmark = pytest.mark.timeout(90)


def play(controls: SandboxControls, key: str) -> str:
    outcome = asyncio.run(controls.play(key))
    assert outcome.ok, outcome.message
    return outcome.message


def test_every_story_plays_and_reset_puts_everything_back(
    make_sandbox: Callable[..., SandboxEndpoints],
    outreach_http: Callable[[SandboxEndpoints], httpx.Client],
) -> None:
    endpoints = make_sandbox(seed=3, people=30)
    controls = SandboxControls(endpoints.admin_url)
    admin = AdminClient(endpoints.admin_url)
    outreach = outreach_http(endpoints)
    try:
        assert {s.key for s in controls.stories} == {
            "block_queue",
            "expire_key",
            "disable_key",
            "stop_integration",
            "opt_out",
            "bounce",
            "rate_limit",
            "revoke_scope",
            "slow_workbooks",
        }
        message = play(controls, "block_queue")
        assert "Queue page" in message
        made = [
            admin._call("GET", f"/gatormail/mailshots/{i}")
            for i in admin._call("GET", "/gatormail")["queue"]
        ]
        assert any(m["name"] == LONG_NAME for m in made) and len(LONG_NAME) > 100

        play(controls, "expire_key")
        key = admin._call("PUT", "/gatormail/api_key", {})
        assert key["valid_until"] < time.time()
        play(controls, "disable_key")
        assert admin._call("PUT", "/gatormail/api_key", {})["enabled"] is False
        play(controls, "stop_integration")
        assert admin._call("GET", "/gatormail")["running"] is False

        before = outreach.get("/prospects", params={"filter[id]": "1"}).status_code
        assert before == 200
        opted = asyncio.run(controls.play("opt_out"))
        assert opted.ok
        bounced = asyncio.run(controls.play("bounce"))
        assert bounced.ok

        play(controls, "rate_limit")
        assert outreach.get("/sequenceStates").status_code == 429
        play(controls, "reset")
        play(controls, "revoke_scope")
        refused = outreach.get("/sequenceStates")
        assert refused.status_code == 403
        assert refused.json()["errors"][0]["id"] == "unauthorizedOauthScope"
        assert outreach.get("/prospects").status_code == 200  # only that scope went
        play(controls, "slow_workbooks")
        assert admin.faults()["latency_ms"] == 2000 and admin.faults()["target"] == "workbooks"

        play(controls, "reset")
        assert outreach.get("/sequenceStates").status_code == 200
        assert admin.faults()["latency_ms"] == 0
        key = admin._call("PUT", "/gatormail/api_key", {})
        assert key["enabled"] is True and key["valid_until"] is None
        assert admin._call("GET", "/gatormail")["running"] is True
    finally:
        admin.close()


def test_a_refusal_or_a_gone_sandbox_is_said_not_raised() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        return httpx.Response(409, json={"error": "No record can take a bounce change now."})

    refused = asyncio.run(
        SandboxControls("http://127.0.0.1:9/_admin", transport=httpx.MockTransport(refuse)).play(
            "bounce"
        )
    )
    assert not refused.ok and "No record can take a bounce change now." in refused.message
    gone = asyncio.run(SandboxControls("http://127.0.0.1:9/_admin").play("opt_out"))
    assert not gone.ok and "did not answer" in gone.message and "127.0.0.1:9" in gone.message
    assert len(STORIES) == 9


def test_the_address_is_kept_for_status_while_the_app_runs(tmp_path: Path) -> None:
    assert read_address(tmp_path) is None
    write_address(tmp_path, "http://127.0.0.1:5000", "http://127.0.0.1:5000/_admin")
    assert read_address(tmp_path) == {
        "base_url": "http://127.0.0.1:5000",
        "admin_url": "http://127.0.0.1:5000/_admin",
    }
    (tmp_path / "sandbox.json").write_text(
        '{"pid": 999999999, "base_url": "x", "admin_url": "y"}', encoding="utf-8"
    )
    assert read_address(tmp_path) is None  # left by an app that has gone
    write_address(tmp_path, "a", "b")
    forget_address(tmp_path)
    assert not (tmp_path / "sandbox.json").exists()
    assert os.getpid() > 0


def test_status_names_the_running_sandbox(tmp_path: Path) -> None:
    import subprocess
    import sys

    env = {**os.environ, "SYNCMONITOR_HOME": str(tmp_path)}  # sandbox mode: no config file
    data = tmp_path / "data"
    data.mkdir(parents=True)
    run = [sys.executable, "-m", "syncmonitor", "status"]
    idle = subprocess.run(run, env=env, capture_output=True, text=True, timeout=60)
    assert "Sandbox: not running" in idle.stdout, idle.stderr
    write_address(data, "http://127.0.0.1:5123", "http://127.0.0.1:5123/_admin")
    shown = subprocess.run(run, env=env, capture_output=True, text=True, timeout=60)
    assert (
        "Sandbox: http://127.0.0.1:5123 (admin switches: http://127.0.0.1:5123/_admin)"
        in shown.stdout
    ), shown.stderr
