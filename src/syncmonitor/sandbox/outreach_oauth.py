"""Outreach's OAuth 2.0 token endpoint as the sandbox serves it, at `/outreach/oauth/token`.

`POST` form-encoded `grant_type=refresh_token`, `client_id`, `client_secret`, `refresh_token`:
answers `{"access_token", "refresh_token", "expires_in", "token_type": "bearer", ...}`. Like
Outreach, every refresh replaces the refresh token (the old one stops working at once). Errors are
OAuth-shaped: 400 `{"error": "invalid_grant", "error_description": ...}` or 401
`invalid_client`. Access tokens it issues are accepted by the API beside the static token.

`GET /outreach/oauth/authorize?client_id&redirect_uri&response_type=code&scope&state` stands in
for Outreach's consent page: it approves at once and redirects (302) to `redirect_uri` with
`code` and `state`; `grant_type=authorization_code` (with `code`, `client_id`, `client_secret`
and the same `redirect_uri`) then answers like a refresh, and its refresh token replaces the
current one. A code works once, within ten minutes (Outreach's lifetime is not documented here).

Admin (`/_admin/oauth`): `GET` the state; `PUT` with `token_lifetime_s`, `refuse_refresh`; `POST
/_admin/oauth/expire` makes every issued access token expire now (an expiry mid-sync).
"""

from __future__ import annotations

import hmac
import os
import secrets
import threading
import time
from typing import Any
from urllib.parse import parse_qsl, urlencode

from syncmonitor.sandbox.http_types import Request, Response, json_response

PATH = "/outreach/oauth/token"
AUTHORIZE_PATH = "/outreach/oauth/authorize"
ENV_CLIENT_ID = "SYNCMONITOR_SANDBOX_OUTREACH_CLIENT_ID"
ENV_CLIENT_SECRET = "SYNCMONITOR_SANDBOX_OUTREACH_CLIENT_SECRET"
ENV_REFRESH_TOKEN = "SYNCMONITOR_SANDBOX_OUTREACH_REFRESH_TOKEN"
DEFAULT_CLIENT_ID = "sandbox-client"
DEFAULT_CLIENT_SECRET = "sandbox-client-secret"
DEFAULT_REFRESH_TOKEN = "sandbox-refresh-token"
DEFAULT_LIFETIME_S = 7200


class OAuthServer:
    """Issues and checks access tokens; thread-safe (the HTTP server is threaded)."""

    def __init__(self, client_id: str, client_secret: str, refresh_token: str) -> None:
        self._lock = threading.Lock()
        self._client_id, self._client_secret = client_id, client_secret
        self._refresh_token = refresh_token
        self._access: dict[str, float] = {}  # token -> expiry (monotonic seconds)
        self.lifetime_s = DEFAULT_LIFETIME_S
        self.refuse_refresh = False
        self.refreshes = 0
        self._codes: dict[str, tuple[str, float]] = {}  # code -> (redirect_uri, expiry)

    # -- the API's question -------------------------------------------------------------------

    def is_valid(self, token: str) -> bool:
        with self._lock:
            expiry = self._access.get(token)
            return expiry is not None and time.monotonic() < expiry

    # -- the token endpoint -------------------------------------------------------------------

    def authorize(self, request: Request) -> Response:
        """The consent page, approved at once: a redirect with a one-time code."""
        query = dict(request.query_pairs())
        redirect = query.get("redirect_uri", "")
        if not _same(query.get("client_id", ""), self._client_id):
            return _oauth_error(400, "invalid_client", "Unknown client_id.")
        if query.get("response_type") != "code" or not redirect.startswith("http"):
            return _oauth_error(400, "invalid_request", "response_type=code and a redirect_uri.")
        code = "sbx-code-" + secrets.token_urlsafe(16)
        with self._lock:
            self._codes[code] = (redirect, time.monotonic() + 600)
        target = f"{redirect}?{urlencode({'code': code, 'state': query.get('state', '')})}"
        return Response(302, b"", {"Location": target})

    def handle(self, request: Request) -> Response:
        if request.method != "POST":
            return _oauth_error(405, "invalid_request", "Use POST.")
        form = dict(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))
        if form.get("grant_type") == "authorization_code":
            with self._lock:
                redirect, expiry = self._codes.pop(form.get("code", ""), ("", 0.0))
                if time.monotonic() > expiry or redirect != form.get("redirect_uri"):
                    return _oauth_error(
                        400, "invalid_grant", "The authorization code is invalid or expired."
                    )
                self._refresh_token = form.get("refresh_token", "") or self._refresh_token
            form = {**form, "grant_type": "refresh_token", "refresh_token": self._refresh_token}
        if form.get("grant_type") != "refresh_token":
            return _oauth_error(
                400, "unsupported_grant_type", "The sandbox supports grant_type=refresh_token."
            )
        with self._lock:
            if not (
                _same(form.get("client_id", ""), self._client_id)
                and _same(form.get("client_secret", ""), self._client_secret)
            ):
                return _oauth_error(401, "invalid_client", "Client authentication failed.")
            if self.refuse_refresh or not _same(form.get("refresh_token", ""), self._refresh_token):
                return _oauth_error(
                    400,
                    "invalid_grant",
                    "The provided authorization grant is invalid, expired, revoked, or was "
                    "issued to another client.",
                )
            access = "sbx-at-" + secrets.token_urlsafe(24)
            self._refresh_token = "sbx-rt-" + secrets.token_urlsafe(24)
            self._access[access] = time.monotonic() + self.lifetime_s
            self.refreshes += 1
            return json_response(
                200,
                {
                    "access_token": access,
                    "token_type": "bearer",
                    "expires_in": self.lifetime_s,
                    "refresh_token": self._refresh_token,
                    "scope": "sequenceStates.read prospects.all sequences.read stages.all",
                    "created_at": int(time.time()),
                },
            )

    # -- admin --------------------------------------------------------------------------------

    def expire_all(self) -> int:
        with self._lock:
            count = len(self._access)
            self._access.clear()
            return count

    def configure(self, payload: dict[str, Any]) -> dict[str, Any]:
        lifetime = payload.get("token_lifetime_s", self.lifetime_s)
        refuse = payload.get("refuse_refresh", self.refuse_refresh)
        if not isinstance(lifetime, int) or isinstance(lifetime, bool) or lifetime < 1:
            raise ValueError("token_lifetime_s must be a whole number of seconds >= 1")
        if not isinstance(refuse, bool):
            raise ValueError("refuse_refresh must be true or false")
        with self._lock:
            self.lifetime_s, self.refuse_refresh = lifetime, refuse
        return self.state()

    def state(self) -> dict[str, Any]:
        with self._lock:
            now = time.monotonic()
            return {
                "token_lifetime_s": self.lifetime_s,
                "refuse_refresh": self.refuse_refresh,
                "refreshes": self.refreshes,
                "live_access_tokens": sum(1 for t in self._access.values() if t > now),
            }


def oauth_from_environment() -> OAuthServer:
    """The OAuth app and first refresh token from the environment (never argv), or defaults."""
    return OAuthServer(
        os.environ.get(ENV_CLIENT_ID) or DEFAULT_CLIENT_ID,
        os.environ.get(ENV_CLIENT_SECRET) or DEFAULT_CLIENT_SECRET,
        os.environ.get(ENV_REFRESH_TOKEN) or DEFAULT_REFRESH_TOKEN,
    )


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def _oauth_error(status: int, code: str, description: str) -> Response:
    return json_response(status, {"error": code, "error_description": description})
