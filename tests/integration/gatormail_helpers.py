"""A fast GatorMail sandbox for the queue tests, and small helpers to drive it."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx

import loopback_http
from syncmonitor.engine.runs.service import Remotes
from syncmonitor.sandbox.process import SandboxEndpoints, SandboxProcess

FAST = {"seconds_per_mailshot": 0.05, "seconds_per_record": 0.00005, "new_every": 0}
LONG_NAME = "L" * 101


@dataclass
class GatorMailSandbox:
    """A running sandbox with the integration sped up and the producer off."""

    endpoints: SandboxEndpoints
    admin: httpx.Client

    @property
    def remotes(self) -> Remotes:
        ep = self.endpoints
        return Remotes(
            None,
            None,
            ep.workbooks_base_url,
            ep.workbooks_api_key,
            spotler_base_url=ep.spotler_base_url,
            spotler_consumer_key=ep.spotler_consumer_key,
            spotler_consumer_secret=ep.spotler_consumer_secret,
        )

    def settings(self, **switches: Any) -> dict[str, Any]:
        response = self.admin.put("/gatormail", json=switches)
        response.raise_for_status()
        return dict(response.json())

    def state(self) -> dict[str, Any]:
        return dict(self.admin.get("/gatormail").json())

    def create(self, **fields: Any) -> list[int]:
        response = self.admin.post("/gatormail/mailshots", json=fields)
        response.raise_for_status()
        return list(response.json()["ids"])

    def mailshot(self, mailshot_id: int) -> dict[str, Any]:
        return dict(self.admin.get(f"/gatormail/mailshots/{mailshot_id}").json())

    def delete(self, mailshot_id: int) -> None:
        self.admin.delete(f"/gatormail/mailshots/{mailshot_id}").raise_for_status()

    def api_key(self, **fields: Any) -> dict[str, Any]:
        response = self.admin.put("/gatormail/api_key", json=fields)
        response.raise_for_status()
        return dict(response.json())

    def campaigns(self) -> list[dict[str, Any]]:
        """Spotler's campaigns with the sandbox's bookkeeping (which mailshot, contacts)."""
        return list(self.admin.get("/gatormail/campaigns").json())

    def workbooks(self, path: str, params: list[tuple[str, str]]) -> dict[str, Any]:
        """A read of the sandbox's Workbooks API, as any client would make it."""
        ep = self.endpoints
        response = loopback_http.get(
            f"{ep.workbooks_base_url}/{path}",
            params=[("api_key", ep.workbooks_api_key), *params],
            headers={"User-Agent": "tests"},
        )
        return dict(response.json())

    def workbooks_write_status(self, mailshot_id: int, status: str) -> None:
        """Save a mailshot's status through the Workbooks API, as a user's save would."""
        ep = self.endpoints
        version = self.mailshot(mailshot_id)["lock_version"]
        form = [
            ("api_key", ep.workbooks_api_key),
            ("_ff[]", "id"),
            ("_ft[]", "eq"),
            ("_fc[]", str(mailshot_id)),
            ("__method[]", "PUT"),
            ("id[]", str(mailshot_id)),
            ("lock_version[]", str(version)),
            ("status[]", status),
        ]
        response = loopback_http.put(
            f"{ep.workbooks_base_url}/email/integrated_mailshots.api",
            content=urlencode(form),
            headers={"User-Agent": "tests", "Content-Type": "application/x-www-form-urlencoded"},
        )
        assert response.json()["success"] is True, response.text

    def wait_for(self, condition: Callable[[], bool], timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; sandbox says {self.state()}")
            time.sleep(0.02)

    def looked(self, times: int = 2) -> dict[str, Any]:
        """Wait until the worker has looked at the queue `times` more times; its state then.

        Every look holds the world lock, as every admin call does, so a look counted after this
        call began saw everything done before it: "nothing moved" then means the worker saw it.
        """
        seen = self.state()["looks"]
        self.wait_for(lambda: self.state()["looks"] >= seen + times)
        return self.state()

    def drain(self) -> None:
        """Wait until the integration has taken everything queued (or stalls)."""
        self.wait_for(lambda: not self.state()["queue"])


def start_gatormail() -> Iterator[GatorMailSandbox]:
    """Run a fast GatorMail sandbox for one test (use with `yield from` in a fixture)."""
    process = SandboxProcess(seed=5, people=10, tick=0)
    endpoints = process.start(timeout=60)
    admin = loopback_http.client(base_url=endpoints.admin_url, timeout=30)
    sandbox = GatorMailSandbox(endpoints, admin)
    try:
        sandbox.settings(**FAST)
        sandbox.drain()  # the world starts with two queued mailshots
        yield sandbox
    finally:
        admin.close()
        process.stop()
