"""`syncmonitor daemon`: the scheduler with no window, until SIGTERM or Ctrl+C."""

from __future__ import annotations

import argparse
from typing import Any

from syncmonitor.app.config import Config
from syncmonitor.app.errors import UserFacingError
from syncmonitor.app.paths import AppPaths


def add_parser(sub: Any) -> None:
    sub.add_parser(
        "daemon",
        help="run the scheduler with no window (for a machine without a desktop, or a team "
        "server); also watches the GatorMail queue; stops cleanly on SIGTERM or Ctrl+C",
        description="Run the scheduled syncs with no window until SIGTERM or Ctrl+C. When "
        "Workbooks and Spotler are configured it also reads the GatorMail mailshot queue at the "
        "[mailshots] busy and idle intervals, tells a blocked queue (and when it moves again) once "
        "in the log, and records each reading in the store, where desktops watching a team store "
        "see it. A failing queue read never stops a sync, nor a failing sync the queue.",
    )


def run(args: argparse.Namespace, config: Config, paths: AppPaths) -> int:
    from syncmonitor.engine.bootstrap import start_services
    from syncmonitor.engine.runs.daemon import run_daemon

    services = start_services(config, paths, role="server")
    try:
        database = services.database
        if database.shared:
            if not database.writable:
                raise UserFacingError(
                    f"The login in [cache] url may only watch the team store ({database.url}), "
                    "so this daemon cannot sync it.",
                    "Run the server daemon with the syncer role (docs/team-mode.md).",
                )
            # One syncer per team store: hold its lock for the daemon's whole life, so a second
            # daemon (on any machine) is refused at once with who holds it and since when.
            services.service.lock.acquire()
        return run_daemon(services.service, config)
    finally:
        services.service.lock.release()
        services.close()
