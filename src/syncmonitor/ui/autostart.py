"""Start at login: the Windows Run key, a macOS LaunchAgent, or an XDG autostart entry on Linux.

Each platform's entry is generated from one command line. The registry and the folders are
injectable, so the content of every entry is tested on any OS (tests use a fake registry).
"""

from __future__ import annotations

import os
import plistlib
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Protocol

from syncmonitor import APP_ID, APP_NAME
from syncmonitor.app.errors import UserFacingError

RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"
LAUNCH_AGENT_LABEL = f"com.syncmonitor.{APP_ID}"
AT_LOGIN_FLAG = "--at-login"  # the app starts in the tray instead of opening its window


class AutostartError(UserFacingError):
    """Start at login could not be switched."""

    title = "Start at login could not be changed"


def launch_command() -> list[str]:
    """How to start this installation: the frozen executable, or this Python with -m."""
    if getattr(sys, "frozen", False):
        return [sys.executable, AT_LOGIN_FLAG]
    return [sys.executable, "-m", "syncmonitor", AT_LOGIN_FLAG]


class Registry(Protocol):
    """The few winreg calls the Run key needs, under HKEY_CURRENT_USER."""

    def get(self, key: str, name: str) -> str | None: ...

    def set(self, key: str, name: str, value: str) -> None: ...

    def delete(self, key: str, name: str) -> None: ...


class WinRegistry:  # pragma: no cover - exercised on Windows CI only
    """HKEY_CURRENT_USER through winreg."""

    def get(self, key: str, name: str) -> str | None:
        if sys.platform != "win32":  # mypy checks the rest against winreg's stubs on Windows
            raise OSError("The Windows registry exists only on Windows.")
        import winreg

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, key) as handle:
                value, _kind = winreg.QueryValueEx(handle, name)
                return str(value)
        except FileNotFoundError:
            return None

    def set(self, key: str, name: str, value: str) -> None:
        if sys.platform != "win32":  # mypy checks the rest against winreg's stubs on Windows
            raise OSError("The Windows registry exists only on Windows.")
        import winreg

        with winreg.CreateKey(winreg.HKEY_CURRENT_USER, key) as handle:
            winreg.SetValueEx(handle, name, 0, winreg.REG_SZ, value)

    def delete(self, key: str, name: str) -> None:
        if sys.platform != "win32":  # mypy checks the rest against winreg's stubs on Windows
            raise OSError("The Windows registry exists only on Windows.")
        import winreg

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, key, 0, winreg.KEY_SET_VALUE) as h:
                winreg.DeleteValue(h, name)
        except FileNotFoundError:
            pass


def windows_command_line(command: list[str]) -> str:
    """The Run key's value: one command line with Windows quoting."""
    return subprocess.list2cmdline(command)


def launch_agent_plist(command: list[str]) -> bytes:
    """A LaunchAgent that starts the app once at login (not kept alive: Quit means quit)."""
    return plistlib.dumps(
        {
            "Label": LAUNCH_AGENT_LABEL,
            "ProgramArguments": command,
            "RunAtLoad": True,
            "KeepAlive": False,
            "ProcessType": "Interactive",
        }
    )


def xdg_desktop_entry(command: list[str]) -> str:
    """An XDG autostart .desktop entry (freedesktop.org Desktop Entry spec)."""
    # Exec uses its own quoting: quote arguments with spaces, double any percent sign.
    exec_line = " ".join(shlex.quote(part).replace("%", "%%") for part in command)
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        f"Name={APP_NAME}\n"
        "Comment=See every sync between Workbooks, Outreach and friends\n"
        f"Exec={exec_line}\n"
        f"Icon={APP_ID}\n"
        "Terminal=false\n"
        "X-GNOME-Autostart-enabled=true\n"
    )


class Autostart:
    """Switches start at login on and off for the current user on this platform."""

    def __init__(
        self,
        platform: str | None = None,
        *,
        home: Path | None = None,
        registry: Registry | None = None,
        environ: dict[str, str] | None = None,
    ) -> None:
        self.platform = platform or sys.platform
        self.home = home or Path.home()
        self.registry = registry
        self.environ = dict(os.environ if environ is None else environ)

    @property
    def location(self) -> str:
        """Where the entry lives, for Settings' tooltip."""
        if self.platform == "win32":
            return f"HKEY_CURRENT_USER\\{RUN_KEY}\\{APP_NAME}"
        return str(self._file())

    def _file(self) -> Path:
        if self.platform == "darwin":
            return self.home / "Library" / "LaunchAgents" / f"{LAUNCH_AGENT_LABEL}.plist"
        config = self.environ.get("XDG_CONFIG_HOME") or str(self.home / ".config")
        return Path(config) / "autostart" / f"{APP_ID}.desktop"

    def _registry(self) -> Registry:
        return self.registry if self.registry is not None else WinRegistry()

    def is_enabled(self) -> bool:
        if self.platform == "win32":
            return self._registry().get(RUN_KEY, APP_NAME) is not None
        return self._file().exists()

    def enable(self, command: list[str] | None = None) -> None:
        command = command or launch_command()
        try:
            if self.platform == "win32":
                self._registry().set(RUN_KEY, APP_NAME, windows_command_line(command))
                return
            path = self._file()
            path.parent.mkdir(parents=True, exist_ok=True)
            if self.platform == "darwin":
                path.write_bytes(launch_agent_plist(command))
            else:
                path.write_text(xdg_desktop_entry(command), encoding="utf-8")
        except OSError as exc:
            raise AutostartError(
                f"Could not write {self.location}: {exc.strerror or exc}.",
                "Check that the folder is writable by you, then try again.",
            ) from exc

    def disable(self) -> None:
        try:
            if self.platform == "win32":
                self._registry().delete(RUN_KEY, APP_NAME)
            else:
                self._file().unlink(missing_ok=True)
        except OSError as exc:
            raise AutostartError(
                f"Could not remove {self.location}: {exc.strerror or exc}.",
                "Remove it by hand, or check its permissions.",
            ) from exc
