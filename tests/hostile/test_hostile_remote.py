"""A hostile remote in the place of Outreach: every misbehaviour ends in one clear error, in
bounded time and memory, with a bounded number of requests (review-reliability.md, 1d).

Each case runs the real command line (`sync --once --kind inbound --json`) against
`hostile_server.HostileServer`, samples the process's memory (RSS, via psutil) while it runs,
and checks the run's error, the time it took and the requests the server saw.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
from hostile_server import HostileServer

from reliability_log import record
from syncmonitor.connectors.errors import NetworkError
from syncmonitor.connectors.http.client import ResilientClient
from syncmonitor.connectors.http.limits import Limits

TOKEN = "hostile-TOKEN-5e1f"
API_KEY = "hostile-KEY-90ab"
MB = 1024 * 1024


@dataclass
class Outcome:
    exit_code: int
    seconds: float
    max_rss_mb: float
    requests: int
    error: dict[str, Any] | None
    stdout: str
    stderr: str
    home: Path

    @property
    def said(self) -> str:
        return f"{(self.error or {}).get('title', '')}: {(self.error or {}).get('message', '')}"


def sync_against(server: HostileServer, home: Path, timeout: float = 150) -> Outcome:
    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "config" / "config.toml").write_text(
        f'[outreach]\nbase_url = "{server.base_url}"\n'
        f'[workbooks]\nbase_url = "http://127.0.0.1:{server.port}/workbooks"\n',
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNCMONITOR_")}
    env.update(
        SYNCMONITOR_HOME=str(home),
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
        SYNCMONITOR_OUTREACH_TOKEN=TOKEN,
        SYNCMONITOR_WORKBOOKS_API_KEY=API_KEY,
    )
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "syncmonitor", "sync", "--once", "--kind", "inbound", "--json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    watched = psutil.Process(process.pid)
    peak = 0
    while process.poll() is None:
        if time.monotonic() - started > timeout:
            process.kill()
            break
        with contextlib.suppress(psutil.Error):
            peak = max(peak, watched.memory_info().rss)
        time.sleep(0.05)
    stdout, stderr = process.communicate()
    seconds = time.monotonic() - started
    try:
        error = json.loads(stdout).get("error")
    except ValueError:
        error = None
    return Outcome(
        process.returncode, seconds, peak / MB, server.requests, error, stdout, stderr, home
    )


def assert_clean(outcome: Outcome) -> None:
    """One clear error: no traceback, no "Unexpected error", no secret, the cache consistent."""
    everything = outcome.stdout + outcome.stderr
    assert "Traceback" not in everything, everything[-3000:]
    assert "Unexpected error" not in everything, everything[-3000:]
    assert TOKEN not in everything and API_KEY not in everything
    cache = outcome.home / "data" / "cache.sqlite3"
    with sqlite3.connect(cache) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        states = [row[0] for row in db.execute("SELECT outcome FROM sync_runs")]
    assert states and "running" not in states


def note(mode: str, outcome: Outcome) -> None:
    record(
        "hostile remote",
        mode,
        seconds=round(outcome.seconds, 1),
        max_rss_mb=round(outcome.max_rss_mb),
        requests=outcome.requests,
        exit_code=outcome.exit_code,
        error=str((outcome.error or {}).get("title", "none")).replace("|", "/"),
    )


# (mode, server options, words the error must hold, most requests, most seconds)
CASES: list[tuple[str, dict[str, Any], tuple[str, ...], int, float]] = [
    ("endless", {}, ("too large to read", "GET /api/v2/sequenceStates", "32 MB"), 1, 40),
    ("gzip_bomb", {}, ("too large to read", "GET /api/v2/sequenceStates"), 1, 40),
    ("deep_json", {}, ("unreadable answer",), 5, 60),
    ("html200", {}, ("web page (HTML)", "captive portal"), 5, 60),
    ("next_loop", {}, ("kept sending pages", "empty pages in a row"), 4, 40),
    ("next_loop_data", {}, ("kept sending pages", "announced 1 record"), 13, 40),
]


@pytest.mark.parametrize(
    ("mode", "options", "words", "most_requests", "most_seconds"),
    CASES,
    ids=[case[0] for case in CASES],
)
def test_a_hostile_remote_ends_in_one_clear_error_within_bounds(
    tmp_path: Path,
    mode: str,
    options: dict[str, Any],
    words: tuple[str, ...],
    most_requests: int,
    most_seconds: float,
) -> None:
    with HostileServer(mode, **options) as server:
        outcome = sync_against(server, tmp_path / "home")
    note(mode, outcome)
    assert outcome.exit_code == 1, outcome.stderr[-2000:]
    for word in words:
        assert word in outcome.said
    assert outcome.requests <= most_requests
    assert outcome.seconds < most_seconds
    assert outcome.max_rss_mb < 400  # the review saw 2,500 MB for endless and gzip_bomb
    assert_clean(outcome)


# (header case, status, headers, words the error must hold; None: the sync succeeds)
HEADERS: list[tuple[str, int, dict[str, str], tuple[str, ...] | None]] = [
    ("Retry-After inf", 429, {"Retry-After": "inf"}, ("rate limit", "for ever")),
    ("Retry-After 1e20 on a 503", 503, {"Retry-After": "1e20"}, ("unavailable", "1e+20 seconds")),
    ("Retry-After 31 years", 429, {"Retry-After": "999999999"}, ("rate limit", "not before 20")),
    ("Retry-After 3 hours", 429, {"Retry-After": "10800"}, ("rate limit", "in about 3 hours")),
    ("Retry-After -5", 429, {"Retry-After": "-5"}, ("rate limit",)),
    ("Retry-After garbage", 503, {"Retry-After": "soon-ish"}, ("having trouble",)),
    ("Remaining inf", 200, {"X-RateLimit-Remaining": "inf"}, None),
    ("Remaining 1e300", 200, {"X-RateLimit-Remaining": "1e300"}, None),
    ("Remaining -5, garbage reset", 200, {"X-RateLimit-Remaining": "-5, abc"}, None),
    (
        "Remaining 0, Reset 1e300",
        200,
        {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1e300"},
        None,
    ),
]


@pytest.mark.parametrize(
    ("status", "headers", "words"), [h[1:] for h in HEADERS], ids=[h[0] for h in HEADERS]
)
def test_extreme_rate_limit_headers_end_in_the_error_they_stand_for(
    tmp_path: Path, status: int, headers: dict[str, str], words: tuple[str, ...] | None
) -> None:
    with HostileServer("header", status=status, headers=headers) as server:
        outcome = sync_against(server, tmp_path / "home")
    note(f"headers: {headers}", outcome)
    if words is None:
        assert outcome.exit_code == 0, outcome.stdout[-2000:] + outcome.stderr[-2000:]
    else:
        assert outcome.exit_code == 1, outcome.stderr[-2000:]
        for word in words:
            assert word in outcome.said, outcome.said
    assert outcome.seconds < 60
    assert outcome.requests <= 5
    assert_clean(outcome)


def test_a_remote_that_drips_its_answer_ends_at_the_deadline_in_the_real_command(
    tmp_path: Path,
) -> None:
    """The default deadline (60 s with the 30 s read timeout): one byte every 5 s never trips
    the read timeout, the deadline ends it, and the lock is free again at once."""
    with HostileServer("drip", option=5.0) as server:
        outcome = sync_against(server, tmp_path / "home")
    note("drip (one byte every 5 s)", outcome)
    assert outcome.exit_code == 1
    assert "did not finish answering in time" in outcome.said
    assert "longer than 60 s" in outcome.said
    assert outcome.requests == 1  # not retried: a drip would cost a minute each time
    assert 55 < outcome.seconds < 90
    assert_clean(outcome)


@pytest.mark.asyncio
async def test_the_deadline_bounds_one_exchange_in_the_client() -> None:
    with HostileServer("drip", option=0.3) as server:
        async with ResilientClient(
            service="Outreach",
            base_url=server.base_url + "/",
            limits=Limits(request_deadline=1.5),
        ) as client:
            started = time.monotonic()
            with pytest.raises(NetworkError) as caught:
                await client.request("GET", "sequenceStates", parse=lambda r: r.content)
            took = time.monotonic() - started
    assert 1.4 < took < 3
    assert not caught.value.retryable
    assert "GET /api/v2/sequenceStates took longer than 2 s" in caught.value.message
    assert client.stats.requests == 1


@pytest.mark.asyncio
async def test_a_gzip_bomb_is_refused_without_inflating_it_in_memory() -> None:
    with HostileServer("gzip_bomb", option=256 * MB) as server:
        async with ResilientClient(
            service="Outreach", base_url=server.base_url + "/", limits=Limits(max_answer_bytes=MB)
        ) as client:
            before = psutil.Process().memory_info().rss
            with pytest.raises(Exception, match="too large to read") as caught:
                await client.request("GET", "sequenceStates", parse=lambda r: r.content)
            grew = (psutil.Process().memory_info().rss - before) / MB
    assert "larger than 1 MB once decompressed" in str(caught.value.message)  # type: ignore[attr-defined]
    assert grew < 64


def test_a_declared_length_past_the_cap_is_refused_unread() -> None:
    transport = httpx.MockTransport(
        lambda request: httpx.Response(200, headers={"Content-Length": str(10**12)}, content=b"")
    )

    async def go() -> str:
        async with ResilientClient(
            service="Spotler",
            base_url="https://spotler.test/",
            transport=transport,
            limits=Limits(max_answer_bytes=MB),
        ) as client:
            try:
                await client.request("GET", "campaign/list", parse=lambda r: r.content)
            except Exception as exc:
                return str(getattr(exc, "message", exc))
        return ""

    said = asyncio.run(go())
    assert "GET /campaign/list" in said and "it announced 953,674 MB" in said
