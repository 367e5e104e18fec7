"""Errors the connectors raise: typed, so the engine can decide, and worded, so a person can act.

Every error carries the service it came from, a short title, a message that says what happened,
why, and what to do next, and whether trying again later may help (`retryable`). No message ever
holds a token or an API key: URLs pass through `redact_url()` and the connectors scrub their own
secrets from any text the remote sends back (`redact_secrets()`).
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Query/form parameters whose values are secrets wherever they appear.
SENSITIVE_PARAMS = frozenset(
    {
        "api_key",
        "access_token",
        "refresh_token",
        "token",
        "client_secret",
        "password",
        "session_id",
        "_authenticity_token",
        "authenticity_token",
        "code",
    }
)
REDACTED = "REDACTED"

OUTREACH = "Outreach"
WORKBOOKS = "Workbooks"
SALESMATE = "Salesmate"
SPOTLER = "Spotler"

_CREDENTIAL_HELP = {
    "Salesforce": (
        "Get a new access token for the Salesforce org and set it in the OS keyring (user name "
        "salesforce_token) or in the environment variable SYNCMONITOR_SALESFORCE_TOKEN."
    ),
    OUTREACH: (
        "Set a new Outreach access token in Settings (it is kept in the OS keyring), "
        "or in the environment variable SYNCMONITOR_OUTREACH_TOKEN for headless use."
    ),
    WORKBOOKS: (
        "Check that the API key is enabled and within its Valid From/Until dates in Workbooks "
        "(Configuration > Automation > API Keys), then set it in Settings (it is kept in the OS "
        "keyring), or in the environment variable SYNCMONITOR_WORKBOOKS_API_KEY for headless use."
    ),
    SALESMATE: (
        "Check the Salesmate link name and access token (Salesmate: My Account > Access Key). "
        "Keep the token in the OS keyring (service syncmonitor, user salesmate_token) or in the "
        "environment variable SYNCMONITOR_SALESMATE_TOKEN, and set [salesmate] base_url and "
        "linkname in the configuration file."
    ),
    SPOTLER: (
        "Check the consumer key and secret made in Spotler Mail+ for Sync Monitor, then set both "
        "in Settings (they are kept in the OS keyring), or in the environment variables "
        "SYNCMONITOR_SPOTLER_CONSUMER_KEY and SYNCMONITOR_SPOTLER_CONSUMER_SECRET for headless use."
    ),
}


def redact_url(url: object) -> str:
    """The URL with the value of every secret-bearing query parameter replaced by REDACTED.

    Works on strings and on `httpx.URL` (anything whose `str()` is a URL). User info
    (`user:password@host`) is dropped too.
    """
    text = str(url)
    try:
        parts = urlsplit(text)
    except ValueError:
        return "<unparseable URL>"
    netloc = parts.netloc.rpartition("@")[2]
    if not parts.query:
        return urlunsplit((parts.scheme, netloc, parts.path, "", parts.fragment))
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    cleaned = [(k, REDACTED if k.lower() in SENSITIVE_PARAMS else v) for k, v in pairs]
    query = urlencode(cleaned, safe="[],:")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def redact_secrets(text: str, secrets: Iterable[str]) -> str:
    """`text` with every occurrence of any non-trivial secret replaced by REDACTED."""
    for secret in secrets:
        if secret and len(secret) >= 4 and secret in text:
            text = text.replace(secret, REDACTED)
    return text


class ConnectorError(Exception):
    """Something went wrong talking to a remote service.

    `str()` is "title: message". `url` (already redacted) and `status_code` are for logs and
    diagnostics; they are not part of the message a person reads.
    """

    default_retryable = False

    def __init__(
        self,
        service: str,
        title: str,
        message: str,
        *,
        retryable: bool | None = None,
        status_code: int | None = None,
        url: str | None = None,
    ) -> None:
        super().__init__(f"{title}: {message}")
        self.service = service
        self.title = title
        self.message = message
        self.retryable = self.default_retryable if retryable is None else retryable
        self.status_code = status_code
        self.url = redact_url(url) if url is not None else None
        # How many times the request was sent before giving up (set by the transport).
        self.attempts = 1

    def __str__(self) -> str:
        return f"{self.title}: {self.message}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(service={self.service!r}, title={self.title!r}, "
            f"status_code={self.status_code!r}, retryable={self.retryable!r})"
        )


class AuthenticationError(ConnectorError):
    """The remote refused the credentials (401/403). Retrying cannot help."""

    default_retryable = False

    @classmethod
    def for_service(
        cls,
        service: str,
        *,
        status_code: int | None = None,
        detail: str | None = None,
        url: str | None = None,
    ) -> AuthenticationError:
        """The standard error for a refused token/key, saying where to set a new one."""
        what = {
            OUTREACH: "access token",
            "Salesforce": "access token",
            SALESMATE: "access token",
            SPOTLER: "OAuth consumer key",
        }.get(service, "API key")
        said = f' It said: "{detail}".' if detail else ""
        code = f" (HTTP {status_code})" if status_code else ""
        return cls(
            service,
            f"{service} refused the {what}",
            f"{service} did not accept Sync Monitor's {what}{code}: it is wrong, expired, "
            f"revoked or lacks permission.{said} {_CREDENTIAL_HELP.get(service, '')}".strip(),
            status_code=status_code,
            url=url,
        )


class _RetryAfterError(ConnectorError):
    """An error that may come with the remote's own `Retry-After`, in seconds."""

    def __init__(
        self,
        service: str,
        title: str,
        message: str,
        *,
        retry_after: float | None = None,
        retryable: bool | None = None,
        status_code: int | None = None,
        url: str | None = None,
    ) -> None:
        super().__init__(
            service, title, message, retryable=retryable, status_code=status_code, url=url
        )
        self.retry_after = retry_after


class RateLimitedError(_RetryAfterError):
    """The remote asked us to slow down for longer than we are prepared to wait."""

    default_retryable = True


class ServerError(_RetryAfterError):
    """The remote failed (5xx). Usually temporary."""

    default_retryable = True


class NetworkError(ConnectorError):
    """No complete answer arrived: connection refused, timeout, dropped connection, cut body.

    `request_sent` is False when the request cannot have reached the remote (the connection was
    never made), so even a non-idempotent request is safe to send again.
    """

    default_retryable = True

    def __init__(
        self,
        service: str,
        title: str,
        message: str,
        *,
        request_sent: bool = True,
        retryable: bool | None = None,
        status_code: int | None = None,
        url: str | None = None,
    ) -> None:
        super().__init__(
            service, title, message, retryable=retryable, status_code=status_code, url=url
        )
        self.request_sent = request_sent


class MalformedResponseError(ConnectorError):
    """An answer arrived but is not what the API promises (not JSON, truncated, wrong shape)."""

    default_retryable = True


class NotFoundError(ConnectorError):
    """The remote has no such resource (404)."""

    default_retryable = False


class RequestRejectedError(ConnectorError):
    """The remote refused the request itself (a 4xx such as 415 or 422, or success: false).

    `remote_said` is the remote's own explanation, when it gave one (the Issues list quotes it).
    """

    default_retryable = False
    remote_said: str = ""


class PermissionDeniedError(ConnectorError):
    """The credentials were accepted but do not allow this request (a missing OAuth scope, a
    governance profile, a user without API access). A new token will not help; a permission
    will. `scope` names what is missing when the remote said (or the app could tell)."""

    default_retryable = False

    def __init__(
        self,
        service: str,
        title: str,
        message: str,
        *,
        scope: str | None = None,
        code: str | None = None,
        retryable: bool | None = None,
        status_code: int | None = None,
        url: str | None = None,
    ) -> None:
        super().__init__(
            service, title, message, retryable=retryable, status_code=status_code, url=url
        )
        self.scope = scope
        self.code = code


class ServiceUnavailableError(ServerError):
    """The remote is temporarily unavailable for a reason it named (Workbooks' database is
    being migrated, archived or not available). Retried with backoff; then "try again soon"."""

    def __init__(
        self,
        service: str,
        title: str,
        message: str,
        *,
        code: str | None = None,
        retry_after: float | None = None,
        retryable: bool | None = None,
        status_code: int | None = None,
        url: str | None = None,
    ) -> None:
        super().__init__(
            service,
            title,
            message,
            retry_after=retry_after,
            retryable=retryable,
            status_code=status_code,
            url=url,
        )
        self.code = code


class QuotaExceededError(RateLimitedError):
    """A budget that refills in hours, not seconds, is spent (Salesforce's daily API request
    limit). Not retried within the run: the next scheduled sync tries again."""

    default_retryable = False
