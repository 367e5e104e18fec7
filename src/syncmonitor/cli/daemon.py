"""`syncmonitor daemon`: the scheduler with no window, until SIGTERM or Ctrl+C."""

from __future__ import annotations

import argparse
from typing import Any

from syncmonitor.app.config import Config
from syncmonitor.app.paths import AppPaths


def add_parser(sub: Any) -> None:
    sub.add_parser(
        "daemon",
        help="run the scheduler with no window (for a machine without a desktop); "
        "stops cleanly on SIGTERM or Ctrl+C",
    )


def run(args: argparse.Namespace, config: Config, paths: AppPaths) -> int:
    from syncmonitor.engine.bootstrap import start_services
    from syncmonitor.engine.runs.daemon import run_daemon

    services = start_services(config, paths)
    try:
        return run_daemon(services.service, config)
    finally:
        services.close()
