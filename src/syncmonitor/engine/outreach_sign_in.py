"""How the app signs in to Outreach: a static access token, or OAuth with renewal.

OAuth is used when `[outreach] oauth_client_id` is set; the client secret and the refresh token
then come from the keyring or the environment like every secret. Outreach replaces the refresh
token at every renewal, so each new one is saved in the keyring at once; where it cannot be saved
the log says so plainly (the running app keeps working; the next start needs a new sign-in).
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
from collections.abc import Callable
from urllib.parse import parse_qsl, urlsplit

from syncmonitor.app.config import Config
from syncmonitor.app.credentials import (
    NoSecureStoreError,
    Secret,
    keyring_available,
    require_secret,
    store_secret,
)
from syncmonitor.app.errors import UserFacingError
from syncmonitor.connectors.errors import ConnectorError
from syncmonitor.connectors.outreach.auth import OutreachGrant, RefreshingBearer, token_url_for
from syncmonitor.connectors.outreach.sign_in import authorize_url, exchange_code

log = logging.getLogger(__name__)


def outreach_oauth(
    config: Config, environ: dict[str, str] | None = None
) -> RefreshingBearer | None:
    """A renewing bearer auth when OAuth is configured, else None (use the static token)."""
    client_id, base_url = config.outreach.oauth_client_id, config.outreach.base_url
    if not client_id or not base_url:
        return None
    grant = OutreachGrant(
        client_id,
        require_secret(Secret.OUTREACH_CLIENT_SECRET, environ),
        require_secret(Secret.OUTREACH_REFRESH_TOKEN, environ),
        token_url_for(base_url),
    )
    env = os.environ if environ is None else environ
    return RefreshingBearer(grant, on_rotate=lambda token: save_refresh_token(token, env))


def save_refresh_token(token: str, environ: dict[str, str] | os._Environ[str]) -> None:
    """Keep Outreach's new refresh token for the next start (the old one no longer works)."""
    variable = Secret.OUTREACH_REFRESH_TOKEN.env_var
    if not keyring_available():
        log.error(
            "Outreach renewed its sign-in, but this system has no secure password store to keep "
            "the new refresh token in; this run goes on, but the next start needs a new sign-in "
            "(a new %s). Install and unlock a keyring to avoid this.",
            variable,
        )
        return
    try:
        store_secret(Secret.OUTREACH_REFRESH_TOKEN, token)
    except NoSecureStoreError as error:
        log.error("Could not save Outreach's renewed sign-in: %s %s", error.title, error.message)
        return
    if environ.get(variable):
        log.warning(
            "Outreach renewed its sign-in and the new refresh token is in the keyring; the one "
            "in %s no longer works and takes precedence at the next start: unset it.",
            variable,
        )


# -- signing in with the browser (OAuth authorization code) ------------------------------------

# Outreach sends the browser back to a redirect address the OAuth app lists; a loopback one on a
# fixed port is what a desktop app can offer (an inference: Outreach documents no loopback rule).
REDIRECT_PORT = 47217
REDIRECT_PATH = "/callback"
_DONE_PAGE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nConnection: close\r\n\r\n"
    b"<html><body><h3>Sync Monitor is signed in to Outreach.</h3>"
    b"<p>You can close this window.</p></body></html>"
)


class SignInError(UserFacingError):
    """The browser sign-in did not complete."""

    title = "The Outreach sign-in did not complete"


def redirect_uri(port: int = REDIRECT_PORT) -> str:
    return f"http://127.0.0.1:{port}{REDIRECT_PATH}"


async def sign_in_in_browser(
    base_url: str,
    client_id: str,
    client_secret: str,
    open_url: Callable[[str], object],
    *,
    port: int = REDIRECT_PORT,
    timeout: float = 300.0,
) -> None:
    """Open Outreach's consent page, wait for the browser to come back with a code, exchange it
    and keep the refresh token and the client secret in the keyring."""
    loop = asyncio.get_running_loop()
    state = secrets.token_urlsafe(16)
    arrived: asyncio.Future[str] = loop.create_future()

    async def callback(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            line = (await reader.readline()).decode("latin-1")
            target = line.split(" ")[1] if line.count(" ") >= 2 else ""
            query = dict(parse_qsl(urlsplit(target).query))
            if urlsplit(target).path == REDIRECT_PATH and not arrived.done():
                if query.get("state") != state:
                    arrived.set_exception(
                        SignInError(
                            "The answer that came back was not for this sign-in.",
                            "Sign in again from Settings.",
                        )
                    )
                elif query.get("error"):
                    arrived.set_exception(
                        SignInError(
                            f"Outreach said: {query.get('error_description') or query['error']}.",
                            "Sign in again, and allow Sync Monitor's access on Outreach's page.",
                        )
                    )
                else:
                    arrived.set_result(query.get("code", ""))
            writer.write(_DONE_PAGE)
            await writer.drain()
        finally:
            writer.close()

    try:
        server = await asyncio.start_server(callback, "127.0.0.1", port)
    except OSError as exc:
        raise SignInError(
            f"Sync Monitor could not listen on 127.0.0.1:{port} for Outreach's answer ({exc}).",
            "Close the program using that port, then sign in again.",
        ) from None
    listening = server.sockets[0].getsockname()[1]
    redirect = redirect_uri(listening)
    try:
        # On the caller's thread (a desktop's "open this URL" belongs to the GUI thread); it
        # must return at once: the answer arrives through the server above.
        open_url(authorize_url(base_url, client_id, redirect, state))
        try:
            code = await asyncio.wait_for(arrived, timeout)
        except TimeoutError:
            raise SignInError(
                "No answer came back from Outreach's sign-in page in time.",
                f"Sign in again; the Outreach app must list {redirect_uri()} as a redirect URI.",
            ) from None
    finally:
        server.close()
        await server.wait_closed()
    try:
        refresh = await exchange_code(base_url, client_id, client_secret, code, redirect)
    except ConnectorError as exc:  # in Outreach's words, for the window's one error type
        raise SignInError(exc.message) from None
    await asyncio.to_thread(store_secret, Secret.OUTREACH_CLIENT_SECRET, client_secret)
    await asyncio.to_thread(store_secret, Secret.OUTREACH_REFRESH_TOKEN, refresh)
