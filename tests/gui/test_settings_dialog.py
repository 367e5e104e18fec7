"""Settings round-trips with an in-memory keyring, bad input refused with the reason, no keyring."""

from __future__ import annotations

import tomllib
from pathlib import Path

import keyring
import pytest
from keyring.backends.fail import Keyring as FailKeyring
from pytestqt.qtbot import QtBot

from recording_sink import RecordingSink
from syncmonitor.app.config import Config
from syncmonitor.app.credentials import KEYRING_SERVICE
from syncmonitor.app.settings_store import load_config_safely
from syncmonitor.engine.connection_check import CheckResult
from syncmonitor.engine.runs.notify_policy import NotificationPolicy
from syncmonitor.ui.autostart import Autostart
from syncmonitor.ui.settings import dialog as module
from syncmonitor.ui.settings.dialog import SettingsDialog


def make(
    qtbot: QtBot, tmp_path: Path, config: Config | None = None
) -> tuple[SettingsDialog, list[Config]]:
    config = config or Config()
    policy = NotificationPolicy(RecordingSink().post, choices=config.notifications.choices())
    auto = Autostart("linux", home=tmp_path, environ={"XDG_CONFIG_HOME": str(tmp_path / "xdg")})
    dialog = SettingsDialog(
        config,
        tmp_path / "config.toml",
        policy,
        log_dir=tmp_path / "logs",
        autostart=auto,
    )
    qtbot.addWidget(dialog)
    saved: list[Config] = []
    dialog.saved.connect(saved.append)
    dialog.open()
    return dialog, saved


def test_settings_round_trip_secrets_to_the_keyring_and_the_rest_to_the_file(
    qtbot: QtBot, tmp_path: Path, memory_keyring: keyring.backend.KeyringBackend
) -> None:
    dialog, saved = make(qtbot, tmp_path)
    assert not dialog.keyring_warning.isVisible()
    dialog.outreach.url.setText("https://api.outreach.io/api/v2")
    dialog.outreach.token.setText("tok-SECRET-1")
    dialog.workbooks.url.setText("https://secure.workbooks.com/")
    dialog.workbooks.token.setText("key-SECRET-2")
    dialog.inbound.setValue(60)
    dialog.full.setValue(45)
    dialog.toggles["people.opted_out"].setChecked(False)
    dialog.start_at_login.setChecked(True)
    dialog.buttons.button(dialog.buttons.StandardButton.Save).click()

    assert saved and not dialog.isVisible()
    text = (tmp_path / "config.toml").read_text()
    assert "SECRET" not in text, "secrets never go to the config file"
    data = tomllib.loads(text)
    assert data["outreach"]["base_url"] == "https://api.outreach.io/api/v2"
    assert data["schedule"] == {"inbound_minutes": 60, "full_minutes": 45}
    assert data["notifications"]["off"] == ["people.opted_out"]
    assert memory_keyring.get_password(KEYRING_SERVICE, "outreach_token") == "tok-SECRET-1"
    assert memory_keyring.get_password(KEYRING_SERVICE, "workbooks_api_key") == "key-SECRET-2"
    assert (tmp_path / "xdg" / "autostart" / "syncmonitor.desktop").exists()

    config, error = load_config_safely(tmp_path / "config.toml")
    assert error is None and config.schedule.full_minutes == 45
    again, _ = make(qtbot, tmp_path, config)
    assert again.outreach.url.text() == "https://api.outreach.io/api/v2"
    assert again.outreach.token.text() == ""  # never shown back
    assert again.outreach.token.placeholderText() == "Saved (type to replace)"
    assert again.full.value() == 45 and again.inbound.value() == 60
    assert again.start_at_login.isChecked()
    assert not again.toggles["people.opted_out"].isChecked()
    assert not again.toggles["sync.failed"].isEnabled()  # errors cannot be switched off


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("url", "outreach.io/api", "not a web address"),
        ("url", "http://api.outreach.io/api/v2", "plain http:// to api.outreach.io"),
        ("inbound", 5, "The inbound interval is 5 min, outside 15 to 1440 min"),
        ("full", 2000, "The full sync interval is 2000 min, outside 30 to 1440 min"),
    ],
)
def test_bad_input_is_refused_with_the_reason_and_nothing_is_written(
    qtbot: QtBot, tmp_path: Path, field: str, value: object, says: str
) -> None:
    dialog, saved = make(qtbot, tmp_path)
    if field == "url":
        dialog.outreach.url.setText(str(value))
    else:
        getattr(dialog, field).setValue(value)
    dialog.save()
    assert not saved and dialog.isVisible()
    assert dialog.error.isVisible() and says in dialog.error.text()
    assert not (tmp_path / "config.toml").exists()


def test_loopback_http_is_accepted_for_local_testing(qtbot: QtBot, tmp_path: Path) -> None:
    dialog, saved = make(qtbot, tmp_path)
    dialog.outreach.url.setText("http://127.0.0.1:8080/api/v2")
    dialog.save()
    assert saved and saved[0].outreach.base_url == "http://127.0.0.1:8080/api/v2"


def test_without_a_keyring_it_warns_and_never_writes_a_secret_anywhere(
    qtbot: QtBot, tmp_path: Path
) -> None:
    keyring.set_keyring(FailKeyring())
    dialog, saved = make(qtbot, tmp_path)
    assert dialog.keyring_warning.isVisibleTo(dialog)
    assert "never keeps them in a plain file" in dialog.keyring_warning.text()
    assert not dialog.outreach.token.isEnabled()
    dialog.outreach.url.setText("https://api.outreach.io/api/v2")
    dialog.save()  # the address still saves; no secret is asked for or stored
    assert saved
    assert all("tok" not in p.read_text() for p in tmp_path.glob("*.toml"))


@pytest.mark.asyncio
async def test_test_connection_reports_exactly_what_failed(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[tuple[str, str]] = []

    async def refuse(values: dict[str, str]) -> CheckResult:
        asked.append((values["base_url"], values["outreach_token"]))
        return CheckResult(False, "Outreach refused the access token", "It is wrong or expired.")

    dialog, _ = make(qtbot, tmp_path)
    dialog.outreach._check = refuse
    dialog.outreach.url.setText("https://api.outreach.io/api/v2")
    dialog.outreach.token.setText("typed-token")
    dialog.outreach.test_button.click()
    assert dialog.outreach.result.text() == "Testing…"
    assert not dialog.outreach.test_button.isEnabled()
    await qtbot_wait(lambda: dialog.outreach.test_button.isEnabled())
    assert asked == [("https://api.outreach.io/api/v2", "typed-token")]
    assert "Outreach refused the access token" in dialog.outreach.result.text()
    assert "It is wrong or expired." in dialog.outreach.result.text()
    assert module.NO_KEYRING  # the warning text exists for the no-keyring case


async def qtbot_wait(condition: object) -> None:
    from gui_fakes import eventually

    await eventually(condition)  # type: ignore[arg-type]


def test_a_configured_salesforce_says_how_long_its_token_lasts(
    qtbot: QtBot, tmp_path: Path
) -> None:
    from dataclasses import replace

    from syncmonitor.app.config import SalesforceSettings

    config = replace(Config(), salesforce=SalesforceSettings(base_url="https://acme.my.sf.test"))
    dialog, _ = make(qtbot, tmp_path, config)
    text = dialog.salesforce_note.text()
    assert "two hours by default" in text and "does not renew it" in text
    # Salesforce can be set up from Settings now, so the note is there before it is too.
    plain, _ = make(qtbot, tmp_path / "plain")
    assert "two hours by default" in plain.salesforce_note.text()
