"""Fault switches and Outreach's rate limit: the ways the sandbox misbehaves on purpose.

The switches are set through `/_admin/faults` (merged on PUT, all off on DELETE). `*_next` counts
apply to the next N requests of the target service and then run out; `lock_conflict_next` counts
Workbooks objects written, not requests, so one batch can have exactly one conflict in it.
"""

from __future__ import annotations

import math
import random
import threading
import time
from dataclasses import dataclass
from typing import Any

DEFAULT_RATE_LIMIT = 10_000
RATE_WINDOW_SECONDS = 3600
TARGETS = ("all", "outreach", "workbooks", "salesforce", "spotler")

DEFAULTS: dict[str, Any] = {
    "target": "all",
    "latency_ms": 0,
    "fail_next": 0,
    "fail_status": 500,
    # The remote's own reason on a failed answer (Workbooks `failure_reason`, Outreach error
    # `id`, Salesforce `errorCode`), e.g. "database_being_migrated"; None: a generic one.
    "fail_reason": None,
    "error_rate": 0.0,
    "drop_next": 0,
    "malformed_next": 0,
    "truncate_next": 0,
    "rate_limit_budget": DEFAULT_RATE_LIMIT,
    "rate_limit_remaining": None,
    "retry_after": 30,
    "two_value_remaining": False,
    "redirect_next": 0,
    "lock_conflict_next": 0,
    # Outreach paging: the next page's link points back at this page, or past the next one.
    "cursor_repeat_next": 0,
    "cursor_skip_next": 0,
}


class FaultError(ValueError):
    """A fault setting that makes no sense; the admin API answers it with a 422."""


@dataclass(frozen=True, slots=True)
class Plan:
    """What the faults do to one request. `body_fault` is "drop", "truncate" or "malformed"."""

    latency_seconds: float = 0.0
    redirect: bool = False
    fail_status: int | None = None
    body_fault: str | None = None
    cursor_fault: str | None = None  # "repeat" or "skip" (Outreach collections)


class Faults:
    """The current switches, the rate limit they configure, and a lock around both."""

    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._rng = random.Random(f"{seed}:faults")
        self._settings: dict[str, Any] = dict(DEFAULTS)
        self._limit = DEFAULT_RATE_LIMIT
        self._remaining = DEFAULT_RATE_LIMIT
        self._reset_at = time.time() + RATE_WINDOW_SECONDS
        self._forced_wait: bool = False  # the budget was emptied by a switch, not by use

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return dict(self._settings)

    def update(self, changes: dict[str, Any]) -> dict[str, Any]:
        """Merge `changes` into the switches after checking every one of them."""
        checked = {key: _check(key, value) for key, value in changes.items()}
        with self._lock:
            self._settings.update(checked)
            now = time.time()
            if "rate_limit_budget" in checked:
                self._limit = checked["rate_limit_budget"]
                self._remaining = self._limit
                self._reset_at = now + RATE_WINDOW_SECONDS
                self._forced_wait = False
            if checked.get("rate_limit_remaining") is not None:
                self._remaining = min(checked["rate_limit_remaining"], self._limit)
                retry_after = self._settings["retry_after"]
                # A budget emptied on purpose comes back after Retry-After, so tests need not
                # wait an hour; with no Retry-After it comes back with the hourly window.
                if retry_after is not None:
                    self._reset_at = now + retry_after
                self._forced_wait = True
            return dict(self._settings)

    def clear(self) -> dict[str, Any]:
        """Every switch off and a full rate-limit budget."""
        with self._lock:
            self._settings = dict(DEFAULTS)
            self._limit = self._remaining = DEFAULT_RATE_LIMIT
            self._reset_at = time.time() + RATE_WINDOW_SECONDS
            self._forced_wait = False
            return dict(self._settings)

    def plan(self, service: str) -> Plan:
        """Decide, and use up, what the switches do to the next request to `service`."""
        with self._lock:
            s = self._settings
            if s["target"] not in ("all", service):
                return Plan()
            latency = s["latency_ms"] / 1000
            if self._take("redirect_next"):
                return Plan(latency, redirect=True)
            if self._take("fail_next") or (
                s["error_rate"] > 0 and self._rng.random() < s["error_rate"]
            ):
                return Plan(latency, fail_status=s["fail_status"])
            for kind in ("drop", "truncate", "malformed"):
                if self._take(f"{kind}_next"):
                    return Plan(latency, body_fault=kind)
            if service == "outreach":
                for kind in ("repeat", "skip"):
                    if self._take(f"cursor_{kind}_next"):
                        return Plan(latency, cursor_fault=kind)
            return Plan(latency)

    def take_lock_conflict(self) -> bool:
        """True when the next Workbooks object written must meet a concurrent edit."""
        with self._lock:
            if self._settings["target"] not in ("all", "workbooks"):
                return False
            return self._take("lock_conflict_next")

    def _take(self, key: str) -> bool:
        if self._settings[key] > 0:
            self._settings[key] -= 1
            return True
        return False

    def spend_rate_limit(self) -> tuple[bool, dict[str, str]]:
        """Count one Outreach request: (allowed, the X-RateLimit-* and Retry-After headers)."""
        with self._lock:
            now = time.time()
            if now >= self._reset_at:
                self._remaining = self._limit
                self._reset_at = now + RATE_WINDOW_SECONDS
                self._forced_wait = False
                self._settings["rate_limit_remaining"] = None
            allowed = self._remaining > 0
            if allowed:
                self._remaining -= 1
            headers = {
                "X-RateLimit-Limit": str(self._limit),
                "X-RateLimit-Remaining": self._remaining_text(),
                "X-RateLimit-Reset": str(math.ceil(self._reset_at)),
            }
            if not allowed:
                retry_after = self._settings["retry_after"]
                if self._forced_wait and retry_after is not None:
                    headers["Retry-After"] = str(retry_after)
                elif retry_after is not None:
                    headers["Retry-After"] = str(max(1, math.ceil(self._reset_at - now)))
            return allowed, headers

    def _remaining_text(self) -> str:
        if self._settings["two_value_remaining"]:
            # Seen in public connector code: a second, larger bucket after a comma.
            return f"{self._remaining}, {self._remaining + self._limit}"
        return str(self._remaining)

    def rate_limit_state(self) -> dict[str, Any]:
        with self._lock:
            return {"limit": self._limit, "remaining": self._remaining, "reset": self._reset_at}


def _check(key: str, value: Any) -> Any:
    if key not in DEFAULTS:
        raise FaultError(f"unknown fault {key!r}; known: {', '.join(DEFAULTS)}")
    if key == "target":
        if value not in TARGETS:
            raise FaultError(f"target must be one of {', '.join(TARGETS)}")
        return value
    if key == "fail_reason":
        if value is not None and not (isinstance(value, str) and value.strip()):
            raise FaultError("fail_reason must be a reason such as database_being_migrated")
        return value
    if key == "two_value_remaining":
        if not isinstance(value, bool):
            raise FaultError("two_value_remaining must be true or false")
        return value
    if key == "error_rate":
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            raise FaultError("error_rate must be a number from 0 to 1")
        return float(value)
    if key in ("rate_limit_remaining", "retry_after") and value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise FaultError(f"{key} must be a whole number, 0 or more")
    if key == "fail_status" and not 400 <= value <= 599:
        raise FaultError("fail_status must be an HTTP error status, 400 to 599")
    return value  # every other switch is a whole number, 0 or more
