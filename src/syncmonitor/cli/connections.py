"""The command line's connection commands: `doctor`, `sync --once --dry-run` (the plan), and
the exit codes of `sync --once` (documented in the README)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from syncmonitor.app.config import Config
from syncmonitor.app.paths import AppPaths
from syncmonitor.cli.exit_codes import EXIT_FAILED, EXIT_OK, EXIT_PARTLY_FAILED, EXIT_WRITES_HELD

__all__ = ["EXIT_FAILED", "EXIT_OK", "EXIT_PARTLY_FAILED", "EXIT_WRITES_HELD"]


def run_plan(config: Config, paths: AppPaths, *, as_json: bool, kind: str) -> int:
    """`sync --once --dry-run`: what a sync would write, written nowhere."""
    from syncmonitor.engine.bootstrap import start_services
    from syncmonitor.engine.runs.first_sync import plan_sync

    services = start_services(config, paths)
    try:
        plan = asyncio.run(plan_sync(services.service, kind))
    finally:
        services.close()
    if as_json:
        print(json.dumps(plan.to_json(), indent=2, default=str))
    else:
        print(f"A {kind} sync now would write (nothing has been written):")
        for line in plan.lines():
            print(f"  {line}")
        for job in plan.result.jobs:
            if job.outcome.value in ("failed", "skipped"):
                print(f"  Not worked out: {job.sentence()}")
    return EXIT_OK


def exit_code(result: Any) -> int:
    from syncmonitor.engine.runs.events import RunOutcome

    if result.ok:
        return EXIT_OK
    if result.outcome is RunOutcome.PARTLY_FAILED:
        return EXIT_PARTLY_FAILED
    return EXIT_FAILED


def run_doctor(config: Config, paths: AppPaths, *, as_json: bool) -> int:
    from syncmonitor.engine.bootstrap import start_services
    from syncmonitor.engine.connections.doctor import diagnose

    services = start_services(config, paths)
    try:
        found = asyncio.run(diagnose(config, services.service.remotes, services.salesmate))
    finally:
        services.close()
    if as_json:
        print(
            json.dumps({"ok": found.ok, "checks": [f.to_json() for f in found.findings]}, indent=2)
        )
    elif not found.findings:
        print(
            "Nothing to check: no remote is set up. Set one up in Settings > Connections, or in "
            "the configuration file."
        )
    else:
        for finding in found.findings:
            print(finding.line())
        problems = len(found.problems)
        print(
            "Every connection works."
            if found.ok
            else f"{problems} problem{'s' if problems != 1 else ''} found; each says what to do."
        )
    return EXIT_OK if found.ok else EXIT_FAILED
