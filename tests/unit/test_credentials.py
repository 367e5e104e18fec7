"""Secrets: environment first, then the keyring; no plaintext fallback."""

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends.fail import Keyring as FailKeyring

from syncmonitor.app.credentials import (
    MissingSecretError,
    NoSecureStoreError,
    Secret,
    get_secret,
    require_secret,
    store_secret,
    where_is,
)


class MemoryKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.items.get((service, username))

    def set_password(self, service, username, password):
        self.items[(service, username)] = password

    def delete_password(self, service, username):
        self.items.pop((service, username), None)


@pytest.fixture
def memory_keyring():
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def test_environment_wins_over_keyring(memory_keyring) -> None:
    store_secret(Secret.OUTREACH_TOKEN, "from-keyring")
    env = {"SYNCMONITOR_OUTREACH_TOKEN": "from-env"}
    assert get_secret(Secret.OUTREACH_TOKEN, env) == "from-env"
    assert get_secret(Secret.OUTREACH_TOKEN, {}) == "from-keyring"
    assert where_is(Secret.OUTREACH_TOKEN, env).found_in == "environment"
    assert where_is(Secret.OUTREACH_TOKEN, {}).found_in == "keyring"


def test_missing_secret_says_where_to_put_it(memory_keyring) -> None:
    with pytest.raises(MissingSecretError) as err:
        require_secret(Secret.WORKBOOKS_API_KEY, {})
    assert "SYNCMONITOR_WORKBOOKS_API_KEY" in str(err.value)


def test_no_keyring_backend_refuses_to_store_and_never_writes_a_file(tmp_path, monkeypatch) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(FailKeyring())
    monkeypatch.chdir(tmp_path)
    try:
        with pytest.raises(NoSecureStoreError) as err:
            store_secret(Secret.OUTREACH_TOKEN, "s3cret")
        assert "never keeps secrets in a plain file" in str(err.value)
        assert get_secret(Secret.OUTREACH_TOKEN, {}) is None
        assert list(tmp_path.iterdir()) == []
    finally:
        keyring.set_keyring(previous)
