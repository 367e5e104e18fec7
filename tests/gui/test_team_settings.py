"""Settings says which store is in use: this computer's SQLite file or the team store."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from recording_sink import RecordingSink
from syncmonitor.app.config import parse_config
from syncmonitor.engine.runs.notify_policy import NotificationPolicy
from syncmonitor.ui.autostart import Autostart
from syncmonitor.ui.settings.dialog import SettingsDialog


def store_line(qtbot: QtBot, tmp_path: Path, data: dict) -> str:  # type: ignore[type-arg]
    config = parse_config(data)
    dialog = SettingsDialog(
        config,
        tmp_path / "config.toml",
        NotificationPolicy(RecordingSink().post),
        autostart=Autostart("linux", home=tmp_path, environ={"XDG_CONFIG_HOME": str(tmp_path)}),
    )
    qtbot.addWidget(dialog)
    label = dialog.findChild(QLabel, "storeInUse")
    assert label is not None
    return label.text()


def test_settings_names_the_sqlite_file_by_default(qtbot: QtBot, tmp_path: Path) -> None:
    assert store_line(qtbot, tmp_path, {}) == "Store: This computer's own cache file (SQLite)"


def test_settings_names_the_team_store(qtbot: QtBot, tmp_path: Path) -> None:
    url = "postgresql+psycopg://watcher@db.example.com:5432/syncmonitor"
    assert store_line(qtbot, tmp_path, {"cache": {"url": url}}) == (
        f"Store: Team store (PostgreSQL) {url}"
    )
