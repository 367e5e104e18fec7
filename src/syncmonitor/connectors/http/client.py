"""The transport every connector shares: retries, backoff, rate limits, redirects, counters.

`ResilientClient` wraps one `httpx.AsyncClient`. A call goes through `request()`, which sends,
reads the whole body, checks the status and hands the response to a `parse` callback, all inside
one retry loop: a connection dropped mid-body or a JSON document cut short is retried like a 503.
What cannot succeed by trying again (a refused token, a 404, a 422) is raised at once.

Redirects are followed here rather than by httpx because Workbooks answers 302 to the *same* URL
to slow a client down, and the request must then be sent again unchanged: httpx (like browsers)
turns a redirected PUT into a GET and drops the body, which would silently lose a write.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import random as _random
import ssl
import sys
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlencode

import certifi
import httpx
import orjson

from syncmonitor.connectors.errors import (
    AuthenticationError,
    ConnectorError,
    MalformedResponseError,
    NetworkError,
    NotFoundError,
    RateLimitedError,
    RequestRejectedError,
    ServerError,
    redact_secrets,
    redact_url,
)
from syncmonitor.connectors.http.dry_run import dry_run_transport
from syncmonitor.connectors.http.headers import (
    describe_wait,
    parse_rate_limit_remaining,
    parse_rate_limit_reset,
    parse_retry_after,
)
from syncmonitor.connectors.http.limits import Limits, PageBudget, read_capped, too_slow
from syncmonitor.connectors.http.retry import RetryPolicy

log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# 403 answers that mean "your request is wrong", not "your credentials are wrong".
NOT_AUTH_403_CODES = frozenset({"user_agent_required", "no_database_selection_made"})
# Errors raised while the request could not yet have reached the server.
_UNSENT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)

Sleep = Callable[[float], Awaitable[None]]
# A service's own reading of an error answer (its documented reasons), or None for the default.
Classify = Callable[[httpx.Response, "RemoteProblem"], ConnectorError | None]
QueryParams = Sequence[tuple[str, str]] | Mapping[str, str]


@dataclass(slots=True)
class TransportStats:
    """Counters the engine reads to report what a run cost (one instance per client)."""

    requests: int = 0  # HTTP exchanges, including retries and redirects
    retries: int = 0
    redirects: int = 0
    bytes_sent: int = 0  # request bodies
    bytes_received: int = 0  # response bodies as they came over the wire
    rate_limit_waits: int = 0
    seconds_waited: float = 0.0  # backoff, Retry-After and rate-limit waits together
    rate_limit_remaining: int | None = None  # as last reported by the remote
    rate_limit_reset: float | None = None  # epoch seconds, as last reported by the remote


@dataclass(frozen=True, slots=True)
class RemoteProblem:
    """What the remote said about an error, in its own words (any part may be missing)."""

    code: str | None = None
    title: str | None = None
    detail: str | None = None

    def sentence(self) -> str:
        """A short quotation for a message, or "" when the remote said nothing useful."""
        parts = [p for p in (self.title, self.detail) if p]
        if not parts:
            return f"(error code {self.code})" if self.code else ""
        text = " - ".join(dict.fromkeys(parts))
        return f'It said: "{text}".'


def no_problem(response: httpx.Response) -> RemoteProblem:
    """A `describe_error` that reads nothing from the body."""
    return RemoteProblem()


def decode_json(response: httpx.Response, service: str) -> Any:
    """The response body as JSON, or a (retryable) MalformedResponseError saying what is wrong."""
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError as exc:
        size = len(response.content)
        reason = "it is empty" if size == 0 else f"{exc} in {size} bytes"
        kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
        html = kind in ("text/html", "application/xhtml+xml") or response.content[
            :200
        ].lstrip().lower().startswith((b"<!doctype html", b"<html"))
        why = (
            "it is a web page (HTML): a sign-in page, a proxy or a captive portal (hotel, "
            f"airport Wi-Fi) may have answered instead of {service}, or the address points at "
            f"{service}'s website instead of its API. Check the {service} address in Settings "
            "and open any web page to finish a network sign-in"
            if html
            else "it was probably cut short on the way. If this keeps happening, check the "
            f"network (a proxy or VPN may be altering traffic) and {service}'s status page"
        )
        raise MalformedResponseError(
            service,
            f"{service} sent an unreadable answer",
            f"The answer to {response.request.method} {response.request.url.path} was not valid "
            f"JSON ({reason}); {why}. Sync Monitor tries such requests again by itself.",
            status_code=response.status_code,
            url=str(response.request.url),
        ) from None


class _RedactUrlsFilter(logging.Filter):
    """Redacts secret query parameters from URLs that httpx puts in its own log records.

    httpx logs every request URL at INFO; a Workbooks URL carries the api_key.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and any(isinstance(a, httpx.URL) for a in args):
            record.args = tuple(redact_url(a) if isinstance(a, httpx.URL) else a for a in args)
        return True


_HTTPX_FILTER = _RedactUrlsFilter()


def install_log_redaction() -> None:
    """Make sure httpx's own request log never shows a secret (idempotent)."""
    httpx_logger = logging.getLogger("httpx")
    if _HTTPX_FILTER not in httpx_logger.filters:
        httpx_logger.addFilter(_HTTPX_FILTER)


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The TLS settings every client shares: certificate and host name verification on.

    Certificates are checked against the operating system's trusted authorities, as the browser
    does, so a company's own authority (a proxy that inspects HTTPS) is trusted where IT installed
    it: through truststore on Windows and macOS, the system bundle plus certifi's on Linux.
    Loading them takes tens of milliseconds; done once (`warm_up()` does it off the GUI thread at
    start-up) instead of for every client a sync creates, on the event loop.
    """
    context: ssl.SSLContext | None = None
    if sys.platform in ("win32", "darwin"):
        try:
            import truststore

            context = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        except (ImportError, OSError, ssl.SSLError):  # pragma: no cover - platform specific
            log.warning("The system's certificate store is not usable; using certifi's bundle")
    if context is None:
        context = ssl.create_default_context()
        context.load_verify_locations(cafile=certifi.where())
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def _is_certificate_failure(exc: BaseException) -> bool:
    """True when a connection failed because the server's certificate could not be verified."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return True
        if "CERTIFICATE_VERIFY_FAILED" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def warm_up() -> None:
    """Do the slow one-time set-up now (call it from a worker thread at start-up)."""
    tls_context()


class ResilientClient:
    """An `httpx.AsyncClient` with retries, backoff, rate-limit handling and counters.

    `describe_error` reads the remote's own error description from a non-2xx answer (each
    service words its errors differently); `classify_error` turns the reasons a service
    documents (a 403 that means "missing scope", not "bad token") into their own errors.
    `secrets` are scrubbed from any remote text that ends
    up in an error message. `sleep`, `random` and `clock` are injectable for tests.
    """

    def __init__(
        self,
        *,
        service: str,
        base_url: str,
        headers: Mapping[str, str] | None = None,
        policy: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        describe_error: Callable[[httpx.Response], RemoteProblem] = no_problem,
        secrets: Sequence[str] = (),
        sleep: Sleep | None = None,
        random: Callable[[], float] | None = None,
        clock: Callable[[], float] | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        auth: httpx.Auth | None = None,
        classify_error: Classify | None = None,
        limits: Limits | None = None,
    ) -> None:
        install_log_redaction()
        self._classify = classify_error
        self.service = service
        self.policy = policy or RetryPolicy()
        self.limits = limits or Limits()
        self.stats = TransportStats()
        self._describe_error = describe_error
        self._static_secrets = tuple(s for s in secrets if s)
        self._auth = auth
        self._sleep: Sleep = sleep or asyncio.sleep
        self._random = random or _random.random
        self._clock = clock or time.time
        effective_timeout = (
            httpx.Timeout(self.policy.request_timeout)
            if self.policy.request_timeout is not None
            else timeout
        )
        self._timeout = effective_timeout
        verify = tls_context()
        # A dry run (engine: the first two-way sync's preview) answers writes itself.
        transport = dry_run_transport(transport, verify)
        self._client = httpx.AsyncClient(
            base_url=base_url,
            headers=dict(headers or {}),
            timeout=effective_timeout,
            transport=transport,
            follow_redirects=False,
            verify=verify,
            # Applied on every send, retries and redirects included: a request signature with
            # a nonce (OAuth 1.0a, Spotler) must be made afresh each time.
            auth=auth,
        )
        # Set when the remote reported an exhausted budget; cleared once we have waited.
        self._budget_reset_at: float | None = None

    @property
    def _secrets(self) -> tuple[str, ...]:
        """The secrets to scrub from remote text: fixed ones, and tokens an auth renews."""
        dynamic = getattr(self._auth, "secrets", None)
        return self._static_secrets + (tuple(dynamic()) if callable(dynamic) else ())

    @property
    def base_url(self) -> httpx.URL:
        return self._client.base_url

    @property
    def deadline(self) -> float:
        """Seconds one exchange may take in all (send, headers, the whole body)."""
        return self.limits.deadline_for(self._timeout)

    def same_origin_link(self, link: str, what: str) -> str:
        """The absolute URL of a next-page link, refused when it leaves the remote's host:
        credentials travel with every request, so a hostile link must not collect them."""
        base = self.base_url
        try:
            target = base.join(link)
        except httpx.InvalidURL:
            target = None
        if target is None or (target.scheme, target.host, target.port) != (
            base.scheme,
            base.host,
            base.port,
        ):
            where = f" ({target.host})" if target is not None else ""
            raise MalformedResponseError(
                self.service,
                f"{self.service} sent a strange page link",
                f"The link to the next page of {what} points at another address{where}; Sync "
                "Monitor does not follow it, so that your credentials are not sent there. Check "
                f"the {self.service} address in Settings.",
                retryable=False,
            )
        return str(target)

    def page_budget(self, what: str, page_size: int) -> PageBudget:
        """A fresh page budget for one paged read of `what` (see limits.PageBudget)."""
        return PageBudget(self.service, what, page_size, self.limits)

    async def aclose(self) -> None:
        await self._client.aclose()

    def forget_cookies(self) -> None:
        """Drop any cookie a remote set (a Workbooks login's session)."""
        self._client.cookies.clear()

    async def __aenter__(self) -> ResilientClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # -- the one entry point -------------------------------------------------------------------

    async def request(
        self,
        method: str,
        url: str,
        *,
        parse: Callable[[httpx.Response], T],
        params: QueryParams | None = None,
        form: Sequence[tuple[str, str]] | None = None,
        json_body: Any = None,
        idempotent: bool | None = None,
        parse_in_thread: bool = False,
        body: bytes | None = None,
    ) -> T:
        """Send a request until it succeeds or cannot, and return `parse(response)`.

        `url` is relative to the base URL or absolute. `form` is sent form-encoded, in order
        (parallel arrays keep their order); `body` is sent as is (a JSON document: the client's
        own Content-Type header describes it); `json_body` is sent as JSON. `parse` gets a 2xx
        response with its body read and may raise `ConnectorError` (a `MalformedResponseError`
        is retried like any retryable error). Non-idempotent requests (POST unless
        `idempotent=True`) are only retried when the remote cannot have acted on them:
        connection refused, 429. With `parse_in_thread` a successful answer is parsed on a
        worker thread, so decoding a large page never holds up the event loop (the GUI's) for
        more than a frame.
        """
        method = method.upper()
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS
        content: bytes | None = None
        headers: dict[str, str] = {}
        if form is not None:
            content = urlencode(list(form)).encode("ascii")
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            content = body
        elif json_body is not None:
            content = orjson.dumps(json_body)
            headers["Content-Type"] = "application/json"
        pairs: list[tuple[str, str | int | float | bool | None]]
        pairs = list(params.items()) if isinstance(params, Mapping) else list(params or ())
        # An empty QueryParams would wipe a query already in `url` (a `links.next`, say).
        query = httpx.QueryParams(pairs) if pairs else None
        request = self._client.build_request(
            method, url, params=query, content=content, headers=headers
        )

        attempt = 0
        while True:
            attempt += 1
            # Raises RateLimitedError when the wait would be too long; never retried here.
            await self._wait_for_budget(request)
            try:
                response = await self._exchange(request)
                if parse_in_thread and 200 <= response.status_code < 300:
                    return await asyncio.to_thread(self._check, response, parse)
                return self._check(response, parse)
            except ConnectorError as error:
                error.attempts = attempt
                retry_ok = idempotent or isinstance(error, RateLimitedError)
                if isinstance(error, NetworkError) and not error.request_sent:
                    retry_ok = True
                if not error.retryable or not retry_ok or attempt >= self.policy.max_attempts:
                    raise
                delay = self._delay_before_retry(error, attempt)
                self.stats.retries += 1
                log.warning(
                    "%s: %s %s failed (%s); retry %d of %d in %.2f s",
                    self.service,
                    method,
                    redact_url(request.url),
                    error.title,
                    attempt,
                    self.policy.max_attempts - 1,
                    delay,
                )
                await self._wait(delay)

    # -- pieces --------------------------------------------------------------------------------

    async def _exchange(self, request: httpx.Request) -> httpx.Response:
        """Send, follow slow-down redirects, and read the whole body; map transport failures.

        Each exchange (one send and its whole answer) must end within `self.deadline`: httpx's
        timeout bounds each read only, and a remote dripping a byte every few seconds would
        otherwise hold the sync (and its lock) for ever.
        """
        redirects = 0
        while True:
            self.stats.requests += 1
            self.stats.bytes_sent += len(request.content)
            received = [0]
            try:
                async with asyncio.timeout(self.deadline):
                    response = await self._send_and_read(request, received)
            except TimeoutError:
                self.stats.bytes_received += received[0]
                raise too_slow(self.service, request, self.deadline, received[0]) from None
            if response.status_code in REDIRECT_STATUSES and "location" in response.headers:
                redirects += 1
                self.stats.redirects += 1
                if redirects > self.policy.max_redirects:
                    raise RateLimitedError(
                        self.service,
                        f"{self.service} keeps redirecting",
                        f"{self.service} redirected {request.method} {request.url.path} more "
                        f"than {self.policy.max_redirects} times in a row, which is how it "
                        "asks a client to slow down. Sync Monitor will try again after a "
                        "pause; if this persists, sync less often.",
                        status_code=response.status_code,
                        url=str(request.url),
                    )
                request = self._redirected(request, response)
                await self._wait(self.policy.redirect_delay)
                continue
            return response

    async def _send_and_read(self, request: httpx.Request, received: list[int]) -> httpx.Response:
        """One exchange: send, then read the body (capped); `received[0]` counts wire bytes."""
        try:
            response = await self._client.send(request, stream=True)
        except httpx.RequestError as exc:
            raise self._network_error(exc, request) from exc
        try:
            if response.status_code in REDIRECT_STATUSES and "location" in response.headers:
                with contextlib.suppress(httpx.RequestError, ConnectorError):
                    # so the connection can be reused; a huge redirect body is not kept
                    await read_capped(response, self.service, 64 * 1024)
                return response
            try:
                await read_capped(response, self.service, self.limits.max_answer_bytes)
            except httpx.RequestError as exc:
                self.stats.bytes_received += response.num_bytes_downloaded
                raise self._network_error(exc, request) from exc
            except ConnectorError:
                self.stats.bytes_received += response.num_bytes_downloaded
                raise
            # Wire bytes (compressed); a body handed over whole (tests) counts as is.
            self.stats.bytes_received += response.num_bytes_downloaded or len(response.content)
            return response
        finally:
            received[0] = response.num_bytes_downloaded
            await response.aclose()

    def _redirected(self, request: httpx.Request, response: httpx.Response) -> httpx.Request:
        """The request to send after a redirect: same method and body (303 excepted)."""
        try:
            target = request.url.join(response.headers["location"])
        except httpx.InvalidURL:
            raise MalformedResponseError(
                self.service,
                f"{self.service} sent a broken redirect",
                f"{self.service} redirected {request.method} {request.url.path} to an invalid "
                "address. Try again later; if it persists, report it to the service.",
                status_code=response.status_code,
                url=str(request.url),
            ) from None
        same_origin = (target.host, target.port) == (request.url.host, request.url.port) and (
            target.scheme == request.url.scheme or target.scheme == "https"
        )
        if not same_origin:
            # Credentials travel in headers and parameters: never send them to another host.
            port = f":{target.port}" if target.port is not None else ""
            raise RequestRejectedError(
                self.service,
                f"{self.service} redirected elsewhere",
                f"{self.service} redirected {request.method} {request.url.path} to another "
                f"address ({target.scheme}://{target.host}{port}). Sync Monitor does not "
                "follow it, so that your credentials are not sent there. Check the "
                f"{self.service} address in Settings.",
                status_code=response.status_code,
                url=str(request.url),
            )
        if response.status_code == 303 and request.method != "HEAD":
            headers = httpx.Headers(request.headers)
            for name in ("Content-Length", "Content-Type", "Transfer-Encoding"):
                headers.pop(name, None)
            return httpx.Request("GET", target, headers=headers)
        return httpx.Request(
            request.method, target, headers=request.headers, content=request.content
        )

    def _network_error(self, exc: httpx.RequestError, request: httpx.Request) -> NetworkError:
        where = f"{request.method} {request.url.path}"
        if _is_certificate_failure(exc):
            return self._untrusted_certificate(exc, request)
        if isinstance(exc, httpx.TimeoutException):
            title = f"{self.service} did not answer in time"
            what = f"{where} timed out ({type(exc).__name__})."
        elif isinstance(exc, httpx.ConnectError):
            title = f"Cannot reach {self.service}"
            what = f"Sync Monitor could not connect to {request.url.host} for {where}."
        else:
            title = f"Connection to {self.service} failed"
            what = f"The connection broke during {where} before a complete answer arrived."
        detail = redact_secrets(str(exc), self._secrets)
        return NetworkError(
            self.service,
            title,
            f"{what}{f' ({detail})' if detail else ''} Sync Monitor tries again by itself. "
            "If it keeps failing, check the internet connection, proxy or VPN, and the "
            f"{self.service} address in Settings.",
            url=str(request.url),
            request_sent=not isinstance(exc, _UNSENT_ERRORS),
        )

    def _untrusted_certificate(
        self, exc: httpx.RequestError, request: httpx.Request
    ) -> NetworkError:
        reason = redact_secrets(str(exc), self._secrets)
        return NetworkError(
            self.service,
            f"The {self.service} server's certificate is not trusted",
            f"Sync Monitor could not verify the HTTPS certificate of {request.url.host} "
            f"({reason}), so it sent nothing there, credentials included. Check the "
            f"{self.service} address in Settings. If your network inspects HTTPS with its own "
            "certificate authority, ask IT to install that authority in the system's trusted "
            "certificates.",
            retryable=False,
            url=str(request.url),
            request_sent=False,
        )

    def _check(self, response: httpx.Response, parse: Callable[[httpx.Response], T]) -> T:
        self._note_rate_limit(response)
        status = response.status_code
        if 200 <= status < 300:
            return parse(response)
        request = response.request
        where = f"{request.method} {request.url.path}"
        url = str(request.url)
        problem = self._problem(response)
        said = problem.sentence()
        svc = self.service
        if self._classify is not None:
            special = self._classify(response, problem)
            if special is not None:
                raise special
        if status == 401 or (status == 403 and problem.code not in NOT_AUTH_403_CODES):
            raise AuthenticationError.for_service(
                svc, status_code=status, detail=problem.detail or problem.title, url=url
            )
        if status == 404:
            raise NotFoundError(
                svc,
                f"Not found in {svc}",
                f"{svc} has nothing at {where} (HTTP 404). {said} The record may have been "
                f"deleted in {svc}, or the {svc} address in Settings is wrong.",
                status_code=status,
                url=url,
            )
        if status == 429:
            retry_after = parse_retry_after(response.headers.get("retry-after"), self._clock())
            raise RateLimitedError(
                svc,
                f"{svc} rate limit reached",
                f"{svc} refused {where} because too many requests were made (HTTP 429). {said} "
                "Sync Monitor waits and tries again by itself; if this keeps happening, sync "
                "less often or stop other tools that use the same account.",
                retry_after=retry_after,
                status_code=status,
                url=url,
            )
        if status >= 500 or status == 408:
            retry_after = parse_retry_after(response.headers.get("retry-after"), self._clock())
            raise ServerError(
                svc,
                f"{svc} is having trouble",
                f"{svc} failed to answer {where} (HTTP {status} {response.reason_phrase}). "
                f"{said} This is usually temporary and Sync Monitor tries again by itself. If it "
                f"keeps happening, check {svc}'s status page and try later.",
                retry_after=retry_after,
                status_code=status,
                url=url,
            )
        if 400 <= status < 500:
            rejected = RequestRejectedError(
                svc,
                f"{svc} rejected a request",
                f"{svc} refused {where} (HTTP {status} {response.reason_phrase}). {said} "
                "This is likely a Sync Monitor bug or a setting that does not match your "
                f"{svc} account; please report it with the log file.",
                status_code=status,
                url=url,
            )
            rejected.remote_said = said  # the remote's own words, for per-record issues
            raise rejected
        raise MalformedResponseError(
            svc,
            f"{svc} sent an unexpected answer",
            f"{svc} answered {where} with HTTP {status}, which Sync Monitor does not expect. "
            "It tries again by itself; if this persists, report it with the log file.",
            status_code=status,
            url=url,
        )

    def _problem(self, response: httpx.Response) -> RemoteProblem:
        try:
            problem = self._describe_error(response)
        except Exception:  # a broken error body must not hide the error itself
            log.debug("could not read the %s error body", self.service, exc_info=True)
            return RemoteProblem()

        def clean(text: str | None) -> str | None:
            if text is None:
                return None
            return redact_secrets(text, self._secrets)[:500]

        return RemoteProblem(problem.code, clean(problem.title), clean(problem.detail))

    def _note_rate_limit(self, response: httpx.Response) -> None:
        now = self._clock()
        remaining = parse_rate_limit_remaining(response.headers.get("x-ratelimit-remaining"))
        reset = parse_rate_limit_reset(response.headers.get("x-ratelimit-reset"), now)
        if remaining is not None:
            self.stats.rate_limit_remaining = remaining
        if reset is not None:
            self.stats.rate_limit_reset = reset
        if remaining is not None and remaining <= 0 and reset is not None and reset > now:
            self._budget_reset_at = reset
        elif remaining is not None and remaining > 0:
            self._budget_reset_at = None

    def _delay_before_retry(self, error: ConnectorError, attempt: int) -> float:
        asked = getattr(error, "retry_after", None)
        if isinstance(asked, float | int):
            if asked > self.policy.max_wait_for_rate_limit:
                raise self._too_long(asked, error) from error
            # The remote said when to come back; its budget hint is superseded by that.
            self._budget_reset_at = None
            return float(asked)
        if self._budget_reset_at is not None:  # no Retry-After, but the budget's reset is known
            wait = self._budget_reset_at - self._clock()
            if wait > self.policy.max_wait_for_rate_limit:
                raise self._too_long(wait, error) from error  # give up now, not after a backoff
        return self.policy.backoff(attempt, self._random)

    async def _wait_for_budget(self, request: httpx.Request) -> None:
        """Before sending: if the remote said the budget is spent, wait for its reset."""
        if self._budget_reset_at is None:
            return
        wait = self._budget_reset_at - self._clock()
        if wait > self.policy.max_wait_for_rate_limit:
            raise self._too_long(wait, None, request)
        self._budget_reset_at = None
        if wait > 0:
            self.stats.rate_limit_waits += 1
            log.info("%s: rate-limit budget spent; waiting %.1f s for reset", self.service, wait)
            await self._wait(wait)

    def _too_long(
        self, wait: float, cause: ConnectorError | None, request: httpx.Request | None = None
    ) -> RateLimitedError | ServerError:
        """The error for a wait longer than the client waits: a server error stays one (a 503
        with a huge Retry-After is an outage), anything else is the rate limit it stands for."""
        # A hostile or broken header may ask for 1e20 s or for ever: worded, never computed with.
        when = describe_wait(wait, self._clock())
        limit = f"{self.policy.max_wait_for_rate_limit:.0f} s"
        svc = self.service
        if when.startswith("at no time"):
            back = f"with a wait {when}"
            later = "the next scheduled sync tries again."
        else:
            back = f"by what it said, a sync can run again {when}"
            later = "it is not worth trying sooner."
        url = cause.url if cause else (str(request.url) if request else None)
        status = cause.status_code if cause else None
        if isinstance(cause, ServerError):
            return ServerError(
                svc,
                f"{svc} is unavailable",
                f"{svc} failed to answer (HTTP {status}) and asked Sync Monitor to come back "
                f"later, {back}. That is longer than Sync Monitor waits by itself ({limit}), so "
                f"the sync stops for now; {later} Check {svc}'s status page for maintenance.",
                retry_after=wait,
                retryable=False,
                status_code=status,
                url=url,
            )
        return RateLimitedError(
            svc,
            f"{svc} rate limit reached",
            f"{svc} asked Sync Monitor to pause its requests, {back}. That is longer than Sync "
            f"Monitor waits by itself ({limit}), so the sync stops for now; {later} If this "
            "happens often, sync less often or stop other tools that use the same account.",
            retry_after=wait,
            status_code=status,
            url=url,
        )

    async def _wait(self, seconds: float) -> None:
        if seconds <= 0:
            return
        self.stats.seconds_waited += seconds
        await self._sleep(seconds)
