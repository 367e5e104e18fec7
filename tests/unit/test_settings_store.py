"""config.toml: a broken file never stops the app, Settings writes only its own keys."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from syncmonitor.app.config import ConfigError, parse_config
from syncmonitor.app.settings_store import last_good_path, load_config_safely, save_settings

GOOD = '[outreach]\nbase_url = "https://api.outreach.io/api/v2"\n[schedule]\nfull_minutes = 45\n'


def test_a_good_file_loads_and_is_kept_as_the_last_good_copy(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(GOOD)
    config, error = load_config_safely(path)
    assert error is None and config.schedule.full_minutes == 45
    assert last_good_path(path).read_text() == GOOD


def test_a_broken_file_starts_on_the_last_good_settings_and_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(GOOD)
    load_config_safely(path)
    path.write_text('[outreach]\nbase_url = "https://api.outreach.io/api/v2"\n[schedule\n')
    config, error = load_config_safely(path)
    assert config.schedule.full_minutes == 45  # the last good settings
    assert config.outreach.base_url == "https://api.outreach.io/api/v2"
    assert error is not None
    assert "line 3" in error.message and "last settings that worked" in error.message
    assert "[schedule" in path.read_text(), "the broken file is left for the person to fix"


def test_a_bad_value_names_its_line_and_without_a_copy_the_defaults_are_used(
    tmp_path: Path,
) -> None:
    path = tmp_path / "config.toml"
    path.write_text("# mine\n[schedule]\ninbound_minutes = 60\nfull_minutes = 5\n")
    config, error = load_config_safely(path)
    assert error is not None
    assert "line 4" in error.message and "full_minutes is 5, outside 30 to 1440" in error.message
    assert "default settings" in error.message
    assert config.schedule.full_minutes == 30


def test_the_old_sync_interval_is_read_as_the_full_interval_and_raised_to_its_minimum() -> None:
    assert parse_config({"sync": {"interval_minutes": 60}}).schedule.full_minutes == 60
    assert parse_config({"sync": {"interval_minutes": 10}}).schedule.full_minutes == 30
    both = parse_config({"sync": {"interval_minutes": 60}, "schedule": {"full_minutes": 90}})
    assert both.schedule.full_minutes == 90


@pytest.mark.parametrize(
    ("section", "values", "says"),
    [
        ("schedule", {"inbound_minutes": 14}, "outside 15 to 1440"),
        ("schedule", {"full_minutes": 1441}, "outside 30 to 1440"),
        ("notifications", {"off": "people.opted_out"}, "must be a list of names"),
    ],
)
def test_out_of_bounds_and_wrong_types_are_refused_with_the_reason(
    section: str, values: dict[str, object], says: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config({section: values})
    assert says in caught.value.message


def test_saving_changes_only_its_keys_keeps_other_sections_and_refuses_bad_values(
    tmp_path: Path,
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        "[sync]\ninterval_minutes = 60\n[sandbox]\npeople = 42\n[workbooks]\npush_enabled = false\n"
    )
    config = save_settings(
        path,
        {
            "schedule": {"inbound_minutes": 90, "full_minutes": 30},
            "notifications": {"off": ["people.opted_out"], "on": None},
            "workbooks": {"base_url": "https://secure.workbooks.com/"},
        },
    )
    data = tomllib.loads(path.read_text())
    assert data["sandbox"] == {"people": 42}
    assert data["workbooks"] == {"push_enabled": False, "base_url": "https://secure.workbooks.com/"}
    assert "sync" not in data  # [schedule] replaces the old key
    assert config.schedule.inbound_minutes == 90
    assert config.notifications.choices() == {"people.opted_out": False}
    before = path.read_text()
    with pytest.raises(ConfigError):
        save_settings(path, {"outreach": {"base_url": "http://outreach.example.com"}})
    assert path.read_text() == before, "a refused save leaves the file alone"


def test_a_file_that_still_sets_the_retired_status_field_keys_loads_and_says_where_they_went(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        '[mappings]\nlead_status_picklist = "Lead Stages"\n'
        'lead_status_field = "cf_person_lead_stage"\n'
        'contact_status_field = "cf_person_contact_stage"\n',
        encoding="utf-8",
    )
    with caplog.at_level("WARNING", logger="syncmonitor.app.config"):
        config, error = load_config_safely(path)
    assert error is None  # the rest of the file is used, not the last good copy
    assert config.mappings.lead_status_picklist == "Lead Stages"
    assert not hasattr(config.mappings, "lead_status_field")
    told = [r.getMessage() for r in caplog.records]
    assert any(
        "lead_status_field is no longer a setting" in m
        and "Field mappings page" in m
        and "LeadStatus" in m
        for m in told
    ), told
    assert any("contact_status_field" in m and "ContactStatus" in m for m in told), told

    # Saving Settings once removes them; the next load has nothing to say.
    save_settings(path, {"schedule": {"paused": True}})
    document = tomllib.loads(path.read_text(encoding="utf-8"))
    assert document["mappings"] == {"lead_status_picklist": "Lead Stages"}
    caplog.clear()
    with caplog.at_level("WARNING", logger="syncmonitor.app.config"):
        load_config_safely(path)
    assert not caplog.records


def test_other_unknown_mapping_keys_still_fail_the_file() -> None:
    with pytest.raises(ConfigError, match="Unknown key 'lead_status_fields'"):
        parse_config({"mappings": {"lead_status_fields": "x"}})
