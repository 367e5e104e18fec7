"""No command: the window (after checking there is a screen to show it on)."""

from __future__ import annotations

import os
import sys

from syncmonitor.app.errors import UserFacingError


class NoDisplayError(UserFacingError):
    """The window cannot be shown: no screen."""

    title = "Cannot open the window"


def check_display(environ: dict[str, str] | None = None) -> None:
    """On Linux, say what to do when there is no screen, instead of Qt's plugin abort."""
    env = os.environ if environ is None else environ
    if not sys.platform.startswith("linux"):
        return
    if env.get("DISPLAY") or env.get("WAYLAND_DISPLAY") or env.get("QT_QPA_PLATFORM"):
        return
    raise NoDisplayError(
        "There is no display to open the window on (neither DISPLAY nor WAYLAND_DISPLAY is set).",
        "Run it from a desktop session, or with `xvfb-run syncmonitor` on a server; the "
        "headless commands (`syncmonitor sync --once`, `status`, `people show`) need no display.",
    )
