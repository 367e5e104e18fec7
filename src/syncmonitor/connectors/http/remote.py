"""The base of every remote's client: one ResilientClient, built the same way for each service.

Each client (Outreach, Workbooks, Spotler, Salesforce, Salesmate) says what is its own: the
service's name, the address, its headers and authentication, how it words its errors and which
secrets to scrub. The rest, what tests and the engine may set on any client (`TransportOptions`:
the retry policy, an injected transport, sleep, random and clock for deterministic retries, the
timeout), passes through untouched. The bounds against hostile answers (the whole-request
deadline, the size caps, the page budgets) live in ResilientClient and its `Limits`, so every
client has them without asking.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Self, TypedDict

import httpx
from typing_extensions import Unpack

from syncmonitor.connectors.http.client import (
    Classify,
    RemoteProblem,
    ResilientClient,
    Sleep,
    TransportStats,
)
from syncmonitor.connectors.http.retry import RetryPolicy


class TransportOptions(TypedDict, total=False):
    """What any client takes besides its own settings; ResilientClient's defaults otherwise."""

    policy: RetryPolicy | None
    transport: httpx.AsyncBaseTransport | None
    sleep: Sleep | None
    random: Callable[[], float] | None
    clock: Callable[[], float] | None
    timeout: httpx.Timeout


class RemoteClient:
    """What every remote's client shares: a ResilientClient, its figures, and closing it."""

    def __init__(
        self,
        *,
        service: str,
        base_url: str,
        headers: Mapping[str, str],
        describe_error: Callable[[httpx.Response], RemoteProblem],
        secrets: Sequence[str],
        classify_error: Classify | None = None,
        auth: httpx.Auth | None = None,
        **options: Unpack[TransportOptions],
    ) -> None:
        self._http = ResilientClient(
            service=service,
            base_url=base_url,
            headers=headers,
            describe_error=describe_error,
            classify_error=classify_error,
            secrets=secrets,
            auth=auth,
            **options,
        )

    @property
    def stats(self) -> TransportStats:
        """Requests, retries, redirects, bytes and rate-limit figures so far."""
        return self._http.stats

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
