"""Outreach's OAuth 2.0 access tokens, refreshed when they expire, even in the middle of a sync.

Outreach access tokens live about two hours; a full sync of a large account can outlast one. The
refresh token is replaced by every refresh (the old one stops working at once), so the new one is
handed to `on_rotate` (the app saves it in the OS keyring) before the new access token is used.

`RefreshingBearer` is an `httpx.Auth`: it adds the bearer token to each request, and when Outreach
answers 401 it refreshes once (`POST /oauth/token` with `grant_type=refresh_token`) and sends the
request again. Concurrent requests that meet the same expired token share one refresh. A refresh
that Outreach refuses ends in one `AuthenticationError` that says to reconnect: never a loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncGenerator, Callable, Generator
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from syncmonitor.connectors.errors import OUTREACH, AuthenticationError, ConnectorError
from syncmonitor.connectors.http.limits import read_capped

log = logging.getLogger(__name__)

API_SUFFIX = "/api/v2"
# Refresh a little before the stated expiry, so a request is not sent with a token that dies
# on the way.
EXPIRY_MARGIN_S = 60.0
TOKEN_ANSWER_CAP = 1024 * 1024


def token_url_for(base_url: str) -> str:
    """Outreach's token endpoint for an API base URL (`https://api.outreach.io/api/v2` gives
    `https://api.outreach.io/oauth/token`)."""
    root = base_url.rstrip("/")
    root = root.removesuffix(API_SUFFIX)
    return root + "/oauth/token"


@dataclass(frozen=True)
class OutreachGrant:
    """What it takes to get access tokens: the OAuth app and the user's refresh token."""

    client_id: str
    client_secret: str
    refresh_token: str
    token_url: str

    def __repr__(self) -> str:  # never print a secret by accident
        return f"OutreachGrant(client_id={self.client_id!r}, token_url={self.token_url!r})"


class RefreshingBearer(httpx.Auth):
    """Bearer auth for Outreach that refreshes its access token when it expires."""

    def __init__(
        self,
        grant: OutreachGrant,
        *,
        on_rotate: Callable[[str], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._grant = grant
        self._refresh_token = grant.refresh_token
        self._on_rotate = on_rotate
        self._clock = clock
        self._access: str | None = None
        self._expires_at = 0.0
        self._generation = 0  # bumped by every refresh
        self._lock: asyncio.Lock | None = None
        self.refreshes = 0

    def secrets(self) -> tuple[str, ...]:
        """Every secret this auth holds now, for scrubbing error text."""
        values = (self._grant.client_secret, self._refresh_token, self._access or "")
        return tuple(v for v in values if v)

    # -- httpx.Auth ---------------------------------------------------------------------------

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response]:
        raise RuntimeError("RefreshingBearer works with httpx.AsyncClient only")

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        lock = self._lock or asyncio.Lock()
        self._lock = lock
        if self._access is None or self._clock() >= self._expires_at:
            async with lock:
                if self._access is None or self._clock() >= self._expires_at:
                    answer = yield self._refresh_request()
                    await self._take(answer)
        generation = self._generation
        request.headers["Authorization"] = f"Bearer {self._access}"
        response = yield request
        if response.status_code != 401:
            return
        async with lock:
            if self._generation == generation:  # nobody refreshed since this request went out
                log.info("Outreach refused the access token (expired?); refreshing it")
                with contextlib.suppress(ConnectorError):  # a huge 401 body is not kept
                    await read_capped(response, OUTREACH, TOKEN_ANSWER_CAP)
                answer = yield self._refresh_request()
                await self._take(answer)
        request.headers["Authorization"] = f"Bearer {self._access}"
        yield request  # a second 401 is the caller's to report: no loop

    # -- the token endpoint -------------------------------------------------------------------

    def _refresh_request(self) -> httpx.Request:
        form = {
            "client_id": self._grant.client_id,
            "client_secret": self._grant.client_secret,
            "grant_type": "refresh_token",
            "refresh_token": self._refresh_token,
        }
        return httpx.Request(
            "POST",
            self._grant.token_url,
            data=form,
            headers={"Accept": "application/json"},
        )

    async def _take(self, answer: httpx.Response) -> None:
        # A token answer is a few hundred bytes: a hostile endpoint cannot make it gigabytes.
        body = await read_capped(answer, OUTREACH, TOKEN_ANSWER_CAP)
        document: Any = None
        with contextlib.suppress(orjson.JSONDecodeError):
            document = orjson.loads(body)
        if answer.status_code != 200 or not isinstance(document, dict):
            said = None
            if isinstance(document, dict):
                said = document.get("error_description") or document.get("error")
            raise AuthenticationError(
                OUTREACH,
                "Outreach refused to renew the sign-in",
                f"Outreach did not renew Sync Monitor's access (HTTP {answer.status_code}"
                f"{f': {said}' if isinstance(said, str) and said else ''}): the saved sign-in "
                "has expired or was revoked. Connect Outreach again in Settings, then sync.",
                status_code=answer.status_code,
                url=self._grant.token_url,
            )
        access, refresh = document.get("access_token"), document.get("refresh_token")
        lifetime = document.get("expires_in")
        if not isinstance(access, str) or not access:
            raise AuthenticationError(
                OUTREACH,
                "Outreach sent no access token",
                "Outreach answered the token renewal without an access token. Try again later; "
                "if it keeps happening, connect Outreach again in Settings.",
                status_code=answer.status_code,
                url=self._grant.token_url,
            )
        if isinstance(refresh, str) and refresh and refresh != self._refresh_token:
            # Save the new refresh token before anything else: the old one is dead already.
            # A failure to save must not stop this sync (the token is good in memory); the
            # callback is the one that tells the person.
            self._refresh_token = refresh
            try:
                self._on_rotate(refresh)
            except Exception:
                log.exception("Could not save Outreach's renewed refresh token")
        seconds = float(lifetime) if isinstance(lifetime, int | float) else 7200.0
        self._access = access
        # A short-lived token (tests, the sandbox) is renewed at half its life instead.
        self._expires_at = self._clock() + max(seconds / 2, seconds - EXPIRY_MARGIN_S)
        self._generation += 1
        self.refreshes += 1
