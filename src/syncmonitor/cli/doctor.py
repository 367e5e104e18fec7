"""`syncmonitor doctor`: one read-only request per resource each enabled feature needs."""

from __future__ import annotations

import argparse
from typing import Any

from syncmonitor.app.config import Config
from syncmonitor.app.paths import AppPaths
from syncmonitor.cli.connections import run_doctor


def add_parser(sub: Any) -> None:
    doctor = sub.add_parser(
        "doctor",
        help="check every connection: one read-only request per resource each enabled feature "
        "needs, each answered OK or with what is wrong and what to do; exit 0 or 1",
    )
    doctor.add_argument("--json", action="store_true", help="print as JSON")


def run(args: argparse.Namespace, config: Config, paths: AppPaths) -> int:
    return run_doctor(config, paths, as_json=args.json)
