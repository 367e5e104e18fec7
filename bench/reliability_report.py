"""The reliability report: run the fault, crash, hostile-input and secrets suites; summarise.

    .venv/bin/python bench/reliability_report.py            # writes docs/reliability-report.md
    .venv/bin/python bench/reliability_report.py --workers 2  # the same, on two processes

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
        "tests/integration/test_crash_safety_two_way.py",
        "tests/integration/test_two_instances.py",
    ],
    "Hostile input": ["tests/property"],
    "Hostile remotes and files": ["tests/hostile", "tests/gui/test_cache_faults_window.py"],
    "Secrets": [
        "tests/integration/test_secrets.py",
        "tests/integration/test_tls.py",
        "tests/unit/test_outreach_auth.py",
    ],
}


# review-reliability.md: each row that failed (or was a note worth acting on), and the tests
# that now decide it. A name without brackets covers all its parametrised cases.
REVIEW_ROWS: list[tuple[str, str, list[str]]] = [
    (
        "10, 92",
        "credentials inside a base URL",
        ["test_credentials_in_a_base_url_are_refused_never_used_never_shown"],
    ),
    (
        "11",
        "port out of range in a base URL",
        ["test_an_unusable_base_url_is_refused_at_load[port out of range]"],
    ),
    ("12", "NUL in a base URL", ["test_an_unusable_base_url_is_refused_at_load[NUL]"]),
    (
        "13 (note)",
        "?query#fragment in a base URL",
        ["test_an_unusable_base_url_is_refused_at_load[query and fragment]"],
    ),
    ("18", "config.toml with a UTF-8 BOM", ["test_a_config_with_a_utf8_byte_order_mark_is_read"]),
    (
        "19 (note)",
        "an unknown notification name in [notifications]",
        [
            "test_an_unknown_notification_name_is_refused_and_named",
            "test_the_known_notification_names_are_accepted",
        ],
    ),
    (
        "23",
        "--config on a FIFO or /dev/zero",
        ["test_config_on_a_fifo_or_a_device_is_refused_at_once"],
    ),
    (
        "24",
        "runs --limit 1e23",
        [
            "test_an_argument_that_cannot_be_represented_is_a_usage_message[1e23]",
            "test_an_argument_that_cannot_be_represented_is_a_usage_message[a 24-digit limit]",
        ],
    ),
    (
        "28",
        "people show with a 26-digit id",
        ["test_an_argument_that_cannot_be_represented_is_a_usage_message[26-digit id]"],
    ),
    (
        "29",
        "an undecodable byte in an argument",
        ["test_an_argument_that_cannot_be_represented_is_a_usage_message[undecodable byte]"],
    ),
    (
        "32 (note)",
        "a NUL inside an imported cell",
        ["test_a_nul_in_an_imported_cell_is_a_row_error_not_a_new_sequence"],
    ),
    (
        "33",
        "duplicated CSV header",
        [
            "test_a_duplicated_header_is_flagged",
            "test_a_hostile_mapping_file_ends_in_one_clear_message[duplicated header]",
        ],
    ),
    (
        "35",
        "ESC/BEL/RLO from imported text on a terminal",
        [
            "test_an_imported_escape_sequence_never_reaches_the_terminal",
            "test_terminal_safe_makes_every_steering_character_visible",
        ],
    ),
    (
        "37",
        "a 2 MB cell",
        [
            "test_a_two_megabyte_cell_is_one_clear_message",
            "test_a_hostile_mapping_file_ends_in_one_clear_message[a 2 MB cell]",
        ],
    ),
    (
        "38",
        "a header of 100,000 columns",
        ["test_a_header_of_100000_columns_is_read_or_refused_clearly"],
    ),
    (
        "41",
        "a big Salesmate export: memory and warnings",
        ["test_a_big_export_is_read_in_bounded_memory_with_its_problems_summarised"],
    ),
    (
        "42",
        "formula cells in a mapping export",
        [
            "test_mapping_export_never_writes_a_formula_and_reads_back_the_same",
            "test_spreadsheet_safe_escapes_formula_starts_and_reads_back_exactly",
        ],
    ),
    (
        "44 (note)",
        "a NUL inside a mapping's Outreach field name",
        ["test_a_nul_in_an_outreach_field_name_is_refused"],
    ),
    (
        "45",
        "JSON nested 100,000 deep",
        ["test_a_hostile_mapping_file_ends_in_one_clear_message[JSON 100,000 deep]"],
    ),
    (
        "46",
        "JSON with a 5,000-digit number",
        ["test_a_hostile_mapping_file_ends_in_one_clear_message[a 5,000-digit number]"],
    ),
    (
        "52 (wording)",
        "an HTML page with 200 OK",
        ["test_a_hostile_remote_ends_in_one_clear_error_within_bounds[html200]"],
    ),
    (
        "58",
        "a fresh links.next on every empty page",
        ["test_a_hostile_remote_ends_in_one_clear_error_within_bounds[next_loop]"],
    ),
    (
        "59",
        "a fresh links.next, one record a page, meta.count 1",
        ["test_a_hostile_remote_ends_in_one_clear_error_within_bounds[next_loop_data]"],
    ),
    (
        "60",
        "Retry-After: 999999999",
        ["test_extreme_rate_limit_headers_end_in_the_error_they_stand_for[Retry-After 31 years]"],
    ),
    (
        "61",
        "Retry-After: inf",
        ["test_extreme_rate_limit_headers_end_in_the_error_they_stand_for[Retry-After inf]"],
    ),
    (
        "62",
        "503 with Retry-After: 1e20",
        [
            "test_extreme_rate_limit_headers_end_in_the_error_they_stand_for"
            "[Retry-After 1e20 on a 503]"
        ],
    ),
    (
        "65",
        "X-RateLimit-Remaining: inf",
        ["test_extreme_rate_limit_headers_end_in_the_error_they_stand_for[Remaining inf]"],
    ),
    (
        "67",
        "Remaining 0 with X-RateLimit-Reset: 1e300",
        [
            "test_extreme_rate_limit_headers_end_in_the_error_they_stand_for"
            "[Remaining 0, Reset 1e300]"
        ],
    ),
    (
        "69",
        "a valid answer dripped one byte every 5 s",
        [
            "test_a_remote_that_drips_its_answer_ends_at_the_deadline_in_the_real_command",
            "test_the_deadline_bounds_one_exchange_in_the_client",
        ],
    ),
    (
        "70",
        "an endless body",
        [
            "test_a_hostile_remote_ends_in_one_clear_error_within_bounds[endless]",
            "test_a_declared_length_past_the_cap_is_refused_unread",
        ],
    ),
    (
        "71",
        "a gzip bomb",
        [
            "test_a_hostile_remote_ends_in_one_clear_error_within_bounds[gzip_bomb]",
            "test_a_gzip_bomb_is_refused_without_inflating_it_in_memory",
        ],
    ),
    (
        "79",
        "20 pages overwritten mid-cache",
        [
            "test_a_damaged_cache_is_told_as_damaged_by_every_command",
            "test_a_damaged_cache_names_the_copy_the_app_kept",
            "test_a_damaged_cache_in_the_window_is_not_an_unexpected_error",
            "test_a_damaged_cache_is_told_in_the_window",
        ],
    ),
    (
        "81",
        "the whole home read-only",
        ["test_a_read_only_home_still_answers_the_commands_that_read"],
    ),
    (
        "82",
        "only the data folder read-only",
        ["test_only_the_data_folder_read_only_is_not_called_corrupt"],
    ),
    (
        "83",
        "a full disk",
        [
            "test_a_full_disk_is_told_as_a_full_disk_and_what_was_kept_stays",
            "test_a_full_disk_during_a_run_is_shown_whole",
        ],
    ),
    (
        "84",
        "a run killed by SIGKILL, then runs/status",
        ["test_a_killed_run_is_shown_interrupted_by_every_command"],
    ),
    (
        "91 (note)",
        "-wal and -shm permissions",
        ["test_the_wal_and_shm_files_are_readable_by_the_user_only"],
    ),
]


# What the checklist cannot say by a test's outcome alone.
REVIEW_NOTES = {
    "10, 92": "Refused at load, before any request; row 8 (userinfo before a loopback host, "
    "accepted in the review) is now refused too: httpx would send it as Basic credentials.",
    "24": "--limit below 1 is still taken as 1 (row 25); past 1,000,000 it is a usage error.",
    "29": "A usage message (exit 2) rather than 'not found' (exit 3): the argument is not text.",
    "41": "The suite measures a 25 MB export; bench/salesmate_stream_bench.py measures 100 MB "
    "(bench/README.md: peak RSS and rows/s before and after). The import streams: counts, the "
    "first problems of each kind and a sample of rows are kept, repeats are found on disk, and "
    "rows are written in batches of 20,000, so memory does not grow with the rows.",
    "19 (note)": "Refused when the configuration is read, with the known names listed (a typo "
    "would otherwise switch nothing off); tests/unit/test_notification_names.py keeps the list "
    "and the engine's registry in step.",
    "32 (note)": "A row error (kind nul-character), so the damaged row never becomes a sequence; "
    "the import is all or nothing as for any error, or skips the row when asked.",
    "44 (note)": "Refused with the line and U+0000 named, in CSV and JSON mapping files.",
    "79": "In the window: the status bar shows the title and Details, a banner under the pages "
    "the whole message (checked at 1024 x 700: no label cut off).",
    "69": "The default deadline is twice the read timeout (60 s); a drip is not retried.",
    "70": "Answers are capped at 32 MB after decompression, gzip inflated within the cap.",
    "58": "An announced count allows twice its pages plus ten; 3 empty pages in a row that "
    "link on, or 20,000 pages, stop any read.",
}


def review_outcome(results: dict[str, AreaResult], names: list[str]) -> str:
    """PASS when every named test ran and passed, else what happened."""
    cases = [c for r in results.values() for c in r.cases]
    found: list[str] = []
    for name in names:
        matching = [
            o for n, o in cases if n == name or ("[" not in name and n.startswith(name + "["))
        ]
        if not matching:
            return f"not run ({name})"
        found += matching
    if all(o == "passed" for o in found):
        return f"PASS ({len(found)} test{'s' if len(found) != 1 else ''})"
    return ", ".join(sorted(set(found)))


@dataclass
class AreaResult:
    cases: list[tuple[str, str]] = field(default_factory=list)  # (test name, outcome)
    tests: int = 0
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)


def run_suites(
    paths: list[str], log: Path, junit: Path, timeout: int | None = None, workers: int = 1
) -> int:
    env = dict(os.environ, SYNCMONITOR_RELIABILITY_LOG=str(log), QT_QPA_PLATFORM="offscreen")
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        f"--junitxml={junit}",
        *(["-o", f"timeout={timeout}"] if timeout else []),
        # pytest-xdist, one file per worker as in CI; the facts are one appended line each
        *(["-n", str(workers), "--dist", "loadfile"] if workers > 1 else []),
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
    lines += [
        "",
        "## Review checklist (review-reliability.md)",
        "",
        "Each row that failed in the adversarial review, and the tests that now decide it.",
        "",
        "| Review row | What | Verdict now | Note |",
        "|---|---|---|---|",
    ]
    for rows, what, names in REVIEW_ROWS:
        verdict = review_outcome(results, names)
        lines.append(f"| {rows} | {what} | {verdict} | {REVIEW_NOTES.get(rows, '')} |")
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
    parser.add_argument(
        "--timeout",
        type=int,
        help="seconds one test may take (default: pytest's setting); a busy machine needs more",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="test processes (pytest-xdist, one file each at a time); default 1",
    )
    args = parser.parse_args(argv)
    suites = [s for area in AREAS.values() for s in area if (ROOT / s).exists()]
    with tempfile.TemporaryDirectory() as folder:
        log, junit = Path(folder) / "facts.jsonl", Path(folder) / "junit.xml"
        status = run_suites(suites, log, junit, args.timeout, args.workers)
        report = render(read_junit(junit), read_facts(log), status)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report, encoding="utf-8")
    print(report)
    print(f"written to {args.out}")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
