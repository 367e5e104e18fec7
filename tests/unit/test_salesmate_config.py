"""Where the Salesmate API comes from: the config file and a secret, or the sandbox, or nowhere."""

from __future__ import annotations

import pytest

from syncmonitor.app.config import ConfigError, parse_config
from syncmonitor.app.credentials import MissingSecretError
from syncmonitor.connectors.salesmate import SalesmateAccess
from syncmonitor.engine.bootstrap import resolve_salesmate
from syncmonitor.sandbox.process import SandboxEndpoints

ENDPOINTS = SandboxEndpoints(
    port=1,
    outreach_base_url="http://127.0.0.1:1/outreach/api/v2",
    workbooks_base_url="http://127.0.0.1:1/workbooks",
    admin_url="http://127.0.0.1:1/_admin",
    outreach_token="o",
    workbooks_api_key="w",
    salesmate_base_url="http://127.0.0.1:1/salesmate",
    salesmate_linkname="sandbox",
    salesmate_token="s-token",
)


def test_configured_salesmate_takes_its_token_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = parse_config({"salesmate": {"base_url": "https://acme.salesmate.io/"}})
    # Sent as `x-linkname: acme.salesmate.io`, as Salesmate's public clients do.
    assert config.salesmate.effective_linkname == "acme.salesmate.io"
    monkeypatch.delenv("SYNCMONITOR_SALESMATE_TOKEN", raising=False)
    with pytest.raises(MissingSecretError, match="SYNCMONITOR_SALESMATE_TOKEN"):
        resolve_salesmate(config)
    monkeypatch.setenv("SYNCMONITOR_SALESMATE_TOKEN", "t0k3n")
    assert resolve_salesmate(config, ENDPOINTS) == SalesmateAccess(
        "https://acme.salesmate.io/apis", "acme.salesmate.io", "t0k3n"
    )


def test_an_explicit_link_name_wins() -> None:
    config = parse_config(
        {"salesmate": {"base_url": "https://crm.example.com", "linkname": "acme-eu"}}
    )
    assert config.salesmate.effective_linkname == "acme-eu"


def test_without_configuration_the_sandbox_or_nothing() -> None:
    config = parse_config({})
    assert resolve_salesmate(config, ENDPOINTS) == SalesmateAccess(
        "http://127.0.0.1:1/salesmate/apis", "sandbox", "s-token"
    )
    assert resolve_salesmate(config, None) is None


def test_plain_http_to_another_host_is_refused() -> None:
    with pytest.raises(ConfigError, match="plain http"):
        parse_config({"salesmate": {"base_url": "http://acme.salesmate.io"}})
    with pytest.raises(ConfigError, match="Unknown key 'token'"):
        parse_config({"salesmate": {"token": "never here"}})


def test_the_link_header_is_the_accounts_salesmate_host() -> None:
    from syncmonitor.connectors.salesmate import linkname_header

    assert linkname_header("acme") == "acme.salesmate.io"
    assert linkname_header("Acme.Salesmate.io") == "acme.salesmate.io"
    assert linkname_header("") == ""
