"""How hard to try again, and what the remote's rate-limit headers say.

Pure functions and a policy object, kept apart from the client so the retry rules can be read
(and tested) on their own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

# The header parsers live in headers.py (bounded against hostile values); kept importable here.
from syncmonitor.connectors.http.headers import (
    parse_rate_limit_remaining,
    parse_rate_limit_reset,
    parse_retry_after,
)

__all__ = [
    "RetryPolicy",
    "parse_rate_limit_remaining",
    "parse_rate_limit_reset",
    "parse_retry_after",
]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard to try before giving up.

    Backoff is "full jitter": before retry n (1-based) wait a uniform random time in
    [0, min(max_delay, base_delay * 2 ** (n - 1))]. A wait the remote asks for (Retry-After,
    an exhausted rate-limit budget) is honoured instead, unless it exceeds
    `max_wait_for_rate_limit`, in which case the call fails with `RateLimitedError` at once.
    """

    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0
    max_wait_for_rate_limit: float = 120.0
    max_redirects: int = 5
    redirect_delay: float = 0.5
    # How long one request may take before it counts as failed (None: the client's default,
    # 30 s to read and 10 s to connect). A remote slower than this is retried like a dropped one.
    request_timeout: float | None = None

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if min(self.base_delay, self.max_delay, self.max_wait_for_rate_limit) < 0:
            raise ValueError("delays must not be negative")
        if self.max_redirects < 0 or self.redirect_delay < 0:
            raise ValueError("max_redirects and redirect_delay must not be negative")
        if self.request_timeout is not None and self.request_timeout <= 0:
            raise ValueError("request_timeout must be positive")

    def backoff_cap(self, retry: int) -> float:
        """The longest backoff before retry number `retry` (1-based)."""
        exponent = min(max(retry - 1, 0), 62)  # 2**62 * base is already far beyond max_delay
        return float(min(self.max_delay, self.base_delay * (2**exponent)))

    def backoff(self, retry: int, random: Callable[[], float]) -> float:
        """A jittered delay before retry number `retry`; `random()` returns [0, 1)."""
        return random() * self.backoff_cap(retry)
