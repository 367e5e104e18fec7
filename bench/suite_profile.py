"""Where the test suite's CPU goes: each test's CPU, its own and its reaped children's, per file.

As a pytest plugin, beside the README's test command:

    SYNCMONITOR_SUITE_PROFILE=/tmp/suite-profile PYTHONPATH=bench \\
        .venv/bin/python -m pytest -n auto --dist loadfile -p suite_profile
    .venv/bin/python bench/suite_profile.py /tmp/suite-profile [--top 30]

Each worker writes `<worker>.json` into the folder: per test file, the CPU of the worker process
(`self`) and of the child processes it waited for during the file's tests (`children`: the
`syncmonitor` commands, sandboxes and builds the tests start), and the wall time. A child reaped
after its test (a session's sandbox) is counted nowhere; a crash-safety run killed by SIGKILL is
counted (it is reaped). Figures are CPU seconds on the machine as it was: take
bench/machine_speed.py before and after to compare two runs.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ENV = "SYNCMONITOR_SUITE_PROFILE"
_files: dict[str, dict[str, float]] = {}
_tests: list[tuple[str, float, float]] = []


def _cpu() -> tuple[float, float]:
    me = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, children.ru_utime + children.ru_stime


try:
    import pytest

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(item: Any, nextitem: Any) -> Iterator[None]:
        own, children = _cpu()
        started = time.perf_counter()
        yield
        own2, children2 = _cpu()
        wall = time.perf_counter() - started
        row = _files.setdefault(
            item.nodeid.split("::")[0], {"self": 0.0, "children": 0.0, "wall": 0.0, "tests": 0}
        )
        row["self"] += own2 - own
        row["children"] += children2 - children
        row["wall"] += wall
        row["tests"] += 1
        _tests.append((item.nodeid, own2 - own + children2 - children, wall))

    def pytest_sessionfinish(session: Any) -> None:
        folder = os.environ.get(ENV)
        if not folder or not _files:  # not asked, or xdist's controller (it runs no test)
            return
        Path(folder).mkdir(parents=True, exist_ok=True)
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        (Path(folder) / f"{worker}.json").write_text(
            json.dumps({"files": _files, "tests": _tests}), encoding="utf-8"
        )

except ImportError:  # the report below needs no pytest
    pass


def report(folder: Path, top: int) -> None:
    files: dict[str, dict[str, float]] = {}
    tests: list[tuple[str, float, float]] = []
    workers = []
    for path in sorted(folder.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        files.update(data["files"])
        tests += [tuple(t) for t in data["tests"]]
        busy = sum(f["wall"] for f in data["files"].values())
        cpu = sum(f["self"] + f["children"] for f in data["files"].values())
        workers.append(f"{path.stem}: {busy:.0f} s busy, {cpu:.0f} s CPU")
    own = sum(f["self"] for f in files.values())
    children = sum(f["children"] for f in files.values())
    print(
        f"{len(files)} files, {len(tests)} tests: {own:.0f} s CPU in the workers, "
        f"{children:.0f} s in their children"
    )
    print("; ".join(workers))
    print(f"\n{'CPU':>7} {'self':>6} {'child':>6} {'wall':>6} {'tests':>5}  file")
    ranked = sorted(files.items(), key=lambda kv: -(kv[1]["self"] + kv[1]["children"]))
    for name, f in ranked[:top]:
        print(
            f"{f['self'] + f['children']:7.1f} {f['self']:6.1f} {f['children']:6.1f} "
            f"{f['wall']:6.1f} {int(f['tests']):5d}  {name}"
        )
    print(f"\n{'CPU':>7} {'wall':>6}  test")
    for nodeid, cpu, wall in sorted(tests, key=lambda t: -t[1])[:top]:
        print(f"{cpu:7.1f} {wall:6.1f}  {nodeid}")


def main() -> None:
    parser = argparse.ArgumentParser(description="Report a suite profile (see the docstring).")
    parser.add_argument("folder", type=Path)
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    report(args.folder, args.top)


if __name__ == "__main__":
    main()
