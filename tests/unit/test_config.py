"""Configuration: defaults, validation with messages that name the key, HTTPS rule."""

from pathlib import Path

import pytest

from syncmonitor.app.config import ConfigError, check_base_url, load_config, parse_config


def test_missing_file_means_sandbox_mode(tmp_path: Path) -> None:
    config = load_config(tmp_path / "config.toml")
    assert config.sandbox_mode
    assert config.workbooks.sequence_state_field == "cf_person_sequence_state"


def test_full_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        '[outreach]\nbase_url = "https://api.outreach.io/api/v2/"\npage_size = 500\n'
        '[workbooks]\nbase_url = "https://secure.workbooks.com"\n'
        'sequence_state_field = "cf_person_seq"\n[sync]\ninterval_minutes = 60\n'
    )
    config = load_config(path)
    assert not config.sandbox_mode
    assert config.outreach.base_url == "https://api.outreach.io/api/v2"
    assert config.outreach.page_size == 500
    assert config.workbooks.sequence_state_field == "cf_person_seq"
    assert config.sync.interval_minutes == 60
    assert config.source == path


@pytest.mark.parametrize(
    "url", ["http://localhost:8080/api", "http://127.0.0.1:9/x", "http://[::1]:80/", "https://x.io"]
)
def test_https_or_loopback_is_accepted(url: str) -> None:
    assert check_base_url(url, "test") == url.rstrip("/")


@pytest.mark.parametrize("url", ["http://api.outreach.io/api/v2", "http://10.0.0.5/", "ftp://x"])
def test_plain_http_to_another_host_is_refused(url: str) -> None:
    with pytest.raises(ConfigError) as err:
        check_base_url(url, "[outreach] base_url")
    assert "[outreach] base_url" in str(err.value)


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        ({"outreach": {"page_size": 5000}}, "page_size"),
        ({"outreach": {"page_size": "big"}}, "a whole number"),
        ({"outreach": {"base_url": 42}}, "text"),
        ({"outreach": {"token": "secret"}}, "Unknown key 'token'"),
        ({"nosuchservice": {}}, "Unknown section [nosuchservice]"),
        ({"salesforce": {"base_url": "http://example.com"}}, "plain http://"),
        ({"outreach": "x"}, "must be a section"),
        ({"workbooks": {"sequence_state_field": "  "}}, "is empty"),
        ({"workbooks": {"push_enabled": 1}}, "true or false"),
    ],
)
def test_bad_values_name_the_key(data: dict, needle: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(data)
    assert needle in str(err.value)


def test_invalid_toml_says_so(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[outreach\nbase_url=")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(path)


def test_no_display_on_linux_says_what_to_do(monkeypatch) -> None:
    import sys

    from syncmonitor import cli
    from syncmonitor.app.errors import UserFacingError

    monkeypatch.setattr(sys, "platform", "linux")
    with pytest.raises(UserFacingError, match="xvfb-run"):
        cli._check_display({})
    cli._check_display({"DISPLAY": ":0"})
    cli._check_display({"QT_QPA_PLATFORM": "offscreen"})


def test_no_cache_url_means_this_computers_sqlite_file() -> None:
    config = parse_config({})
    assert config.cache.url is None and not config.cache.shared
    assert "SQLite" in config.cache.describe()


@pytest.mark.parametrize(
    ("url", "stored"),
    [
        ("postgresql+psycopg://syncer@db.example.com:5432/syncmonitor", None),
        ("postgresql://watcher@db.example.com/syncmonitor", "postgresql+psycopg://watcher@"),
    ],
)
def test_a_team_store_url_is_read(url: str, stored: str | None) -> None:
    config = parse_config({"cache": {"url": url}})
    assert config.cache.shared
    assert config.cache.url is not None
    assert config.cache.url.startswith(stored or url)
    assert config.cache.describe().startswith("Team store (PostgreSQL)")


def test_a_password_in_the_cache_url_is_refused_without_echoing_it() -> None:
    with pytest.raises(ConfigError) as err:
        parse_config({"cache": {"url": "postgresql+psycopg://syncer:hunter2@db/syncmonitor"}})
    text = str(err.value)
    assert "never kept in the configuration file" in text
    assert "SYNCMONITOR_CACHE_PASSWORD" in text
    assert "hunter2" not in text


@pytest.mark.parametrize(
    "url", ["mysql://u@db/x", "sqlite:///tmp/x.db", "postgresql+psycopg://db", "not a url"]
)
def test_a_cache_url_that_is_not_postgresql_is_refused(url: str) -> None:
    with pytest.raises(ConfigError, match="not a PostgreSQL address"):
        parse_config({"cache": {"url": url}})
