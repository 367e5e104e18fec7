"""How the app signs in to Outreach: a static access token, or OAuth with renewal.

OAuth is used when `[outreach] oauth_client_id` is set; the client secret and the refresh token
then come from the keyring or the environment like every secret. Outreach replaces the refresh
token at every renewal, so each new one is saved in the keyring at once; where it cannot be saved
the log says so plainly (the running app keeps working; the next start needs a new sign-in).
"""

from __future__ import annotations

import logging
import os

from syncmonitor.app.config import Config
from syncmonitor.app.credentials import (
    NoSecureStoreError,
    Secret,
    keyring_available,
    require_secret,
    store_secret,
)
from syncmonitor.connectors.outreach.auth import OutreachGrant, RefreshingBearer, token_url_for

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
