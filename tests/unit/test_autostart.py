"""Start at login: the entry each platform gets, written through fakes on any OS."""

from __future__ import annotations

import configparser
import plistlib
from pathlib import Path

from syncmonitor.ui.autostart import (
    LAUNCH_AGENT_LABEL,
    RUN_KEY,
    Autostart,
    launch_command,
)

COMMAND = ["C:\\Program Files\\Sync Monitor\\syncmonitor.exe", "--at-login"]


class FakeRegistry:
    def __init__(self) -> None:
        self.values: dict[tuple[str, str], str] = {}

    def get(self, key: str, name: str) -> str | None:
        return self.values.get((key, name))

    def set(self, key: str, name: str, value: str) -> None:
        self.values[(key, name)] = value

    def delete(self, key: str, name: str) -> None:
        self.values.pop((key, name), None)


def test_windows_writes_a_quoted_command_to_the_users_run_key() -> None:
    registry = FakeRegistry()
    auto = Autostart("win32", registry=registry)
    assert not auto.is_enabled()
    auto.enable(COMMAND)
    assert registry.values == {
        (RUN_KEY, "Sync Monitor"): '"C:\\Program Files\\Sync Monitor\\syncmonitor.exe" --at-login'
    }
    assert auto.is_enabled() and auto.location.startswith("HKEY_CURRENT_USER\\Software")
    auto.disable()
    assert registry.values == {} and not auto.is_enabled()


def test_macos_writes_a_launch_agent_that_runs_once_at_login(tmp_path: Path) -> None:
    auto = Autostart("darwin", home=tmp_path)
    auto.enable(["/Applications/Sync Monitor.app/Contents/MacOS/Sync Monitor", "--at-login"])
    path = tmp_path / "Library" / "LaunchAgents" / f"{LAUNCH_AGENT_LABEL}.plist"
    plist = plistlib.loads(path.read_bytes())
    assert plist["Label"] == LAUNCH_AGENT_LABEL
    assert plist["ProgramArguments"][-1] == "--at-login"
    assert plist["RunAtLoad"] is True and plist["KeepAlive"] is False
    auto.disable()
    assert not path.exists() and not auto.is_enabled()


def test_linux_writes_an_xdg_autostart_entry_in_xdg_config_home(tmp_path: Path) -> None:
    auto = Autostart("linux", home=tmp_path, environ={"XDG_CONFIG_HOME": str(tmp_path / "cfg")})
    auto.enable(["/opt/sync monitor/bin/python", "-m", "syncmonitor", "--at-login"])
    path = tmp_path / "cfg" / "autostart" / "syncmonitor.desktop"
    entry = configparser.ConfigParser(interpolation=None)
    entry.read_string(path.read_text())
    desktop = entry["Desktop Entry"]
    assert desktop["Type"] == "Application" and desktop["Name"] == "Sync Monitor"
    assert desktop["Exec"] == "'/opt/sync monitor/bin/python' -m syncmonitor --at-login"
    assert desktop["Terminal"] == "false"
    assert auto.is_enabled()
    auto.disable()
    assert not auto.is_enabled()


def test_without_xdg_config_home_the_entry_goes_to_dot_config(tmp_path: Path) -> None:
    auto = Autostart("linux", home=tmp_path, environ={})
    assert auto.location == str(tmp_path / ".config" / "autostart" / "syncmonitor.desktop")


def test_the_launch_command_starts_this_installation_in_the_tray() -> None:
    command = launch_command()
    assert command[-1] == "--at-login"
    assert command[:3][1:] == ["-m", "syncmonitor"] or len(command) == 2
