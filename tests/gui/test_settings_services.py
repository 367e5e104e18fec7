"""Every remote can be set up and tested from Settings: Outreach (token or OAuth app), Workbooks,
Spotler, Salesforce and Salesmate, addresses to the file, secrets to the keyring; Test asks the
connection doctor with what the form says, so a missing scope fails the Test, and the Test
connections tab shows one row per resource."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from gui_fakes import eventually
from pytestqt.qtbot import QtBot

from recording_sink import RecordingSink
from syncmonitor.app.config import Config
from syncmonitor.app.credentials import KEYRING_SERVICE
from syncmonitor.engine.runs.notify_policy import NotificationPolicy
from syncmonitor.sandbox.admin import AdminClient
from syncmonitor.sandbox.process import SandboxEndpoints, SandboxProcess
from syncmonitor.ui.autostart import Autostart
from syncmonitor.ui.settings.dialog import SettingsDialog


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxEndpoints]:
    process = SandboxProcess(seed=3, people=20, tick=0)
    try:
        yield process.start(timeout=60)
    finally:
        process.stop()


def make(qtbot: QtBot, tmp_path: Path) -> tuple[SettingsDialog, list[Config]]:
    policy = NotificationPolicy(RecordingSink().post)
    auto = Autostart("linux", home=tmp_path, environ={"XDG_CONFIG_HOME": str(tmp_path / "xdg")})
    dialog = SettingsDialog(Config(), tmp_path / "config.toml", policy, autostart=auto)
    qtbot.addWidget(dialog)
    saved: list[Config] = []
    dialog.saved.connect(saved.append)
    dialog.open()
    return dialog, saved


def fill(dialog: SettingsDialog, ep: SandboxEndpoints) -> None:
    r = dialog.remotes
    r["Outreach"].inputs["base_url"].setText(ep.outreach_base_url)
    r["Outreach"].inputs["outreach_token"].setText(ep.outreach_token)
    r["Workbooks"].inputs["base_url"].setText(ep.workbooks_base_url)
    r["Workbooks"].inputs["workbooks_api_key"].setText(ep.workbooks_api_key)
    r["Spotler"].inputs["base_url"].setText(ep.spotler_base_url)
    r["Spotler"].inputs["spotler_consumer_key"].setText(ep.spotler_consumer_key)
    r["Spotler"].inputs["spotler_consumer_secret"].setText(ep.spotler_consumer_secret)
    r["Salesforce"].inputs["base_url"].setText(ep.salesforce_base_url)
    r["Salesforce"].inputs["salesforce_token"].setText(ep.salesforce_token)
    r["Salesmate"].inputs["base_url"].setText(ep.salesmate_base_url)
    r["Salesmate"].inputs["linkname"].setText(ep.salesmate_linkname)
    r["Salesmate"].inputs["salesmate_token"].setText(ep.salesmate_token)


def test_all_five_services_save_addresses_to_the_file_and_secrets_to_the_keyring(
    qtbot: QtBot, tmp_path: Path, memory_keyring: keyring.backend.KeyringBackend
) -> None:
    dialog, saved = make(qtbot, tmp_path)
    assert list(dialog.remotes) == ["Outreach", "Workbooks", "Spotler", "Salesforce", "Salesmate"]
    r = dialog.remotes
    r["Outreach"].inputs["base_url"].setText("https://api.outreach.io/api/v2")
    r["Outreach"].inputs["outreach_token"].setText("tok-1")
    r["Spotler"].inputs["base_url"].setText("https://restapi.mailplus.nl/integrationservice-1.1.0")
    r["Spotler"].inputs["spotler_consumer_key"].setText("ck-2")
    r["Spotler"].inputs["spotler_consumer_secret"].setText("cs-3")
    r["Salesforce"].inputs["base_url"].setText("https://acme.my.salesforce.com")
    r["Salesforce"].inputs["salesforce_token"].setText("sf-4")
    r["Salesmate"].inputs["base_url"].setText("https://acme.salesmate.io")
    r["Salesmate"].inputs["linkname"].setText("acme.salesmate.io")
    r["Salesmate"].inputs["salesmate_token"].setText("sm-5")
    dialog.save()
    assert saved, dialog.error.text()
    data = tomllib.loads((tmp_path / "config.toml").read_text())
    assert data["spotler"]["base_url"].startswith("https://restapi.mailplus.nl")
    assert data["salesforce"]["base_url"] == "https://acme.my.salesforce.com"
    assert data["salesmate"] == {
        "base_url": "https://acme.salesmate.io",
        "linkname": "acme.salesmate.io",
    }
    for user, value in (
        ("outreach_token", "tok-1"),
        ("spotler_consumer_key", "ck-2"),
        ("spotler_consumer_secret", "cs-3"),
        ("salesforce_token", "sf-4"),
        ("salesmate_token", "sm-5"),
    ):
        assert memory_keyring.get_password(KEYRING_SERVICE, user) == value
    text = (tmp_path / "config.toml").read_text()
    assert not any(secret in text for secret in ("tok-1", "ck-2", "cs-3", "sf-4", "sm-5"))


def test_outreach_oauth_keeps_the_client_id_in_the_file_and_its_secrets_in_the_keyring(
    qtbot: QtBot, tmp_path: Path, memory_keyring: keyring.backend.KeyringBackend
) -> None:
    dialog, saved = make(qtbot, tmp_path)
    box = dialog.remotes["Outreach"]
    assert box.inputs["oauth_client_id"].isHidden()  # the token is the default
    assert box.mode is not None
    box.mode.setCurrentIndex(1)
    assert not box.inputs["oauth_client_id"].isHidden() and box.inputs["outreach_token"].isHidden()
    box.inputs["base_url"].setText("https://api.outreach.io/api/v2")
    box.inputs["oauth_client_id"].setText("client-abc")
    box.inputs["outreach_client_secret"].setText("secret-def")
    box.inputs["outreach_refresh_token"].setText("refresh-ghi")
    dialog.save()
    assert saved and saved[0].outreach.oauth_client_id == "client-abc"
    assert memory_keyring.get_password(KEYRING_SERVICE, "outreach_client_secret") == "secret-def"
    assert memory_keyring.get_password(KEYRING_SERVICE, "outreach_refresh_token") == "refresh-ghi"


@pytest.mark.asyncio
async def test_each_test_button_asks_the_doctor_and_a_missing_scope_fails_it(
    qtbot: QtBot,
    tmp_path: Path,
    memory_keyring: keyring.backend.KeyringBackend,
    sandbox: SandboxEndpoints,
) -> None:
    dialog, _ = make(qtbot, tmp_path)
    fill(dialog, sandbox)
    for box in dialog.remotes.values():
        box.test_button.click()
    await eventually(lambda: all(b.last_result is not None for b in dialog.remotes.values()))
    results = {name: box.last_result for name, box in dialog.remotes.items()}
    assert all(r is not None and r.ok for r in results.values()), {
        n: (r.title, r.message) for n, r in results.items() if r is not None
    }

    admin = AdminClient(sandbox.admin_url)
    admin.outreach_scopes(["calls.read"])
    try:
        outreach = dialog.remotes["Outreach"]
        outreach.last_result = None
        outreach.test_button.click()
        await eventually(lambda: outreach.last_result is not None)
    finally:
        admin.outreach_scopes([])
    assert outreach.last_result is not None and not outreach.last_result.ok
    assert "calls" in outreach.last_result.title and "calls.read" in outreach.result.text()


@pytest.mark.asyncio
async def test_the_test_connections_tab_has_one_row_per_resource(
    qtbot: QtBot,
    tmp_path: Path,
    memory_keyring: keyring.backend.KeyringBackend,
    sandbox: SandboxEndpoints,
) -> None:
    dialog, _ = make(qtbot, tmp_path)
    fill(dialog, sandbox)
    dialog.remotes["Workbooks"].inputs["base_url"].setText("http://127.0.0.1:9/")
    dialog.doctor.run_button.click()
    await eventually(lambda: dialog.doctor.last is not None)
    table = dialog.doctor.table
    rows = {
        (table.item(r, 0).text(), table.item(r, 2).text()): table.item(r, 3).text()
        for r in range(table.rowCount())
    }
    assert rows[("Outreach", "calls")] == "OK"
    assert rows[("Workbooks", "crm/people.api")] == "Unreachable"
    assert rows[("Spotler", "campaign/list")] == "OK"
    assert rows[("Salesmate", "contact search")] == "OK"
    assert "problem" in dialog.doctor.status.text()


@pytest.mark.asyncio
async def test_sign_in_with_outreach_opens_the_browser_and_keeps_the_sign_in(
    qtbot: QtBot,
    tmp_path: Path,
    memory_keyring: keyring.backend.KeyringBackend,
    sandbox: SandboxEndpoints,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import threading

    import httpx

    from syncmonitor.sandbox.outreach_oauth import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
    from syncmonitor.ui.settings import connections

    opened: list[str] = []

    def open_url(url: object) -> bool:  # the browser, approving at once
        opened.append(url.toString())  # type: ignore[attr-defined]
        threading.Thread(
            target=httpx.get, args=(opened[-1],), kwargs={"follow_redirects": True}
        ).start()
        return True

    monkeypatch.setattr(connections.QDesktopServices, "openUrl", open_url)
    monkeypatch.setattr(connections, "sign_in_in_browser", _on_any_port(connections))
    dialog, _ = make(qtbot, tmp_path)
    changed: list[bool] = []
    dialog.remotes_changed.connect(lambda: changed.append(True))
    box = dialog.remotes["Outreach"]
    assert box.mode is not None and box.sign_in_button is not None
    box.mode.setCurrentIndex(1)
    assert not box.sign_in_button.isHidden()
    box.inputs["base_url"].setText(sandbox.outreach_base_url)
    box.inputs["oauth_client_id"].setText(DEFAULT_CLIENT_ID)
    box.inputs["outreach_client_secret"].setText(DEFAULT_CLIENT_SECRET)
    box.sign_in_button.click()
    await eventually(lambda: box.sign_in_button is not None and box.sign_in_button.isEnabled(), 15)
    assert "Signed in to Outreach" in box.result.text(), box.result.text()
    assert "/oauth/authorize?" in opened[0] and "calls.read" in opened[0]
    assert memory_keyring.get_password(KEYRING_SERVICE, "outreach_refresh_token")
    assert changed


def _on_any_port(module: object) -> object:
    real = module.sign_in_in_browser  # type: ignore[attr-defined]

    async def sign_in(*args: object, **kwargs: object) -> None:
        await real(*args, port=0, **kwargs)

    return sign_in
