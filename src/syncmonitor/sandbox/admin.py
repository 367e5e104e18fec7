"""A small synchronous client for the sandbox's `/_admin` API, for tests and scripts."""

from __future__ import annotations

import functools
import ssl
from types import TracebackType
from typing import Any

import httpx


@functools.cache
def _tls() -> ssl.SSLContext:
    """The TLS context every admin client shares. The admin API is plain HTTP on loopback, but
    httpx would build a context per client, loading the CA bundle each time (25-30 ms of CPU:
    the suite makes hundreds of these clients)."""
    return ssl.create_default_context()


class AdminClient:
    """Drives a running sandbox: faults, live changes, stats, stored Workbooks people.

    Every method raises `httpx.HTTPStatusError` when the sandbox refuses the call (a fault
    setting it does not know, an unknown person).
    """

    def __init__(self, admin_url: str, timeout: float = 30.0) -> None:
        self.admin_url = admin_url.rstrip("/")
        self._http = httpx.Client(base_url=self.admin_url, timeout=timeout, verify=_tls())

    def faults(self) -> dict[str, Any]:
        """The fault switches as they stand."""
        return self._call("GET", "/faults")

    def set_faults(self, **switches: Any) -> dict[str, Any]:
        """Merge switches (`fail_next=2`, `target="outreach"`...); answers them all."""
        return self._call("PUT", "/faults", switches)

    def oauth(self, **settings: Any) -> dict[str, Any]:
        """The OAuth endpoint's state; with settings (`token_lifetime_s`, `refuse_refresh`),
        change them first."""
        return self._call("PUT", "/oauth", settings) if settings else self._call("GET", "/oauth")

    def expire_oauth_tokens(self) -> int:
        """Make every access token the sandbox issued expire now; how many there were."""
        return int(self._call("POST", "/oauth/expire")["expired"])

    def deny_outreach_scopes(self, *scopes: str) -> dict[str, Any]:
        """Make the sandbox's Outreach tokens lack these scopes (none: all granted)."""
        return self._call("PUT", "/outreach/scopes", {"missing": list(scopes)})

    def outreach_scopes(self, missing: list[str] | None = None) -> dict[str, Any]:
        """The scopes the Outreach tokens lack; with `missing`, set them (e.g. ["calls.read"])."""
        if missing is None:
            return self._call("GET", "/outreach/scopes")
        return self._call("PUT", "/outreach/scopes", {"missing": missing})

    def clear_faults(self) -> dict[str, Any]:
        """Every switch off and a full rate-limit budget."""
        return self._call("DELETE", "/faults")

    def tick(self, changes: int) -> list[dict[str, Any]]:
        """Apply `changes` live changes now; what changed, one entry per change."""
        changed: list[dict[str, Any]] = self._call("POST", "/tick", {"changes": changes})["changes"]
        return changed

    def set_live(self, tick: float, changes_per_tick: int) -> dict[str, Any]:
        """Change the ticker: `changes_per_tick` changes every `tick` seconds (0 freezes)."""
        return self._call("POST", "/live", {"tick": tick, "changes_per_tick": changes_per_tick})

    def advance_clock(self, seconds: float) -> int:
        """Move the sandbox's clock `seconds` on (its Workbooks and Outreach timestamps);
        answers the new time in epoch ms."""
        return int(self._call("POST", "/clock", {"advance_seconds": seconds})["now_ms"])

    def stats(self) -> dict[str, Any]:
        """Counts of records and of requests served, the live settings, the rate limit."""
        return self._call("GET", "/stats")

    def person(self, person_id: int) -> dict[str, Any]:
        """A Workbooks person exactly as stored, every field."""
        return self._call("GET", f"/workbooks/people/{person_id}")

    def people(self) -> dict[int, dict[str, Any]]:
        """Every Workbooks person exactly as stored (deleted ones too), by id, in one request."""
        return {int(p["id"]): p for p in self._call("GET", "/workbooks/people")["people"]}

    def shutdown(self) -> None:
        """Ask the sandbox to stop; it answers first, then stops."""
        self._call("POST", "/shutdown")

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> AdminClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _call(
        self, method: str, path: str, payload: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        response = self._http.request(method, path, json=payload)
        response.raise_for_status()
        answer: dict[str, Any] = response.json()
        return answer
