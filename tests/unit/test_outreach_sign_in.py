"""Choosing how to sign in to Outreach, and keeping each renewed refresh token."""

from __future__ import annotations

import logging

import keyring
import pytest

from syncmonitor.app.config import Config, OutreachSettings
from syncmonitor.app.credentials import KEYRING_SERVICE, MissingSecretError, Secret, store_secret
from syncmonitor.engine.bootstrap import resolve_remotes
from syncmonitor.engine.outreach_sign_in import outreach_oauth, save_refresh_token

OAUTH = Config(
    outreach=OutreachSettings(base_url="https://api.outreach.io/api/v2", oauth_client_id="app-1")
)


def test_without_a_client_id_the_static_token_is_used() -> None:
    store_secret(Secret.OUTREACH_TOKEN, "static-token")
    config = Config(outreach=OutreachSettings(base_url="https://api.outreach.io/api/v2"))
    remotes = resolve_remotes(config)
    assert outreach_oauth(config) is None
    assert remotes.outreach_token == "static-token" and remotes.outreach_auth is None


def test_with_a_client_id_oauth_is_used_and_no_static_token_is_needed() -> None:
    store_secret(Secret.OUTREACH_CLIENT_SECRET, "client-secret")
    store_secret(Secret.OUTREACH_REFRESH_TOKEN, "refresh-1")
    remotes = resolve_remotes(OAUTH)
    assert remotes.outreach_token is None and remotes.outreach_auth is not None
    assert "client-secret" in remotes.outreach_auth.secrets()
    assert "refresh-1" not in repr(remotes) and "client-secret" not in repr(remotes)


def test_a_missing_refresh_token_says_which_secret_and_where() -> None:
    store_secret(Secret.OUTREACH_CLIENT_SECRET, "client-secret")
    with pytest.raises(MissingSecretError) as caught:
        resolve_remotes(OAUTH)
    assert "Outreach sign-in (refresh token)" in caught.value.message
    assert Secret.OUTREACH_REFRESH_TOKEN.env_var in caught.value.message


def test_a_renewed_refresh_token_replaces_the_old_one_in_the_keyring() -> None:
    store_secret(Secret.OUTREACH_REFRESH_TOKEN, "refresh-1")
    save_refresh_token("refresh-2", {})
    assert keyring.get_password(KEYRING_SERVICE, "outreach_refresh_token") == "refresh-2"


def test_a_refresh_token_from_the_environment_is_saved_and_the_variable_flagged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    env = {Secret.OUTREACH_REFRESH_TOKEN.env_var: "refresh-1"}
    with caplog.at_level(logging.WARNING):
        save_refresh_token("refresh-2", env)
    assert keyring.get_password(KEYRING_SERVICE, "outreach_refresh_token") == "refresh-2"
    assert "unset it" in caplog.text and "refresh-2" not in caplog.text


def test_with_no_secure_store_the_log_says_so_and_nothing_is_written_in_plain(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("syncmonitor.engine.outreach_sign_in.keyring_available", lambda: False)
    with caplog.at_level(logging.ERROR):
        save_refresh_token("refresh-2", {})
    assert "no secure password store" in caplog.text and "refresh-2" not in caplog.text
    assert keyring.get_password(KEYRING_SERVICE, "outreach_refresh_token") is None
