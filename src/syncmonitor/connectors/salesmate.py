"""Salesmate REST API: the contacts, which is what it documents (sequence enrolments it does not).

The API lives at `https://<linkname>.salesmate.io/apis/...` and takes two headers: `accessToken`
(the user's session key) and `x-linkname` (the account's link name). Every answer is an envelope,
`{"Status": "success", "Data": ...}` or `{"Status": "failure", "Error": ...}`, and a failure often
arrives with HTTP 200: the envelope is checked on every answer and a failure becomes the same typed
error a non-2xx status would (refused token, rate limit, rejected request).

Salesmate allows about 1,500 calls an hour per account. The client keeps its own count of the last
hour's calls and waits before going over (or fails with a RateLimitedError saying when it can go
on, when that wait would be too long); a 429 from Salesmate is honoured as for every service.

Contacts are looked up by email with the contact search, several addresses per call (an OR of
EQUALS rules), so matching a 5,000-row export costs about 100 calls, not 5,000.
"""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import httpx
from typing_extensions import Unpack

from syncmonitor.connectors.errors import (
    SALESMATE,
    AuthenticationError,
    MalformedResponseError,
    NotFoundError,
    RateLimitedError,
    RequestRejectedError,
)
from syncmonitor.connectors.http.client import (
    RemoteProblem,
    Sleep,
    decode_json,
)
from syncmonitor.connectors.http.remote import RemoteClient, TransportOptions
from syncmonitor.connectors.http.retry import RetryPolicy

CALLS_PER_HOUR = 1500
HOUR = 3600.0
EMAILS_PER_SEARCH = 50
# `displayingFields` names module-qualified fields, as Salesmate's public clients send them.
SEARCH_FIELDS = (
    "contact.id",
    "contact.name",
    "contact.firstName",
    "contact.lastName",
    "contact.email",
)
SALESMATE_DOMAIN = ".salesmate.io"


def linkname_header(linkname: str) -> str:
    """The `x-linkname` header: the account's full host, `<name>.salesmate.io`, as every public
    Salesmate client sends it; a bare link name ("acme") gets the domain added."""
    name = linkname.strip().lower()
    if name and "." not in name:
        return f"{name}{SALESMATE_DOMAIN}"
    return name


_AUTH_WORDS = (
    "access token",
    "accesstoken",
    "unauthori",
    "linkname",
    "link name",
    "session",
    "authenticat",
)
_RATE_WORDS = ("rate limit", "too many", "limit exceeded", "throttl")
_NOT_FOUND_WORDS = ("not found", "does not exist", "no record")


@dataclass(frozen=True, slots=True)
class SalesmateAccess:
    """Where the Salesmate API is and how to sign in: the API root (…/apis), the link name and
    the access token (from the keyring or the environment, never the config file)."""

    api_url: str
    linkname: str
    token: str


@dataclass(frozen=True, slots=True)
class SalesmateContact:
    """A contact as the search returns it."""

    id: str
    email: str  # lower case
    name: str


class HourlyBudget:
    """At most `limit` calls in any `window` seconds, counted on this side.

    `take(max_wait)` returns how long to wait before the next call may go (0 when it may go
    now) and books the call at that moment; a wait longer than `max_wait` books nothing and
    returns None.
    """

    def __init__(
        self,
        limit: int = CALLS_PER_HOUR,
        window: float = HOUR,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.limit, self.window, self._clock = limit, window, clock
        self._calls: collections.deque[float] = collections.deque()

    def take(self, max_wait: float = float("inf")) -> float | None:
        now = self._clock()
        while self._calls and self._calls[0] <= now - self.window:
            self._calls.popleft()
        wait = 0.0
        if len(self._calls) >= self.limit:
            wait = max(self._calls[len(self._calls) - self.limit] + self.window - now, 0.0)
        if wait > max_wait:
            return None
        self._calls.append(now + wait)
        return wait

    def wait_needed(self) -> float:
        """How long the next call would have to wait, without booking it."""
        now = self._clock()
        live = [t for t in self._calls if t > now - self.window]
        if len(live) < self.limit:
            return 0.0
        return max(live[len(live) - self.limit] + self.window - now, 0.0)

    @property
    def used(self) -> int:
        """Calls booked within the last window."""
        now = self._clock()
        return sum(1 for t in self._calls if t > now - self.window)


def _error_text(body: Any) -> tuple[str | None, str | None]:
    """(code, message) from a failure envelope: `Error` may be a string or an object."""
    if not isinstance(body, dict):
        return None, None
    error = body.get("Error") or body.get("error") or body.get("Message") or body.get("message")
    if isinstance(error, str):
        return None, error
    if isinstance(error, dict):
        code = error.get("Code") or error.get("code")
        message = error.get("Message") or error.get("message") or error.get("Description")
        return (str(code) if code is not None else None, str(message) if message else None)
    return None, None


def _salesmate_problem(response: httpx.Response) -> RemoteProblem:
    code, message = _error_text(decode_json(response, SALESMATE))
    return RemoteProblem(code, None, message)


class SalesmateClient(RemoteClient):
    """An async client for Salesmate's contacts. Use as `async with`.

    `transport`, `sleep`, `random` and `clock` are injectable for tests, as for the other clients.
    """

    def __init__(
        self,
        access: SalesmateAccess,
        *,
        budget: HourlyBudget | None = None,
        **options: Unpack[TransportOptions],
    ) -> None:
        # Salesmate's hourly budget is kept here, on the same policy, sleep and clock.
        self._clock = options.get("clock") or time.time
        self.budget = budget or HourlyBudget(clock=self._clock)
        self._policy = options.get("policy") or RetryPolicy()
        self._sleep: Sleep = options.get("sleep") or asyncio.sleep
        super().__init__(
            service=SALESMATE,
            base_url=access.api_url.rstrip("/") + "/",
            headers={
                "accessToken": access.token,
                "x-linkname": linkname_header(access.linkname),
                "Content-Type": "application/json",
                "Accept": "application/json",
            },
            describe_error=_salesmate_problem,
            secrets=(access.token,),
            **options,
        )

    async def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """One API call within the hourly budget; returns the envelope's `Data`."""
        wait = self.budget.take(self._policy.max_wait_for_rate_limit)
        if wait is None:
            wait = self.budget.wait_needed()
            resume = time.strftime("%H:%M", time.localtime(self._clock() + wait))
            raise RateLimitedError(
                SALESMATE,
                "Salesmate hourly limit reached",
                f"Sync Monitor has made {self.budget.limit:,} Salesmate calls in the last hour, "
                f"which is all Salesmate allows. It can go on after {resume}. The import itself "
                "does not need Salesmate: only the matching of new contacts waits.",
                retry_after=wait,
            )
        if wait > 0:
            self.stats.rate_limit_waits += 1
            self.stats.seconds_waited += wait
            await self._sleep(wait)
        return await self._http.request(
            method,
            path,
            json_body=body,
            parse=self._envelope,
            idempotent=True,  # searches and reads change nothing
        )

    def _envelope(self, response: httpx.Response) -> Any:
        body = decode_json(response, SALESMATE)
        status = str(body.get("Status", "")).lower() if isinstance(body, dict) else ""
        if status == "success":
            return body.get("Data")
        where = f"{response.request.method} {response.request.url.path}"
        url = str(response.request.url)
        if status != "failure":
            raise MalformedResponseError(
                SALESMATE,
                "Salesmate sent an unexpected answer",
                f'The answer to {where} has no "Status" of success or failure. Sync Monitor '
                "tries again by itself; if it keeps happening, report it with the log file.",
                status_code=response.status_code,
                url=url,
            )
        code, message = _error_text(body)
        said = f' It said: "{message}".' if message else ""
        text = f"{code or ''} {message or ''}".lower()
        if any(w in text for w in _AUTH_WORDS):
            raise AuthenticationError.for_service(
                SALESMATE, status_code=response.status_code, detail=message, url=url
            )
        if any(w in text for w in _RATE_WORDS):
            raise RateLimitedError(
                SALESMATE,
                "Salesmate rate limit reached",
                f"Salesmate refused {where} because too many calls were made.{said} Sync "
                "Monitor waits and tries again by itself.",
                retry_after=60.0,
                status_code=response.status_code,
                url=url,
            )
        if any(w in text for w in _NOT_FOUND_WORDS):
            raise NotFoundError(
                SALESMATE,
                "Not found in Salesmate",
                f"Salesmate has nothing at {where}.{said}",
                status_code=response.status_code,
                url=url,
            )
        raise RequestRejectedError(
            SALESMATE,
            "Salesmate refused a request",
            f"Salesmate answered {where} with a failure.{said} If this keeps happening, check "
            "the Salesmate account's permissions, or report it with the log file.",
            status_code=response.status_code,
            url=url,
        )

    async def contact(self, contact_id: str) -> SalesmateContact | None:
        """One contact by id; None when Salesmate has no such contact."""
        try:
            data = await self._call("GET", f"contact/v4/{contact_id}")
        except NotFoundError:
            return None
        return _contact(data) if isinstance(data, dict) else None

    async def contacts_by_email(self, emails: Iterable[str]) -> dict[str, SalesmateContact]:
        """The contacts with these email addresses (lower case keys), `EMAILS_PER_SEARCH`
        addresses per call; addresses Salesmate does not know are simply absent."""
        wanted = sorted({e.strip().lower() for e in emails if e.strip()})
        found: dict[str, SalesmateContact] = {}
        for start in range(0, len(wanted), EMAILS_PER_SEARCH):
            chunk = wanted[start : start + EMAILS_PER_SEARCH]
            # The body public clients send: displayingFields, filterQuery with typed rules,
            # sort and the contact module (moduleId 1). Third-party sources only (no public
            # reference from Salesmate): docs/remote-contract.md.
            body = {
                "displayingFields": list(SEARCH_FIELDS),
                "filterQuery": {
                    "group": {
                        "operator": "OR",
                        "rules": [
                            {
                                "moduleName": "Contact",
                                "field": {
                                    "fieldName": "contact.email",
                                    "displayName": "Email",
                                    "type": "Email",
                                },
                                "condition": "EQUALS",
                                "data": email,
                                "eventType": "Email",
                            }
                            for email in chunk
                        ],
                    }
                },
                "sort": {"fieldName": "contact.id", "order": "asc"},
                "moduleId": 1,
                "reportType": "get_data",
                "getRecordsCount": True,
            }
            data = await self._call("POST", f"contact/v4/search?rows={len(chunk)}&from=0", body)
            records = data.get("data") if isinstance(data, dict) else None
            if not isinstance(records, list):
                raise MalformedResponseError(
                    SALESMATE,
                    "Salesmate sent an unexpected answer",
                    "The contact search answer has no list of contacts (Data.data).",
                    retryable=False,
                )
            for record in records:
                if isinstance(record, dict):
                    contact = _contact(record)
                    if contact.email in chunk:
                        found.setdefault(contact.email, contact)
        return found


def _contact(record: dict[str, Any]) -> SalesmateContact:
    """A contact from a search row or a contact read; a row's keys may be bare (`email`) or
    module-qualified (`contact.email`), as the fields were asked for."""

    def get(key: str) -> Any:
        value = record.get(key)
        return value if value not in (None, "") else record.get(f"contact.{key}")

    email = str(get("email") or "").strip().lower()
    name = str(get("name") or "").strip()
    if not name:
        name = " ".join(str(get(k) or "").strip() for k in ("firstName", "lastName")).strip()
    return SalesmateContact(str(get("id") or ""), email, name)
