"""Signing in to Outreach with the browser (OAuth authorization code) against the sandbox: the
consent page sends the browser back to the app's loopback address with a code, the code becomes
the refresh token in the keyring, and that sign-in then syncs."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

import httpx
import keyring
import pytest

from syncmonitor.app.credentials import KEYRING_SERVICE, Secret
from syncmonitor.connectors.outreach.auth import OutreachGrant, RefreshingBearer, token_url_for
from syncmonitor.connectors.outreach.client import OutreachClient
from syncmonitor.engine.outreach_sign_in import SignInError, sign_in_in_browser
from syncmonitor.sandbox.outreach_oauth import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from syncmonitor.sandbox.process import SandboxEndpoints


@pytest.fixture
def sandbox(make_sandbox: Callable[..., SandboxEndpoints]) -> SandboxEndpoints:
    """A sandbox of its own: a sign-in replaces its refresh token."""
    return make_sandbox(seed=2, people=10, tick=0)


def browser(url: str) -> None:
    """A browser that approves at once: follows the consent page's redirect to the app (in its
    own thread, as a real browser is its own process)."""
    threading.Thread(target=httpx.get, args=(url,), kwargs={"follow_redirects": True}).start()


def test_the_browser_sign_in_keeps_a_refresh_token_that_works(
    sandbox: SandboxEndpoints, memory_keyring: keyring.backend.KeyringBackend
) -> None:
    base = sandbox.outreach_base_url

    async def go() -> None:
        await sign_in_in_browser(base, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, browser, port=0)

    asyncio.run(go())
    refresh = memory_keyring.get_password(KEYRING_SERVICE, Secret.OUTREACH_REFRESH_TOKEN.value)
    assert refresh and refresh.startswith("sbx-rt-")
    saved = memory_keyring.get_password(KEYRING_SERVICE, Secret.OUTREACH_CLIENT_SECRET.value)
    assert saved == DEFAULT_CLIENT_SECRET

    grant = OutreachGrant(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, refresh, token_url_for(base))

    async def read() -> int:
        auth = RefreshingBearer(grant, on_rotate=lambda token: None)
        async with OutreachClient(base, None, auth=auth, page_size=5) as client:
            async for page in client.sequence_state_pages(None):
                return len(page.states)
        return 0

    assert asyncio.run(read()) > 0


def test_a_wrong_client_secret_is_one_clear_error(
    sandbox: SandboxEndpoints, memory_keyring: keyring.backend.KeyringBackend
) -> None:
    async def go() -> None:
        await sign_in_in_browser(
            sandbox.outreach_base_url, DEFAULT_CLIENT_ID, "wrong-secret", browser, port=0
        )

    with pytest.raises(SignInError) as caught:
        asyncio.run(go())
    assert "client id and secret" in caught.value.message
    assert memory_keyring.get_password(KEYRING_SERVICE, "outreach_refresh_token") is None


def test_no_answer_in_time_says_what_to_register(
    sandbox: SandboxEndpoints, memory_keyring: keyring.backend.KeyringBackend
) -> None:
    async def go() -> None:
        await sign_in_in_browser(
            sandbox.outreach_base_url,
            DEFAULT_CLIENT_ID,
            DEFAULT_CLIENT_SECRET,
            lambda url: None,  # the person closed the browser
            port=0,
            timeout=0.5,
        )

    with pytest.raises(SignInError) as caught:
        asyncio.run(go())
    assert "redirect URI" in caught.value.message and "127.0.0.1:47217" in caught.value.message
