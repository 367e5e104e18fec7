"""`syncmonitor --self-test`: prove that this installation works, end to end, in under a minute.

Meant for installers and support: it uses nothing of the user's (a temporary home, the built-in
sandbox), and checks each layer a broken bundle tends to lose: Qt and its platform plugin, the
icons, the cache and its migrations, the sandbox child process, the connectors, one whole sync and
the People queries. Exit 0 when all pass, 1 with the failed step and its reason otherwise.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from syncmonitor import __version__


class SelfTestFailed(Exception):
    """A step failed; the message says which check and why."""


@dataclass
class Report:
    """What each step found, in order."""

    steps: list[tuple[str, bool, str]] = field(default_factory=list)

    def passed(self, name: str, detail: str) -> None:
        self.steps.append((name, True, detail))

    def failed(self, name: str, detail: str) -> None:
        self.steps.append((name, False, detail))

    @property
    def ok(self) -> bool:
        return bool(self.steps) and all(ok for _, ok, _ in self.steps)

    def lines(self) -> list[str]:
        return [f"{'ok  ' if ok else 'FAIL'} {name}: {detail}" for name, ok, detail in self.steps]


def _step(report: Report, name: str, check: Callable[[], str]) -> None:
    try:
        report.passed(name, check())
    except Exception as exc:  # every failure is reported, never a traceback to the user
        report.failed(name, f"{type(exc).__name__}: {exc}")
        raise SelfTestFailed(name) from exc


def _boot_qt() -> str:
    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    ):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication, QLabel

    from syncmonitor.ui.resources import icon

    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        app = existing
    else:
        app = QApplication(["syncmonitor-self-test"])
    label = QLabel("Sync Monitor self-test")
    label.resize(320, 40)
    if label.grab().isNull():
        raise SelfTestFailed("Qt could not paint a widget")
    if icon("app").isNull() or icon("tray-idle").isNull():
        raise SelfTestFailed("the app and tray icons are missing from this installation")
    platform = app.platformName()
    label.deleteLater()
    lost = none_references_lost(label.setObjectName)
    if lost:
        raise SelfTestFailed(
            f"PySide6 {__import__('PySide6').__version__} on Python {sys.version.split()[0]} "
            f"loses a reference to None on every Qt call ({lost} in {NONE_CHECK_CALLS}): the app "
            "would crash after a while. Install another PySide6 version (not 6.12.0 on 3.11)."
        )
    return f"Qt {__import__('PySide6').__version__}, platform {platform}, icons found"


NONE_CHECK_CALLS = 2000


def none_references_lost(void_call: Callable[[str], object], calls: int = NONE_CHECK_CALLS) -> int:
    """How many references to None `calls` calls of a Qt method returning nothing took away.

    0 on a sound binding. PySide6/shiboken6 6.12.0 returns None from such methods without a new
    reference: harmless where Python no longer counts references to None (3.12+), fatal on 3.11,
    where None is freed after a few thousand calls ("Fatal Python error: none_dealloc").
    """
    if sys.version_info >= (3, 12):
        return 0  # None is immortal: a lost reference cannot free it
    before = sys.getrefcount(None)
    for _ in range(calls):
        void_call("x")
    lost = before - sys.getrefcount(None)
    return lost if lost >= calls // 2 else 0  # other code moves the count a little


def run_self_test(
    *, people: int = 60, sandbox_faults: dict[str, Any] | None = None
) -> tuple[bool, list[str]]:
    """Run every check; returns (all passed, report lines). `sandbox_faults` is for tests."""
    from syncmonitor.app.config import Config, SandboxSettings
    from syncmonitor.app.paths import app_paths

    report = Report()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="syncmonitor-self-test-") as tmp:
        paths = app_paths({"SYNCMONITOR_HOME": tmp})
        config = Config(sandbox=SandboxSettings(people=people, tick_seconds=0))
        try:
            _step(report, "Qt", _boot_qt)
            services = _start(report, config, paths)
            try:
                if sandbox_faults and services.sandbox is not None:
                    from syncmonitor.sandbox.admin import AdminClient

                    assert services.sandbox.endpoints is not None
                    AdminClient(services.sandbox.endpoints.admin_url).set_faults(**sandbox_faults)
                _step(report, "sync", lambda: _sync(services))
                _step(report, "people", lambda: _people(services))
            finally:
                services.close()
        except SelfTestFailed:
            pass
    if report.ok:
        report.passed("time", f"{time.monotonic() - started:.1f} s")
    return report.ok, report.lines()


def _start(report: Report, config: Any, paths: Any) -> Any:
    from syncmonitor.engine.bootstrap import start_services

    holder: dict[str, Any] = {}

    def start() -> str:
        holder["services"] = start_services(config, paths)
        db = holder["services"].database
        where = db.path.name if db.path else db.url
        return f"cache created and migrated at {where}; sandbox started"

    _step(report, "cache and sandbox", start)
    return holder["services"]


def _sync(services: Any) -> str:
    result = asyncio.run(
        services.service.sync_once(trigger="self-test", cancel=None, progress=None)
    )
    if not result.ok:
        raise SelfTestFailed(f"{result.error_title}: {result.error_message}")
    states = result.records_read.get("sequence_states", 0)
    transitions = result.records_written.get("transitions", 0)
    if states == 0 or transitions != states:
        raise SelfTestFailed(f"read {states} states but recorded {transitions} transitions")
    return (
        f"{states} sequence states, {transitions} transitions, "
        f"{result.records_written.get('workbooks_people', 0)} Workbooks people updated"
    )


def _people(services: Any) -> str:
    people = services.people
    total = people.count()
    first = people.search("", None, 1)
    if not first:
        raise SelfTestFailed("the People list is empty after a sync")
    timeline = people.whole_history(((first[0].provider, first[0].prospect_id),))
    if not timeline:
        raise SelfTestFailed(f"{first[0].name} has no history after a sync")
    return f"{total} people; {first[0].name} has {len(timeline)} transitions"


def main() -> int:
    """The command: print each step, exit 0 when all pass."""
    print(f"Sync Monitor {__version__} self-test")
    ok, lines = run_self_test()
    for line in lines:
        print(line)
    print("Self-test passed." if ok else "Self-test FAILED: see the step marked FAIL above.")
    return 0 if ok else 1
