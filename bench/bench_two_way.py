"""Two-way sync benchmark: a full two-way sync of N people against the sandbox, then runs with
no changes in between.

    python bench/bench_two_way.py [--people 100000] [--runs 3] [--out bench/results/two_way.json]

For each run: wall time, requests per service (and how many of them were writes), the share of
Outreach's 10,000 requests/hour budget the run used, and what the run read and wrote. The first
run links every person to their prospect (the sandbox world has each person in Outreach
already), sends the mapped names, creates Cancelled tasks / call and meeting activities and step
numbers; the next runs have nothing to do. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from syncmonitor.app.config import Config, OutreachSettings, WorkbooksSettings
from syncmonitor.domain.scope import ScopeFilter, to_json
from syncmonitor.engine.runs.lock import SyncLock
from syncmonitor.engine.runs.service import Remotes, SyncService
from syncmonitor.engine.two_way.outbound.setup import save_scope
from syncmonitor.sandbox.admin import AdminClient
from syncmonitor.sandbox.process import SandboxProcess
from syncmonitor.store.database import open_database

RESULTS = Path(__file__).with_name("results")
OUTREACH_BUDGET_PER_HOUR = 10_000


def counts(admin: AdminClient) -> dict[str, int]:
    raw: dict[str, int] = admin.stats()["requests"]
    return {
        k: raw.get(k, 0) for k in ("outreach", "outreach-writes", "workbooks", "workbooks-writes")
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=RESULTS / "two_way.json")
    args = parser.parse_args()

    print(f"Building a sandbox world of {args.people:,} people…", flush=True)
    started = time.perf_counter()
    sandbox = SandboxProcess(seed=1, people=args.people, tick=0)
    endpoints = sandbox.start(timeout=1800)
    print(f"  ready in {time.perf_counter() - started:.1f} s", flush=True)
    runs: list[dict[str, Any]] = []
    try:
        with tempfile.TemporaryDirectory() as folder, AdminClient(endpoints.admin_url) as admin:
            database = open_database(Path(folder) / "cache.sqlite3")
            save_scope(database.engine, to_json(ScopeFilter(mine=False)))  # everyone in scope
            config = Config(
                outreach=OutreachSettings(
                    base_url=endpoints.outreach_base_url, page_size=args.page_size
                ),
                workbooks=WorkbooksSettings(base_url=endpoints.workbooks_base_url),
            )
            remotes = Remotes(
                endpoints.outreach_base_url,
                endpoints.outreach_token,
                endpoints.workbooks_base_url,
                endpoints.workbooks_api_key,
            )
            service = SyncService(
                config,
                database,
                remotes,
                lock=SyncLock(Path(folder) / "sync.lock"),
                sandbox_mode=False,
            )
            for number in range(1, args.runs + 1):
                before = counts(admin)
                clock = time.perf_counter()
                result = asyncio.run(service.sync_once(trigger="forced"))
                wall = time.perf_counter() - clock
                after = counts(admin)
                spent = {k: after[k] - before[k] for k in after}
                run = {
                    "run": number,
                    "outcome": result.outcome.value,
                    "error": result.error_message,
                    "wall_s": round(wall, 2),
                    "requests": spent,
                    "outreach_budget_share": round(spent["outreach"] / OUTREACH_BUDGET_PER_HOUR, 4),
                    "read": result.records_read,
                    "written": result.records_written,
                }
                runs.append(run)
                print(
                    f"run {number}: {result.outcome.value} in {wall:.1f} s; Outreach "
                    f"{spent['outreach']:,} requests ({spent['outreach-writes']:,} writes, "
                    f"{run['outreach_budget_share']:.1%} of an hour's budget); Workbooks "
                    f"{spent['workbooks']:,} ({spent['workbooks-writes']:,} writes)",
                    flush=True,
                )
            database.close()
    finally:
        sandbox.stop()
    report = {
        "people": args.people,
        "machine": platform.platform(),
        "python": sys.version.split()[0],
        "runs": runs,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(f"Written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
