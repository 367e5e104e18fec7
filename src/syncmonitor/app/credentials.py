"""Secrets: the Outreach token, the Workbooks API key and the Spotler OAuth consumer key/secret.

They come from the environment (headless use) or the OS keyring, and nowhere else: never the
config file, the cache or a log. When no secure store exists (a headless Linux box has no keyring
backend) the app says so and does not fall back to a plaintext file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from enum import StrEnum

import keyring
import keyring.errors

from syncmonitor.app.errors import UserFacingError

KEYRING_SERVICE = "syncmonitor"


class Secret(StrEnum):
    """A secret the app may need, named by its keyring user name."""

    OUTREACH_TOKEN = "outreach_token"
    WORKBOOKS_API_KEY = "workbooks_api_key"
    # Outreach OAuth (instead of a static token): the app's secret and the user's refresh token,
    # which Outreach replaces at every renewal (the app saves each new one in the keyring).
    OUTREACH_CLIENT_SECRET = "outreach_client_secret"
    OUTREACH_REFRESH_TOKEN = "outreach_refresh_token"
    SALESFORCE_TOKEN = "salesforce_token"
    SALESMATE_TOKEN = "salesmate_token"
    SPOTLER_CONSUMER_KEY = "spotler_consumer_key"
    SPOTLER_CONSUMER_SECRET = "spotler_consumer_secret"
    # The team store's (PostgreSQL, [cache] url) database password.
    CACHE_PASSWORD = "cache_password"

    @property
    def env_var(self) -> str:
        return f"SYNCMONITOR_{self.value.upper()}"

    @property
    def label(self) -> str:
        return _LABELS[self.value]


_LABELS = {
    "outreach_token": "Outreach token",
    "workbooks_api_key": "Workbooks API key",
    "outreach_client_secret": "Outreach OAuth client secret",
    "outreach_refresh_token": "Outreach sign-in (refresh token)",
    "salesforce_token": "Salesforce access token",
    "salesmate_token": "Salesmate access token",
    "spotler_consumer_key": "Spotler consumer key",
    "spotler_consumer_secret": "Spotler consumer secret",
    "cache_password": "team store (PostgreSQL) password",
}


class NoSecureStoreError(UserFacingError):
    """The OS has no keyring the app can use."""

    title = "No secure password store"


class MissingSecretError(UserFacingError):
    """A secret the configuration needs has not been given."""

    title = "A credential is missing"


@dataclass(frozen=True)
class SecretSource:
    """Where a secret was found (shown in Settings and `status`, never the value)."""

    secret: Secret
    found_in: str | None  # "environment", "keyring" or None


def get_secret(secret: Secret, environ: dict[str, str] | None = None) -> str | None:
    """The secret's value: environment first, then the keyring; None if neither has it."""
    env = os.environ if environ is None else environ
    value = env.get(secret.env_var)
    if value:
        return value
    try:
        return keyring.get_password(KEYRING_SERVICE, secret.value)
    except keyring.errors.KeyringError:
        return None


def require_secret(secret: Secret, environ: dict[str, str] | None = None) -> str:
    """The secret's value, or an error that says where to put it."""
    value = get_secret(secret, environ)
    if value:
        return value
    store = "the OS keyring" if keyring_available() else "no secure store on this system"
    raise MissingSecretError(
        f"The {secret.label} is not set (looked in {secret.env_var} and {store}).",
        f"Set it in Settings, or export {secret.env_var} for headless use.",
    )


def where_is(secret: Secret, environ: dict[str, str] | None = None) -> SecretSource:
    """Where the secret would be read from, without revealing it."""
    env = os.environ if environ is None else environ
    if env.get(secret.env_var):
        return SecretSource(secret, "environment")
    try:
        if keyring.get_password(KEYRING_SERVICE, secret.value):
            return SecretSource(secret, "keyring")
    except keyring.errors.KeyringError:
        pass
    return SecretSource(secret, None)


def keyring_available() -> bool:
    """True when a real (not the 'fail' or plaintext) keyring backend is active."""
    backend = keyring.get_keyring()
    name = type(backend).__module__ + "." + type(backend).__name__
    if "fail" in name.lower() or "null" in name.lower():
        return False
    return "plaintext" not in name.lower() and getattr(backend, "priority", 1) > 0


def store_secret(secret: Secret, value: str) -> None:
    """Save a secret in the OS keyring, or explain why it cannot be saved."""
    if not keyring_available():
        raise NoSecureStoreError(
            "This system has no secure password store (keyring) the app can use, so the "
            f"{secret.label} cannot be saved.",
            f"Install and unlock a keyring (GNOME Keyring, KWallet), or export {secret.env_var} "
            "before starting the app. Sync Monitor never keeps secrets in a plain file.",
        )
    try:
        keyring.set_password(KEYRING_SERVICE, secret.value, value)
    except keyring.errors.KeyringError as exc:
        raise NoSecureStoreError(
            f"The keyring refused to save the {secret.label}: {type(exc).__name__}.",
            "Unlock the keyring and try again.",
        ) from exc
