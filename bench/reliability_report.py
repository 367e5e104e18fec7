"""The reliability report: run the fault, crash, hostile-input and secrets suites; summarise.

    .venv/bin/python bench/reliability_report.py            # writes docs/reliability-report.md

It runs pytest on the reliability suites with `SYNCMONITOR_RELIABILITY_LOG` set (the tests append
their numbers there: kills, runs, records compared, secrets found) and a JUnit XML file (every
test's outcome), then writes one Markdown table per area. Nothing in the table is typed in by
hand: a failing test shows as failed, a fact no test recorded is absent. Exit status is pytest's.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ElementTree
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

# Which suites make up each area of the report (paths relative to the repository).
AREAS: dict[str, list[str]] = {
    "Fault matrix": [
        "tests/integration/test_engine_faults.py",
        "tests/integration/test_paging_faults.py",
        "tests/integration/test_outreach_oauth_sandbox.py",
        "tests/integration/test_sandbox_faults.py",
        "tests/integration/test_timeouts.py",
        "tests/integration/test_connector_fault_matrix.py",
        "tests/integration/test_mailshot_monitor.py",
    ],
    "Crash safety": [
        "tests/integration/test_crash_safety.py",
        "tests/integration/test_two_instances.py",
    ],
    "Hostile input": ["tests/property"],
    "Secrets": [
        "tests/integration/test_secrets.py",
        "tests/integration/test_tls.py",
        "tests/unit/test_outreach_auth.py",
    ],
}


@dataclass
class AreaResult:
    cases: list[tuple[str, str]] = field(default_factory=list)  # (test name, outcome)
    tests: int = 0
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)


def run_suites(paths: list[str], log: Path, junit: Path) -> int:
    env = dict(os.environ, SYNCMONITOR_RELIABILITY_LOG=str(log), QT_QPA_PLATFORM="offscreen")
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        f"--junitxml={junit}",
        *paths,
    ]
    print("running:", " ".join(command), flush=True)
    return subprocess.run(command, cwd=ROOT, env=env, check=False).returncode


def module_areas() -> dict[str, str]:
    """Test module name -> report area (JUnit names a case by its module, not its path)."""
    areas: dict[str, str] = {}
    for area, suites in AREAS.items():
        for suite in suites:
            path = ROOT / suite
            files = sorted(path.glob("test_*.py")) if path.is_dir() else [path]
            for file in files:
                areas[file.stem] = area
    return areas


def read_junit(junit: Path) -> dict[str, AreaResult]:
    results: dict[str, AreaResult] = defaultdict(AreaResult)
    areas = module_areas()
    for case in ElementTree.parse(junit).getroot().iter("testcase"):
        parts = case.get("classname", "").split(".")
        area = next((areas[p] for p in parts if p in areas), None)
        if area is None:
            continue
        result = results[area]
        result.tests += 1
        result.seconds += float(case.get("time", 0) or 0)
        if case.find("failure") is not None or case.find("error") is not None:
            result.failed += 1
            result.failures.append(f"{case.get('classname')}::{case.get('name')}")
            outcome = "failed"
        elif case.find("skipped") is not None:
            result.skipped += 1
            outcome = "skipped"
        else:
            result.passed += 1
            outcome = "passed"
        result.cases.append((case.get("name", ""), outcome))
    return results


def read_facts(log: Path) -> list[dict[str, Any]]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line]


def render(results: dict[str, AreaResult], facts: list[dict[str, Any]], status: int) -> str:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Reliability report",
        "",
        f"Made by `bench/reliability_report.py` on {now} (pytest exit status {status}). "
        "Every number below comes from that run: outcomes from pytest's JUnit file, the rest "
        "recorded by the tests themselves.",
        "",
        "| Area | Tests | Passed | Failed | Skipped | Time (s) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for area in AREAS:
        r = results.get(area, AreaResult())
        lines.append(
            f"| {area} | {r.tests} | {r.passed} | {r.failed} | {r.skipped} | {r.seconds:.0f} |"
        )
    by_section: dict[str, list[dict[str, Any]]] = defaultdict(list)
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for fact in facts:  # a parametrised test records once per case: add its numbers up
        key = (fact["section"], fact["subject"])
        if key not in merged:
            merged[key] = dict(fact)
            by_section[fact["section"]].append(merged[key])
            continue
        for name, value in fact.items():
            old = merged[key].get(name)
            if isinstance(value, int) and not isinstance(value, bool) and isinstance(old, int):
                merged[key][name] = old + value
    for section, items in sorted(by_section.items()):
        lines += ["", f"## {section.capitalize()}", ""]
        keys = sorted({k for f in items for k in f} - {"section", "subject"})
        lines.append("| What was tried | " + " | ".join(k.replace("_", " ") for k in keys) + " |")
        lines.append("|---|" + "---:|" * len(keys))
        for fact in items:
            cells = [str(fact.get(k, "")) for k in keys]
            lines.append(f"| {fact['subject']} | " + " | ".join(cells) + " |")
    faults = results.get("Fault matrix")
    if faults is not None and faults.cases:
        lines += [
            "",
            "## Every fault tried",
            "",
            "| Test (fault in brackets) | Outcome |",
            "|---|---|",
        ]
        lines += [f"| `{name}` | {outcome} |" for name, outcome in faults.cases]
    failures = [f for r in results.values() for f in r.failures]
    if failures:
        lines += ["", "## Failed", ""] + [f"- `{f}`" for f in failures]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "reliability-report.md")
    args = parser.parse_args(argv)
    suites = [s for area in AREAS.values() for s in area if (ROOT / s).exists()]
    with tempfile.TemporaryDirectory() as folder:
        log, junit = Path(folder) / "facts.jsonl", Path(folder) / "junit.xml"
        status = run_suites(suites, log, junit)
        report = render(read_junit(junit), read_facts(log), status)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report, encoding="utf-8")
    print(report)
    print(f"written to {args.out}")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
