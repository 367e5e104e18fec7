"""Outreach OAuth: an access token that expires mid-sync is renewed once and the sync goes on;
a renewal Outreach refuses is one clear error, never a loop; the rotated refresh token is saved."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from urllib.parse import parse_qs

import httpx
import pytest

from syncmonitor.connectors.errors import AuthenticationError
from syncmonitor.connectors.http.retry import RetryPolicy
from syncmonitor.connectors.outreach.auth import OutreachGrant, RefreshingBearer, token_url_for
from syncmonitor.connectors.outreach.client import OutreachClient

BASE = "https://api.outreach.test/api/v2"
CLIENT_SECRET = "client-SECRET-5d1f"
FIRST_REFRESH = "refresh-FIRST-0a9b"


@dataclass
class FakeOutreach:
    """Outreach's token endpoint and a 3-page sequenceStates collection."""

    refresh_token: str = FIRST_REFRESH
    valid: set[str] = field(default_factory=set)
    issued: int = 0
    token_requests: int = 0
    refuse_refresh: bool = False
    expire_after_pages: int | None = None  # all access tokens die after this many pages
    pages_served: int = 0
    seen_authorization: list[str] = field(default_factory=list)

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            return self._token(request)
        auth = request.headers.get("authorization", "")
        self.seen_authorization.append(auth)
        if auth.removeprefix("Bearer ") not in self.valid:
            return httpx.Response(
                401, json={"errors": [{"id": "unauthorized", "title": "Unauthorized"}]}
            )
        page = int(request.url.params.get("page[after]", "0"))
        self.pages_served += 1
        if self.expire_after_pages is not None and self.pages_served == self.expire_after_pages:
            self.valid.clear()
        links = {"next": f"{BASE}/sequenceStates?page[after]={page + 1}"} if page < 2 else {}
        return httpx.Response(
            200,
            json={
                "data": [{"type": "sequenceState", "id": page + 1, "attributes": {}}],
                "links": links,
            },
        )

    def _token(self, request: httpx.Request) -> httpx.Response:
        self.token_requests += 1
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        if (
            self.refuse_refresh
            or form.get("grant_type") != "refresh_token"
            or form.get("client_secret") != CLIENT_SECRET
            or form.get("refresh_token") != self.refresh_token
        ):
            return httpx.Response(
                400,
                json={
                    "error": "invalid_grant",
                    "error_description": "The refresh token is invalid.",
                },
            )
        self.issued += 1
        access = f"access-{self.issued}"
        self.valid.add(access)
        self.refresh_token = f"refresh-{self.issued}"
        return httpx.Response(
            200,
            json={"access_token": access, "refresh_token": self.refresh_token, "expires_in": 7200},
        )


@dataclass
class Saved:
    tokens: list[str] = field(default_factory=list)

    def __call__(self, token: str) -> None:
        self.tokens.append(token)


def _auth(saved: Saved) -> RefreshingBearer:
    grant = OutreachGrant("client-id", CLIENT_SECRET, FIRST_REFRESH, token_url_for(BASE))
    return RefreshingBearer(grant, on_rotate=saved)


def _client(fake: FakeOutreach, auth: RefreshingBearer) -> OutreachClient:
    async def no_sleep(seconds: float) -> None:
        return None

    return OutreachClient(
        BASE,
        None,
        auth=auth,
        transport=httpx.MockTransport(fake.handle),
        policy=RetryPolicy(max_attempts=3),
        sleep=no_sleep,
    )


async def _ids(client: OutreachClient) -> list[int]:
    async with client:
        return [r["id"] async for doc in client.iter_pages("sequenceStates") for r in doc["data"]]


def test_the_token_url_sits_beside_the_api() -> None:
    assert token_url_for("https://api.outreach.io/api/v2/") == "https://api.outreach.io/oauth/token"
    assert token_url_for("http://127.0.0.1:9/outreach/api/v2") == (
        "http://127.0.0.1:9/outreach/oauth/token"
    )


def test_the_first_request_gets_a_token_and_the_rotated_refresh_token_is_saved() -> None:
    fake, saved = FakeOutreach(), Saved()
    assert asyncio.run(_ids(_client(fake, _auth(saved)))) == [1, 2, 3]
    assert fake.token_requests == 1
    assert saved.tokens == ["refresh-1"]
    assert set(fake.seen_authorization) == {"Bearer access-1"}


def test_a_token_that_expires_mid_sync_is_renewed_once_and_paging_goes_on() -> None:
    fake, saved = FakeOutreach(expire_after_pages=2), Saved()
    auth = _auth(saved)
    assert asyncio.run(_ids(_client(fake, auth))) == [1, 2, 3]  # nothing skipped or doubled
    assert fake.token_requests == 2 and auth.refreshes == 2
    assert saved.tokens == ["refresh-1", "refresh-2"]  # each rotation saved, in order
    assert fake.seen_authorization[-1] == "Bearer access-2"


def test_requests_that_meet_the_same_expired_token_share_one_renewal() -> None:
    fake, saved = FakeOutreach(), Saved()
    auth = _auth(saved)

    async def many() -> None:
        async with _client(fake, auth) as client:
            await client.iter_pages("sequenceStates").__anext__()
            fake.valid.clear()  # every token dies at once
            await asyncio.gather(
                *(client.iter_pages("sequenceStates").__anext__() for _ in range(6))
            )

    asyncio.run(many())
    assert fake.token_requests == 2  # the first token, then one renewal for all six
    assert saved.tokens == ["refresh-1", "refresh-2"]


def test_a_refused_renewal_is_one_clear_error_without_secrets_and_no_loop() -> None:
    fake, saved = FakeOutreach(refuse_refresh=True), Saved()
    with pytest.raises(AuthenticationError) as caught:
        asyncio.run(_ids(_client(fake, _auth(saved))))
    error = caught.value
    assert fake.token_requests == 1 and fake.pages_served == 0
    assert "Connect Outreach again in Settings" in error.message
    assert "The refresh token is invalid." in error.message  # Outreach's own words
    for secret in (CLIENT_SECRET, FIRST_REFRESH):
        assert secret not in str(error) and secret not in repr(error)
    assert saved.tokens == []


def test_a_token_refused_again_after_renewal_is_reported_not_renewed_forever() -> None:
    fake, saved = FakeOutreach(), Saved()
    real_token = fake._token

    def token_then_revoke(request: httpx.Request) -> httpx.Response:
        answer = real_token(request)
        if fake.issued > 1:
            fake.valid.clear()  # the renewed token is refused too (revoked access)
        return answer

    fake._token = token_then_revoke  # type: ignore[method-assign]
    fake.expire_after_pages = 1
    with pytest.raises(AuthenticationError) as caught:
        asyncio.run(_ids(_client(fake, _auth(saved))))
    assert caught.value.status_code == 401
    assert fake.token_requests == 2  # the first token and exactly one renewal


def test_a_failure_to_save_the_new_refresh_token_does_not_stop_the_sync() -> None:
    fake = FakeOutreach()

    def broken_keyring(token: str) -> None:
        raise RuntimeError("keyring locked")

    grant = OutreachGrant("client-id", CLIENT_SECRET, FIRST_REFRESH, token_url_for(BASE))
    auth = RefreshingBearer(grant, on_rotate=broken_keyring)
    assert asyncio.run(_ids(_client(fake, auth))) == [1, 2, 3]
    assert "refresh-1" in auth.secrets()  # kept in memory for the next renewal


def test_the_grant_never_shows_its_secrets() -> None:
    grant = OutreachGrant("client-id", CLIENT_SECRET, FIRST_REFRESH, token_url_for(BASE))
    assert CLIENT_SECRET not in repr(grant) and FIRST_REFRESH not in repr(grant)


def test_a_static_token_and_a_refreshing_auth_are_exclusive() -> None:
    with pytest.raises(ValueError, match="either"):
        OutreachClient(BASE, "static", auth=_auth(Saved()))
    with pytest.raises(ValueError, match="either"):
        OutreachClient(BASE, None)
