"""Spotler Mail+ REST (GatorMail): the campaigns and mailings the queue matches its mailshots to.

Requests are signed with one-legged OAuth 1.0a, HMAC-SHA1 (consumer key and secret, no token), by
`oauthlib` on every send, so a retried request carries a fresh nonce and timestamp.

Documented reads (the Mail+ Swagger description, `../shared/reference/vendor/`):
- `GET /campaign/list`: no parameters; a bare array of `Campaign {encryptedId, name, active,
  triggers[]}`. Nothing in it names the Workbooks mailshot, and it carries no time.
- `GET /mailing?fromDate&toDate`: both required (ISO 8601); a bare array of
  `Mailing {encryptedId, name, scheduledStartDate, type, sentCount}`.

`GET /integration/status` is not in the description: `integration_running()` is only a probe for
an account that happens to offer it (None when it does not).
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from oauthlib.oauth1 import SIGNATURE_HMAC, Client
from typing_extensions import Unpack

from syncmonitor.connectors.errors import SPOTLER, MalformedResponseError, NotFoundError
from syncmonitor.connectors.http.client import (
    RemoteProblem,
    decode_json,
)
from syncmonitor.connectors.http.remote import RemoteClient, TransportOptions

# ISO 8601 in UTC with a Z: the description says "ISODateParam" and no more (inferred format).
_DATE_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_FORM = "application/x-www-form-urlencoded"


class OAuth1Auth(httpx.Auth):
    """Signs each request with one-legged OAuth 1.0a (HMAC-SHA1) in the Authorization header."""

    requires_request_body = True

    def __init__(self, consumer_key: str, consumer_secret: str) -> None:
        self._key = consumer_key
        self._secret = consumer_secret

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        client = Client(self._key, client_secret=self._secret, signature_method=SIGNATURE_HMAC)
        content_type = request.headers.get("content-type", "").split(";", 1)[0].strip()
        form = content_type == _FORM and bool(request.content)
        # oauthlib signs form bodies' parameters too, as RFC 5849 asks; other bodies are not.
        _, headers, _ = client.sign(
            str(request.url),
            request.method,
            body=request.content.decode() if form else None,
            headers={"Content-Type": _FORM} if form else None,
        )
        request.headers["Authorization"] = headers["Authorization"]
        yield request


@dataclass(frozen=True, slots=True)
class CampaignRecord:
    """A campaign as `GET /campaign/list` answers it."""

    encrypted_id: str
    name: str
    active: bool | None


@dataclass(frozen=True, slots=True)
class MailingRecord:
    """A mailing as `GET /mailing` answers it."""

    encrypted_id: str
    name: str
    scheduled: datetime | None
    sent_count: int | None


def _spotler_problem(response: httpx.Response) -> RemoteProblem:
    body = decode_json(response, SPOTLER)
    if not isinstance(body, dict):
        return RemoteProblem()
    code, message = body.get("errorType"), body.get("message")
    return RemoteProblem(
        code if isinstance(code, str) else None,
        None,
        message if isinstance(message, str) else None,
    )


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class SpotlerClient(RemoteClient):
    """An async client for Spotler Mail+ REST. Use as `async with`."""

    def __init__(
        self,
        base_url: str,
        consumer_key: str,
        consumer_secret: str,
        **options: Unpack[TransportOptions],
    ) -> None:
        super().__init__(
            service=SPOTLER,
            base_url=base_url.rstrip("/") + "/",
            headers={"Accept": "application/json"},
            describe_error=_spotler_problem,
            secrets=(consumer_secret,),
            auth=OAuth1Auth(consumer_key, consumer_secret),
            **options,
        )

    def _document(self, response: httpx.Response) -> dict[str, Any]:
        body = decode_json(response, SPOTLER)
        if not isinstance(body, dict):
            raise self._malformed(response, "the answer is not a JSON object")
        return body

    def _array(self, response: httpx.Response, what: str) -> list[dict[str, Any]]:
        body = decode_json(response, SPOTLER)
        if not isinstance(body, list):
            raise self._malformed(response, f"the answer is not a JSON array of {what}")
        rows = []
        for row in body:
            if not isinstance(row, dict) or not isinstance(row.get("encryptedId"), str):
                raise self._malformed(response, f"one of the {what} has no encryptedId")
            rows.append(row)
        return rows

    def _campaigns(self, response: httpx.Response) -> list[CampaignRecord]:
        return [
            CampaignRecord(
                row["encryptedId"],
                str(row.get("name") or ""),
                row["active"] if isinstance(row.get("active"), bool) else None,
            )
            for row in self._array(response, "campaigns")
        ]

    def _mailings(self, response: httpx.Response) -> list[MailingRecord]:
        return [
            MailingRecord(
                row["encryptedId"],
                str(row.get("name") or ""),
                _parse_time(row.get("scheduledStartDate")),
                count if isinstance(count := row.get("sentCount"), int) else None,
            )
            for row in self._array(response, "mailings")
        ]

    async def campaigns(self) -> list[CampaignRecord]:
        """Every campaign (`GET /campaign/list` takes no parameters and does not page)."""
        return await self._http.request(
            "GET", "campaign/list", parse=self._campaigns, parse_in_thread=True
        )

    async def mailings(self, from_date: datetime, to_date: datetime) -> list[MailingRecord]:
        """Mailings scheduled from `from_date` to `to_date` (`GET /mailing?fromDate&toDate`)."""
        params = [
            ("fromDate", from_date.astimezone(UTC).strftime(_DATE_FORMAT)),
            ("toDate", to_date.astimezone(UTC).strftime(_DATE_FORMAT)),
        ]
        return await self._http.request(
            "GET", "mailing", params=params, parse=self._mailings, parse_in_thread=True
        )

    async def integration_running(self) -> bool | None:
        """Probe: the 'Integration running' tick, where an account offers a read for it (no Mail+
        document has one; the tick is in the GatorMail UI, Tools > Integration > General). None
        when this account has no such read."""
        try:
            body = await self._http.request("GET", "integration/status", parse=self._document)
        except NotFoundError:
            return None
        value = body.get("integrationRunning")
        return value if isinstance(value, bool) else None

    @staticmethod
    def _malformed(response: httpx.Response, what: str) -> MalformedResponseError:
        return MalformedResponseError(
            SPOTLER,
            "Spotler sent an unexpected answer",
            f"The answer to {response.request.method} {response.request.url.path} is not shaped "
            f"the way Mail+ REST answers: {what}. Sync Monitor tries again by itself; if this "
            "keeps happening, report it with the log file.",
            status_code=response.status_code,
            url=str(response.request.url),
        )
