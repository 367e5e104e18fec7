"""Connector errors: wording, classification, and secrets kept out of every message."""

from __future__ import annotations

import httpx
import pytest

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


def test_str_is_title_colon_message() -> None:
    error = ServerError("Outreach", "Outreach is having trouble", "It answered 503. Try later.")
    assert str(error) == "Outreach is having trouble: It answered 503. Try later."
    assert error.service == "Outreach"
    assert isinstance(error, ConnectorError)


@pytest.mark.parametrize(
    ("kind", "retryable"),
    [
        (AuthenticationError, False),
        (RateLimitedError, True),
        (ServerError, True),
        (NetworkError, True),
        (MalformedResponseError, True),
        (NotFoundError, False),
        (RequestRejectedError, False),
    ],
)
def test_retryable_defaults(kind: type[ConnectorError], retryable: bool) -> None:
    assert kind("Workbooks", "t", "m").retryable is retryable
    assert kind("Workbooks", "t", "m", retryable=not retryable).retryable is not retryable


def test_rate_limited_carries_retry_after() -> None:
    assert RateLimitedError("Outreach", "t", "m", retry_after=12.5).retry_after == 12.5
    assert RateLimitedError("Outreach", "t", "m").retry_after is None


@pytest.mark.parametrize(
    ("service", "where"),
    [("Outreach", "SYNCMONITOR_OUTREACH_TOKEN"), ("Workbooks", "SYNCMONITOR_WORKBOOKS_API_KEY")],
)
def test_authentication_error_says_where_to_set_the_credential(service: str, where: str) -> None:
    error = AuthenticationError.for_service(service, status_code=401, detail="Invalid")
    assert where in error.message
    assert "Settings" in error.message and "keyring" in error.message
    assert '"Invalid"' in error.message
    assert not error.retryable


def test_redact_url_hides_secret_parameters_and_user_info() -> None:
    url = "https://u:pw@secure.workbooks.com/crm/people.api?api_key=abc123&_start=0&_ff[]=id"
    redacted = redact_url(url)
    assert "abc123" not in redacted and "pw" not in redacted
    assert "api_key=REDACTED" in redacted
    assert "_start=0" in redacted and "_ff[]=id" in redacted
    assert redact_url(httpx.URL("https://x.test/a?access_token=t0k&x=1")) == (
        "https://x.test/a?access_token=REDACTED&x=1"
    )
    assert redact_url("https://x.test/a") == "https://x.test/a"


def test_error_urls_are_stored_redacted() -> None:
    error = NotFoundError("Workbooks", "t", "m", url="https://wb.test/x.api?api_key=s3cret")
    assert error.url == "https://wb.test/x.api?api_key=REDACTED"


def test_redact_secrets_in_free_text() -> None:
    assert redact_secrets("key s3cret-key leaked", ["s3cret-key"]) == "key REDACTED leaked"
    assert redact_secrets("abc", ["", "a"]) == "abc"  # trivial secrets are ignored
