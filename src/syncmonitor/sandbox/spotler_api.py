"""Spotler Mail+ REST as the sandbox serves it, under `/spotler/integrationservice-1.1.0`.

Every request is signed with one-legged OAuth 1.0a (HMAC-SHA1, consumer key and secret, no
token). The signature is checked here with the standard library alone (RFC 5849 section 3.4), so
the connector's signing library is checked against an independent implementation. Timestamps
must be within 5 minutes and a nonce cannot be used twice. Errors look like Mail+ errors:
`{"errorType": "...", "message": "..."}`.

Served, with the shapes of the Mail+ Swagger description: `GET /campaign/list` (no parameters; a
bare array of `Campaign {encryptedId, name, active, triggers[]}`, in order of creation) and
`GET /mailing?fromDate&toDate` (both required, ISO 8601; a bare array of
`Mailing {encryptedId, name, scheduledStartDate, type, sentCount}` scheduled in that period).
`GET /integration/status` is sandbox only (no Mail+ resource reports the "Integration running"
tick): it answers 404 unless the GatorMail switch `undocumented_reads` is on.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import time
from datetime import UTC, datetime
from urllib.parse import parse_qsl, quote, unquote

from syncmonitor.sandbox.gatormail import GatorMail
from syncmonitor.sandbox.http_types import Request, Response, json_response
from syncmonitor.sandbox.world import World

PREFIX = "/spotler/integrationservice-1.1.0"
CLOCK_SKEW_S = 300
_FORM = "application/x-www-form-urlencoded"


def spotler_error(status: int, error_type: str, message: str) -> Response:
    return json_response(status, {"errorType": error_type, "message": message})


def _enc(text: str) -> str:
    return quote(text, safe="-._~")


class SpotlerApi:
    """Answers Mail+ REST requests from the world's campaigns and the integration switch."""

    def __init__(
        self, world: World, gatormail: GatorMail, consumer_key: str, consumer_secret: str
    ) -> None:
        self.world = world
        self.gatormail = gatormail
        self._key = consumer_key
        self._secret = consumer_secret
        self._nonces: dict[str, float] = {}
        self._nonce_lock = threading.Lock()

    def handle(self, request: Request) -> Response:
        refused = self._check_oauth(request)
        if refused is not None:
            return refused
        route = request.path[len(PREFIX) :].rstrip("/")
        if request.method != "GET":
            return spotler_error(
                405, "METHOD_NOT_ALLOWED", f"{request.method} is not allowed here."
            )
        if route == "/campaign/list":
            return self._campaigns(request)
        if route == "/mailing":
            return self._mailings(request)
        if route == "/integration/status":
            with self.world.lock:
                running = self.gatormail.settings.running
                offered = self.gatormail.settings.undocumented_reads
            if offered:
                return json_response(200, {"integrationRunning": running})
        return spotler_error(404, "RESOURCE_NOT_FOUND", f"No resource at {request.path}.")

    # OAuth 1.0a ---------------------------------------------------------------------------------

    def _check_oauth(self, request: Request) -> Response | None:
        header = request.header("authorization")
        if not header.lower().startswith("oauth "):
            return spotler_error(
                401, "NOT_AUTHORIZED", "Missing OAuth Authorization header (one-legged OAuth 1.0a)."
            )
        oauth: dict[str, str] = {}
        for part in header[6:].split(","):
            name, _, value = part.strip().partition("=")
            oauth[name.strip()] = unquote(value.strip().strip('"'))
        if oauth.get("oauth_signature_method") != "HMAC-SHA1":
            return spotler_error(401, "NOT_AUTHORIZED", "Only HMAC-SHA1 signatures are accepted.")
        with self.world.lock:
            revoked = self.gatormail.settings.oauth_keys_revoked
        if revoked or not hmac.compare_digest(
            oauth.get("oauth_consumer_key", "").encode(), self._key.encode()
        ):
            return spotler_error(401, "NOT_AUTHORIZED", "Unknown consumer key.")
        try:
            stamp = int(oauth.get("oauth_timestamp", ""))
        except ValueError:
            return spotler_error(
                401, "NOT_AUTHORIZED", "oauth_timestamp is missing or not a number."
            )
        now = time.time()
        if abs(now - stamp) > CLOCK_SKEW_S:
            return spotler_error(
                401, "NOT_AUTHORIZED", "oauth_timestamp is too far from the server's clock."
            )
        params = [(k, v) for k, v in oauth.items() if k not in ("oauth_signature", "realm")]
        params += request.query_pairs()
        content_type = request.header("content-type").split(";", 1)[0].strip().lower()
        if request.body and content_type == _FORM:
            params += parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True)
        normalised = "&".join(f"{k}={v}" for k, v in sorted((_enc(k), _enc(v)) for k, v in params))
        base_uri = request.base_url.lower() + request.path
        base = "&".join((request.method.upper(), _enc(base_uri), _enc(normalised)))
        key = f"{_enc(self._secret)}&".encode()
        expected = base64.b64encode(hmac.new(key, base.encode(), hashlib.sha1).digest()).decode()
        if not hmac.compare_digest(expected, oauth.get("oauth_signature", "")):
            return spotler_error(
                401, "NOT_AUTHORIZED", "Invalid OAuth signature: check the consumer secret."
            )
        nonce = oauth.get("oauth_nonce", "")
        with self._nonce_lock:
            for old, seen in list(self._nonces.items()):
                if now - seen > CLOCK_SKEW_S:
                    del self._nonces[old]
            if not nonce or nonce in self._nonces:
                return spotler_error(
                    401, "NOT_AUTHORIZED", "oauth_nonce is missing or was used before."
                )
            self._nonces[nonce] = now
        return None

    # campaigns ----------------------------------------------------------------------------------

    def _campaigns(self, request: Request) -> Response:
        with self.world.lock:
            rows = [
                {
                    "encryptedId": c.encrypted_id,
                    "name": c.name,
                    "active": c.active,
                    "triggers": [{"encryptedId": f"tr{c.encrypted_id[2:]}", "name": "External"}],
                }
                for c in self.world.mailshots.campaigns
            ]
        return json_response(200, rows)

    def _mailings(self, request: Request) -> Response:
        params = dict(request.query_pairs())
        bounds = []
        for name in ("fromDate", "toDate"):
            moment = _iso(params.get(name, ""))
            if moment is None:
                return spotler_error(
                    400, "INVALID_PARAMS", f"Invalid {name} or no {name} given (ISO 8601)."
                )
            bounds.append(int(moment.timestamp() * 1000))
        low, high = bounds
        with self.world.lock:
            rows = [
                {
                    "encryptedId": m.encrypted_id,
                    "name": m.name,
                    "scheduledStartDate": datetime.fromtimestamp(m.scheduled_ms / 1000, UTC)
                    .isoformat(timespec="seconds")
                    .replace("+00:00", "Z"),
                    "type": "EMAIL",
                    "sentCount": m.sent_count,
                }
                for m in self.world.mailshots.mailings
                if low <= m.scheduled_ms <= high
            ]
        return json_response(200, rows)


def _iso(text: str) -> datetime | None:
    """An ISO 8601 date or date-time (UTC when no offset is given); None when it is not one."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
