"""Benchmark: importing a large Salesmate sequence enrolment export.

    .venv/bin/python bench/salesmate_import_bench.py [--rows 50000] [--people 10000] [--repeats 5]

Builds a cache with `--people` Outreach prospects (Core inserts, no sandbox), writes a
semicolon-separated Windows-1252 export of `--rows` rows over those people (day-first dates, a few
states per enrolment), then times, each `--repeats` times on a fresh copy of the cache:

1. read: decode, find the delimiter, split the rows, guess the columns (`load_export_bytes`);
2. check: every row validated and matched against the cache (`prepare`, no Salesmate API);
3. first import: the all-or-nothing write of every row (`write_import`);
4. re-import of the same file: every row already known, nothing new written.

Prints the medians and writes them to `bench/results/salesmate_import.json`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from syncmonitor.engine.salesmate.imports import load_export_bytes, prepare, write_import
from syncmonitor.store import bulk
from syncmonitor.store.database import open_database
from syncmonitor.store.schema import prospects

STATES = ["Active", "Pending", "Paused O3", "Active", "Finished (Replied)", "Unsubscribed"]


def build_cache(path: Path, people: int) -> None:
    db = open_database(path)
    sql = bulk.upsert_sql(
        prospects,
        ("provider", "id", "email", "name", "opted_out", "search_text"),
        ("provider", "id"),
    )
    rows = [
        (
            "outreach",
            i,
            f"person{i:06d}@example.com",
            f"Person {i}",
            False,
            f"person {i} person{i:06d}@example.com",
        )
        for i in range(1, people + 1)
    ]
    with db.engine.begin() as conn:
        bulk.executemany(conn, sql, rows)
    db.close()


def export_bytes(rows: int, people: int) -> bytes:
    lines = ["Contact Name;E-mail;Sequence Name;Status;Status Changed At"]
    for n in range(rows):
        person = 1 + (n * 7919) % people
        step = n // people
        day = 1 + (step * 3 + person) % 28
        lines.append(
            f"Person {person};person{person:06d}@example.com;Séquence {person % 12};"
            f"{STATES[step % len(STATES)]};{day:02d}/11/2026 {9 + step % 8:02d}:{n % 60:02d}"
        )
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def run_once(template: Path, path: Path, data: bytes) -> tuple[dict[str, float], int]:
    """One timed round on a fresh copy of the cache; the times and the new transitions."""
    shutil.copy(template, path)
    db = open_database(path)
    times: dict[str, float] = {}
    try:
        started = time.perf_counter()
        export = load_export_bytes(data, "bench.csv")
        times["read"] = time.perf_counter() - started
        started = time.perf_counter()
        preview = asyncio.run(prepare(db.engine, export, zone=UTC))
        times["check"] = time.perf_counter() - started
        assert not preview.checked.problems, preview.checked.problems[:3]
        started = time.perf_counter()
        first = write_import(db.engine, preview)
        times["first_import"] = time.perf_counter() - started
        started = time.perf_counter()
        again = write_import(db.engine, preview)
        times["reimport"] = time.perf_counter() - started
        assert again.counts.transitions == 0
    finally:
        db.close()
    return times, first.counts.transitions


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).parent / "results" / "salesmate_import.json"
    )
    args = parser.parse_args()

    data = export_bytes(args.rows, args.people)
    times: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        template = Path(folder) / "template.sqlite3"
        build_cache(template, args.people)
        for n in range(args.repeats):
            round_times, transitions = run_once(template, Path(folder) / f"run{n}.sqlite3", data)
            for name, value in round_times.items():
                times.setdefault(name, []).append(value)
    medians = {k: statistics.median(v) for k, v in times.items()}
    result = {
        "rows": args.rows,
        "people": args.people,
        "bytes": len(data),
        "repeats": args.repeats,
        "new_transitions": transitions,
        "median_seconds": medians,
        "rows_per_second_end_to_end": args.rows
        / (medians["read"] + medians["check"] + medians["first_import"]),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    size = len(data) / 1e6
    print(f"{args.rows:,} rows, {args.people:,} people, {size:.1f} MB; medians of {args.repeats}:")
    for name, value in medians.items():
        print(f"  {name:<13} {value * 1000:8.0f} ms")
    rate = result["rows_per_second_end_to_end"]
    print(f"  end to end    {rate:,.0f} rows/s (read + check + first import)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
