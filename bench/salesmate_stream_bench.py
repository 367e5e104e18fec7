"""Benchmark: a 100 MB Salesmate export imported from the command line, peak memory and speed.

    .venv/bin/python bench/salesmate_stream_bench.py [--megabytes 100] [--people 100000]
        [--dry-run] [--keep]

Generates (here, every run) a comma-separated UTF-8 export of `--megabytes` MB over `--people`
Outreach prospects: every row a distinct transition (a person's state in one of 12 sequences
at a distinct minute), one row in 50 repeated, one in 40 with a state Salesmate does not
document, one in 100 for a person Sync Monitor does not know. Builds a home whose cache holds the
prospects (Core inserts, no sandbox), then runs, as a person would,

    syncmonitor import salesmate FILE --no-salesmate --timezone UTC --skip-invalid-rows

in a child process, sampling its RSS every 50 ms. Prints and writes to
`bench/results/salesmate_stream.json`: the file's size and rows, the peak RSS, the wall time and
the CPU time (user + system) of the import, rows per second of each, the load average at the end
(a shared machine stretches wall time), the exit code and the number of lines printed.
`--dry-run` adds `--dry-run`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from syncmonitor.store import bulk
from syncmonitor.store.database import open_database
from syncmonitor.store.schema import prospects

STATES = ["Active", "Pending", "Paused O3", "Active", "Finished (Replied)", "Unsubscribed"]


def build_home(home: Path, people: int) -> None:
    data = home / "data"
    data.mkdir(parents=True, exist_ok=True)
    db = open_database(data / "cache.sqlite3")
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


def write_export(path: Path, megabytes: float, people: int) -> int:
    """The export; returns its data rows."""
    limit = int(megabytes * 1024 * 1024)
    n = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(
            "Contact Name,Contact Email,Sequence Name,Enrollment Status,Status Changed At\r\n"
        )
        previous = ""
        while out.tell() < limit:
            if n % 50 == 49:
                line = previous  # a repeated row
            else:
                person = 1 + n % people
                if n % 100 == 7:
                    person = people + 1 + n  # nobody Sync Monitor knows
                state = "Hibernating" if n % 40 == 3 else STATES[(n // people) % len(STATES)]
                minute = n // people
                line = (
                    f"Person {person},person{person:06d}@example.com,Sequence {n % 12},{state},"
                    f"2026-{1 + minute // 40000 % 12:02d}-{1 + minute // 1440 % 28:02d} "
                    f"{minute // 60 % 24:02d}:{minute % 60:02d}\r\n"
                )
            out.write(line)
            previous = line
            n += 1
    return n


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=float, default=100)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--dry-run", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the home and the file")
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).parent / "results" / "salesmate_stream.json"
    )
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="salesmate-stream-"))
    home, export = folder / "home", folder / "export.csv"
    build_home(home, args.people)
    rows = write_export(export, args.megabytes, args.people)
    size = export.stat().st_size
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNCMONITOR_")}
    env.update(SYNCMONITOR_HOME=str(home), PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    command = [sys.executable, "-m", "syncmonitor", "import", "salesmate", str(export)]
    command += ["--no-salesmate", "--timezone", "UTC", "--skip-invalid-rows"]
    command += ["--dry-run"] if args.dry_run else []
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    child = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    watched, peak = psutil.Process(child.pid), 0
    while child.poll() is None:
        with contextlib.suppress(psutil.Error):
            peak = max(peak, watched.memory_info().rss)
        time.sleep(0.05)
    stdout, stderr = child.communicate()
    seconds = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    result = {
        "megabytes": round(size / 1024 / 1024, 1),
        "rows": rows,
        "people": args.people,
        "dry_run": args.dry_run,
        "exit_code": child.returncode,
        "peak_rss_mb": round(peak / 1024 / 1024),
        "seconds": round(seconds, 1),
        "rows_per_second": round(rows / seconds),
        # CPU time (user + system) of the import: on a shared machine the wall time depends on
        # the other processes, this much less
        "cpu_seconds": round(cpu, 1),
        "rows_per_cpu_second": round(rows / cpu) if cpu else None,
        "load_average_1min": round(os.getloadavg()[0], 1),
        "lines_printed": len((stdout + stderr).splitlines()),
        "outcome": stdout.strip().splitlines()[-1:] or stderr.strip().splitlines()[-1:],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    if args.keep:
        print(f"kept: {folder}")
    else:
        export.unlink()
        for f in sorted(home.rglob("*"), reverse=True):
            f.rmdir() if f.is_dir() else f.unlink()
        home.rmdir()
        folder.rmdir()
    return 0 if child.returncode == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
