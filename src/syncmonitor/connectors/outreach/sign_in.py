"""Outreach's OAuth 2.0 authorization-code sign-in: the consent page's address and the exchange
of the code it returns for the first refresh token (RFC 6749 section 4.1, as Outreach documents
it: `https://api.outreach.io/oauth/authorize`, then `POST /oauth/token` with
`grant_type=authorization_code`). Renewals are `auth.RefreshingBearer`'s."""

from __future__ import annotations

import contextlib
from typing import Any
from urllib.parse import urlencode

import httpx
import orjson

from syncmonitor.connectors.errors import OUTREACH, AuthenticationError, NetworkError
from syncmonitor.connectors.http.client import tls_context
from syncmonitor.connectors.outreach.auth import API_SUFFIX, token_url_for

# What the sync reads and writes (Outreach's scopes are named after the resource).
SCOPES = (
    "sequenceStates.read",
    "sequences.read",
    "sequenceSteps.read",
    "prospects.all",
    "accounts.all",
    "opportunities.all",
    "stages.all",
    "tasks.read",
    "calls.read",
)


def authorize_url(base_url: str, client_id: str, redirect_uri: str, state: str) -> str:
    """The consent page for an API base URL (`…/api/v2` gives `…/oauth/authorize`)."""
    root = base_url.rstrip("/").removesuffix(API_SUFFIX)
    query = urlencode(
        {
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": " ".join(SCOPES),
            "state": state,
        }
    )
    return f"{root}/oauth/authorize?{query}"


async def exchange_code(
    base_url: str,
    client_id: str,
    client_secret: str,
    code: str,
    redirect_uri: str,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> str:
    """The refresh token for an authorization code (raises AuthenticationError, in Outreach's
    words, when the code or the client is refused)."""
    url = token_url_for(base_url)
    form = {
        "client_id": client_id,
        "client_secret": client_secret,
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
    }
    try:
        async with httpx.AsyncClient(verify=tls_context(), transport=transport) as client:
            answer = await client.post(url, data=form, headers={"Accept": "application/json"})
    except httpx.RequestError as exc:
        raise NetworkError(
            OUTREACH,
            "Cannot reach Outreach",
            f"The sign-in could not reach {httpx.URL(url).host} ({type(exc).__name__}). Check "
            "the internet connection and the Outreach address, then sign in again.",
            url=url,
        ) from None
    document: Any = None
    with contextlib.suppress(orjson.JSONDecodeError):
        document = orjson.loads(answer.content)
    refresh = document.get("refresh_token") if isinstance(document, dict) else None
    if answer.status_code != 200 or not isinstance(refresh, str) or not refresh:
        said = document.get("error_description") if isinstance(document, dict) else None
        raise AuthenticationError(
            OUTREACH,
            "Outreach did not complete the sign-in",
            f"Outreach refused the sign-in (HTTP {answer.status_code}"
            f"{f': {said}' if isinstance(said, str) and said else ''}). Check the OAuth client "
            "id and secret, and that the app lists Sync Monitor's redirect address, then sign "
            "in again.",
            status_code=answer.status_code,
            url=url,
        )
    return refresh
