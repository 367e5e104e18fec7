"""The sandbox's stories in one click: what the window's Sandbox menu plays.

The seeds describe what goes wrong in real life (a long mailshot name blocks GatorMail's queue,
its API key expires, someone opts out, Outreach rate-limits, a scope is taken away, Workbooks
is slow). In sandbox mode each of those is one call to the built-in sandbox's admin HTTP API
(`/_admin` on 127.0.0.1), so a newcomer can see how Sync Monitor shows and handles every one
within minutes, without learning the admin routes. This module speaks that HTTP API and
imports nothing of the sandbox: the window and the command line call it as an engine service.

`write_address` and `read_address` keep the sandbox's address in the data folder while the
app runs, so `syncmonitor status` (another process) can say where it is.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from syncmonitor.connectors.http.client import tls_context

log = logging.getLogger(__name__)

ADDRESS_FILE = "sandbox.json"
TIMEOUT_S = 10.0

# 134 characters: GatorMail accepts at most 100, so this one blocks the queue (seed 003).
LONG_NAME = (
    "Q1 2027 Customer Webinar Invitation – EMEA Enterprise Accounts, Partners and Resellers "
    "– Follow-up for non-attendees with recording"
)

Body = dict[str, Any]
Call = tuple[str, str, Body | None]  # method, admin route (after /_admin), JSON body


@dataclass(frozen=True)
class Story:
    """One thing that happens in real life, and how the sandbox plays it."""

    key: str
    title: str  # the menu item: what the person will see happen
    explains: str  # where to look in the app afterwards
    calls: Callable[[], list[Call]]


def _block_queue() -> list[Call]:
    return [
        ("POST", "/gatormail/mailshots", {"name": LONG_NAME, "audience": 240}),
        ("POST", "/gatormail/mailshots", {"name": "December Product Digest UK", "audience": 60}),
        ("POST", "/gatormail/mailshots", {"name": "Holiday Opening Hours", "audience": 25}),
    ]


STORIES: tuple[Story, ...] = (
    Story(
        "block_queue",
        "Block the mailshot queue with a long name",
        "The Queue page shows the blocked queue, the mailshots waiting behind it and Fix name.",
        _block_queue,
    ),
    Story(
        "expire_key",
        "Expire GatorMail's API key",
        "The Queue page says the key expired and where a System Admin renews it.",
        lambda: [("PUT", "/gatormail/api_key", {"valid_until": int(time.time()) - 3600})],
    ),
    Story(
        "disable_key",
        "Disable GatorMail's API key",
        "The Queue page says the key is disabled and nothing can sync.",
        lambda: [("PUT", "/gatormail/api_key", {"enabled": False})],
    ),
    Story(
        "stop_integration",
        "Stop the GatorMail integration",
        "The Queue page says the integration is not running and who can start it.",
        lambda: [("PUT", "/gatormail", {"running": False})],
    ),
    Story(
        "opt_out",
        "Opt a person out in Outreach",
        "After the next sync the People page shows the person as Opted out (No Email on).",
        lambda: [("POST", "/change", {"kind": "opt_out"})],
    ),
    Story(
        "bounce",
        "Bounce an email in Outreach",
        "After the next sync the People page shows the sequence state Bounced.",
        lambda: [("POST", "/change", {"kind": "bounce"})],
    ),
    Story(
        "rate_limit",
        "Make Outreach rate-limit (60 s)",
        "The next sync waits for Outreach's Retry-After and says so in the status bar.",
        lambda: [("PUT", "/faults", {"rate_limit_remaining": 0, "retry_after": 60})],
    ),
    Story(
        "revoke_scope",
        "Take away the sequenceStates.read scope",
        "The next sync fails with Outreach's 403 and says which permission is missing.",
        lambda: [("PUT", "/outreach/scopes", {"missing": ["sequenceStates.read"]})],
    ),
    Story(
        "slow_workbooks",
        "Make Workbooks slow (2 s per request)",
        "Syncs take longer; the status bar and the Runs page show where the time goes.",
        lambda: [("PUT", "/faults", {"target": "workbooks", "latency_ms": 2000})],
    ),
)

RESET = Story(
    "reset",
    "Put everything back",
    "Faults off, full rate limit, the key valid, the integration running, every scope granted.",
    lambda: [
        ("DELETE", "/faults", None),
        ("PUT", "/gatormail", {"running": True}),
        ("PUT", "/gatormail/api_key", {"enabled": True, "valid_until": None}),
        ("PUT", "/outreach/scopes", {"missing": []}),
    ],
)


@dataclass(frozen=True)
class StoryOutcome:
    """What playing a story did, in words for a status line or a terminal."""

    story: Story
    ok: bool
    message: str


class SandboxControls:
    """Plays the stories against a running sandbox's admin API (`admin_url` ends in /_admin)."""

    def __init__(self, admin_url: str, *, transport: httpx.AsyncBaseTransport | None = None):
        self.admin_url = admin_url.rstrip("/")
        self._transport = transport

    @property
    def stories(self) -> tuple[Story, ...]:
        return STORIES

    @property
    def reset_story(self) -> Story:
        return RESET

    def story(self, key: str) -> Story:
        for story in (*STORIES, RESET):
            if story.key == key:
                return story
        raise KeyError(f"No sandbox story is called {key!r}")

    async def play(self, key: str) -> StoryOutcome:
        """Make the story happen now; never raises for an answer the sandbox gives."""
        story = self.story(key)
        try:
            async with httpx.AsyncClient(
                base_url=self.admin_url,
                timeout=TIMEOUT_S,
                transport=self._transport,
                verify=tls_context(),  # built once; else each story loaded the CA bundle anew
            ) as client:
                for method, route, body in story.calls():
                    response = await client.request(method, route, json=body)
                    if response.status_code >= 400:
                        reason = _error_text(response)
                        log.warning("Sandbox: %s refused: %s", story.title, reason)
                        return StoryOutcome(
                            story, False, f"The sandbox refused “{story.title}”: {reason}"
                        )
        except httpx.HTTPError as exc:
            log.warning("Sandbox: %s failed: %s", story.title, exc)
            return StoryOutcome(
                story,
                False,
                f"The sandbox at {self.admin_url} did not answer ({type(exc).__name__}). "
                "Restart Sync Monitor to start it again.",
            )
        log.info("Sandbox: %s", story.title)
        return StoryOutcome(story, True, f"Sandbox: {story.title}. {story.explains}")


def _error_text(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    if isinstance(data, dict) and isinstance(data.get("error"), str):
        return str(data["error"])
    return f"HTTP {response.status_code}"


# The sandbox's address for other processes (`syncmonitor status`) ---------------------------


def write_address(data_dir: Path, base_url: str, admin_url: str) -> Path:
    """Note where this process's sandbox listens (removed again by `forget_address`)."""
    path = data_dir / ADDRESS_FILE
    payload = {"pid": os.getpid(), "base_url": base_url, "admin_url": admin_url}
    path.write_text(json.dumps(payload), encoding="utf-8")
    return path


def forget_address(data_dir: Path) -> None:
    path = data_dir / ADDRESS_FILE
    try:
        if json.loads(path.read_text(encoding="utf-8")).get("pid") == os.getpid():
            path.unlink()
    except (OSError, ValueError):
        pass


def read_address(data_dir: Path) -> dict[str, str] | None:
    """Where the running app's sandbox listens, or None when no app with a sandbox runs."""
    try:
        data = json.loads((data_dir / ADDRESS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not _alive(data.get("pid")):
        return None
    return {"base_url": str(data.get("base_url", "")), "admin_url": str(data.get("admin_url", ""))}


def _alive(pid: object) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    if sys.platform == "win32":  # os.kill would end the process there, not probe it
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
