"""Spotler Mail+ REST (GatorMail): integrated campaigns as they arrive, and the integration switch.

Requests are signed with one-legged OAuth 1.0a, HMAC-SHA1 (consumer key and secret, no token), by
`oauthlib` on every send, so a retried request carries a fresh nonce and timestamp. Paging follows
Mail+: `after` (an offset) and `pageSize` (up to 10000), with a `next` URL while more remain.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Generator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from oauthlib.oauth1 import SIGNATURE_HMAC, Client

from syncmonitor.connectors.errors import SPOTLER, MalformedResponseError, NotFoundError
from syncmonitor.connectors.http.client import (
    DEFAULT_TIMEOUT,
    RemoteClient,
    RemoteProblem,
    ResilientClient,
    Sleep,
    decode_json,
)
from syncmonitor.connectors.http.retry import RetryPolicy

PAGE_SIZE = 1000
_DATE_FORMAT = "%Y-%m-%dT%H:%M:%S"
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
    """An integrated campaign as Spotler lists it."""

    encrypted_id: str
    name: str
    external_id: str | None  # the Workbooks mailshot id it came from
    contacts: int | None
    created: datetime | None


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
        return datetime.strptime(value, _DATE_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


class SpotlerClient(RemoteClient):
    """An async client for Spotler Mail+ REST. Use as `async with`."""

    def __init__(
        self,
        base_url: str,
        consumer_key: str,
        consumer_secret: str,
        *,
        policy: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep | None = None,
        random: Callable[[], float] | None = None,
        clock: Callable[[], float] | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    ) -> None:
        super().__init__(
            ResilientClient(
                service=SPOTLER,
                base_url=base_url.rstrip("/") + "/",
                headers={"Accept": "application/json"},
                policy=policy,
                transport=transport,
                describe_error=_spotler_problem,
                secrets=(consumer_secret,),
                sleep=sleep,
                random=random,
                clock=clock,
                timeout=timeout,
                auth=OAuth1Auth(consumer_key, consumer_secret),
            )
        )

    def _document(self, response: httpx.Response) -> dict[str, Any]:
        body = decode_json(response, SPOTLER)
        if not isinstance(body, dict):
            raise self._malformed(response, "the answer is not a JSON object")
        return body

    def _page(self, response: httpx.Response) -> tuple[list[CampaignRecord], str | None]:
        body = self._document(response)
        rows = body.get("campaigns")
        if not isinstance(rows, list):
            raise self._malformed(response, "'campaigns' is missing or is not a list")
        records = []
        for row in rows:
            if not isinstance(row, dict) or not isinstance(row.get("encryptedId"), str):
                raise self._malformed(response, "a campaign has no encryptedId")
            external = row.get("externalId")
            contacts = row.get("contacts")
            records.append(
                CampaignRecord(
                    row["encryptedId"],
                    str(row.get("name") or ""),
                    str(external) if external not in (None, "") else None,
                    contacts if isinstance(contacts, int) else None,
                    _parse_time(row.get("created")),
                )
            )
        following = body.get("next")
        if isinstance(following, dict):  # tolerate {"href": ...}
            following = following.get("href")
        return records, following if isinstance(following, str) and following else None

    async def iter_campaigns(
        self, from_date: datetime | None = None, page_size: int = PAGE_SIZE
    ) -> AsyncIterator[list[CampaignRecord]]:
        """Campaigns created at or after `from_date` (whole seconds, inclusive), page by page."""
        params = [("pageSize", str(page_size)), ("after", "0")]
        if from_date is not None:
            params.append(("fromDate", from_date.astimezone(UTC).strftime(_DATE_FORMAT)))
        url: str | None = "campaign/list"
        query: list[tuple[str, str]] | None = params
        budget = self._http.page_budget("the Spotler campaign list", page_size)
        while url is not None:
            records, url = await self._http.request(
                "GET", url, params=query, parse=self._page, parse_in_thread=True
            )
            query = None  # the next URL carries its own query
            budget.page(len(records), more=url is not None)
            if url is not None:
                url = self._http.same_origin_link(url, "the Spotler campaign list")
            if records:
                yield records

    async def integration_running(self) -> bool | None:
        """The 'Integration running' tick (Tools > Integration > General); None when this Mail+
        account offers no endpoint for it (then the app can only infer it)."""
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
