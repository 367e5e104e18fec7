"""Spotler Mail+ REST as the sandbox serves it, under `/spotler/integrationservice-1.1.0`.

Every request is signed with one-legged OAuth 1.0a (HMAC-SHA1, consumer key and secret, no
token). The signature is checked here with the standard library alone (RFC 5849 section 3.4), so
the connector's signing library is checked against an independent implementation. Timestamps
must be within 5 minutes and a nonce cannot be used twice. Errors look like Mail+ errors:
`{"errorType": "...", "message": "..."}`.

Served: `GET /campaign/list` (integrated campaigns in order of arrival; `after`, `pageSize` up to
10000, `fromDate`, and a `next` URL while more remain) and `GET /integration/status` (the
"Integration running" tick of Tools > Integration > General; sandbox-defined, no public endpoint
is known).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import time
from datetime import UTC, datetime
from urllib.parse import parse_qsl, quote, unquote, urlencode

from syncmonitor.sandbox.gatormail import GatorMail
from syncmonitor.sandbox.http_types import Request, Response, json_response
from syncmonitor.sandbox.world import World

PREFIX = "/spotler/integrationservice-1.1.0"
DEFAULT_PAGE_SIZE = 1000
MAX_PAGE_SIZE = 10000
CLOCK_SKEW_S = 300
_FORM = "application/x-www-form-urlencoded"
_DATE_FORMAT = "%Y-%m-%dT%H:%M:%S"


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
        if route == "/integration/status":
            with self.world.lock:
                running = self.gatormail.settings.running
            return json_response(200, {"integrationRunning": running})
        return spotler_error(404, "NOT_FOUND", f"No resource at {request.path}.")

    # OAuth 1.0a ---------------------------------------------------------------------------------

    def _check_oauth(self, request: Request) -> Response | None:
        header = request.header("authorization")
        if not header.lower().startswith("oauth "):
            return spotler_error(
                401, "UNAUTHORIZED", "Missing OAuth Authorization header (one-legged OAuth 1.0a)."
            )
        oauth: dict[str, str] = {}
        for part in header[6:].split(","):
            name, _, value = part.strip().partition("=")
            oauth[name.strip()] = unquote(value.strip().strip('"'))
        if oauth.get("oauth_signature_method") != "HMAC-SHA1":
            return spotler_error(401, "UNAUTHORIZED", "Only HMAC-SHA1 signatures are accepted.")
        with self.world.lock:
            revoked = self.gatormail.settings.oauth_keys_revoked
        if revoked or not hmac.compare_digest(
            oauth.get("oauth_consumer_key", "").encode(), self._key.encode()
        ):
            return spotler_error(401, "UNAUTHORIZED", "Unknown consumer key.")
        try:
            stamp = int(oauth.get("oauth_timestamp", ""))
        except ValueError:
            return spotler_error(401, "UNAUTHORIZED", "oauth_timestamp is missing or not a number.")
        now = time.time()
        if abs(now - stamp) > CLOCK_SKEW_S:
            return spotler_error(
                401, "UNAUTHORIZED", "oauth_timestamp is too far from the server's clock."
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
                401, "UNAUTHORIZED", "Invalid OAuth signature: check the consumer secret."
            )
        nonce = oauth.get("oauth_nonce", "")
        with self._nonce_lock:
            for old, seen in list(self._nonces.items()):
                if now - seen > CLOCK_SKEW_S:
                    del self._nonces[old]
            if not nonce or nonce in self._nonces:
                return spotler_error(
                    401, "UNAUTHORIZED", "oauth_nonce is missing or was used before."
                )
            self._nonces[nonce] = now
        return None

    # campaigns ----------------------------------------------------------------------------------

    def _campaigns(self, request: Request) -> Response:
        params = dict(request.query_pairs())
        try:
            after = int(params.get("after", "0"))
            size = int(params.get("pageSize", str(DEFAULT_PAGE_SIZE)))
        except ValueError:
            return spotler_error(400, "INVALID_PARAMETER", "after and pageSize must be numbers.")
        if after < 0 or not 1 <= size <= MAX_PAGE_SIZE:
            return spotler_error(
                400, "INVALID_PARAMETER", f"pageSize must be 1 to {MAX_PAGE_SIZE}; after >= 0."
            )
        from_ms = 0
        if params.get("fromDate"):
            try:
                moment = datetime.strptime(params["fromDate"], _DATE_FORMAT).replace(tzinfo=UTC)
            except ValueError:
                return spotler_error(
                    400, "INVALID_PARAMETER", "fromDate must look like yyyy-mm-ddThh:mm:ss."
                )
            from_ms = int(moment.timestamp() * 1000)
        with self.world.lock:
            matching = [c for c in self.world.mailshots.campaigns if c.created_ms >= from_ms]
            page = matching[after : after + size]
            rows = [
                {
                    "encryptedId": c.encrypted_id,
                    "name": c.name,
                    "type": "INTEGRATED",
                    "externalId": c.external_id,
                    "contacts": c.contacts,
                    "created": datetime.fromtimestamp(c.created_ms / 1000, UTC).strftime(
                        _DATE_FORMAT
                    ),
                }
                for c in page
            ]
        document: dict[str, object] = {"campaigns": rows, "total": len(matching)}
        if after + size < len(matching):
            query = {**params, "after": str(after + size), "pageSize": str(size)}
            document["next"] = f"{request.base_url}{request.path}?{urlencode(query)}"
        return json_response(200, document)
