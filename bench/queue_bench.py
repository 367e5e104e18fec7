"""Queue page benchmark: 5,000 mailshots, time from a sandbox change to the row on screen, and the
requests the queue costs per hour idle and in flight.

    python bench/queue_bench.py [--mailshots 5000] [--changes 15] [--scale 10] [--window 60]

1. **Change to row.** The Queue page (real `QueuePage`, real `QueueMonitor`, default busy poll of
   5 s) watches a sandbox holding `--mailshots` synchronised mailshots while one big mailshot
   syncs (so the queue is in flight). Each change is a new mailshot queued through the sandbox;
   the clock runs from the moment the sandbox answered until the page's table holds the new row
   and the view has repainted. This includes the wait for the next poll (at most the busy
   interval), which is what a person sees. The processing part alone (poll start to repaint) is
   reported too.
2. **Requests per hour.** The poller runs with the real timer, once with nothing queued (idle)
   and once with mailshots in flight, for `--window` seconds each with every interval divided by
   `--scale` (so a 60 s window stands for 10 minutes of real time); requests counted by the
   connectors are converted back to an hour at the default intervals.

The reads are the documented ones (issue 15): Workbooks `email/integrated_mailshots` and mailing
list totals, the status values once (metadata and picklist), Spotler `GET /campaign/list` (the
whole list: it takes no parameters) and `GET /mailing?fromDate&toDate` while something waits, and
one probe each for the undocumented API key and integration reads (the sandbox answers 404, as
real accounts do). The result carries the numbers before that change for comparison.

Writes bench/results/queue-latest.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import httpx
import qasync
from PySide6.QtWidgets import QApplication

from syncmonitor.app.config import MailshotSettings
from syncmonitor.engine.bootstrap import CacheServices
from syncmonitor.engine.mailshots.monitor import QueueMonitor
from syncmonitor.engine.runs.service import Remotes
from syncmonitor.sandbox.process import SandboxProcess
from syncmonitor.store.database import open_database
from syncmonitor.ui.queue.page import QueuePage

RESULTS = Path(__file__).with_name("results")
KEEP: list[QueuePage] = []  # pages live until exit (see the end of main)
DEFAULT = MailshotSettings()


def remotes_of(sandbox: SandboxProcess) -> Remotes:
    ep = sandbox.endpoints
    assert ep is not None
    return Remotes(
        None,
        None,
        ep.workbooks_base_url,
        ep.workbooks_api_key,
        spotler_base_url=ep.spotler_base_url,
        spotler_consumer_key=ep.spotler_consumer_key,
        spotler_consumer_secret=ep.spotler_consumer_secret,
    )


async def until(condition: Any, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the page did not get there")
        await asyncio.sleep(0.002)


async def change_to_row(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    with SandboxProcess(seed=1, people=10, tick=0) as sandbox:
        assert sandbox.endpoints is not None
        admin = httpx.Client(base_url=sandbox.endpoints.admin_url, timeout=60)
        admin.put("/gatormail", json={"new_every": 0, "seconds_per_mailshot": 0.2})
        admin.post("/gatormail/mailshots", json={"count": args.mailshots, "status": "Synchronised"})
        # One huge audience keeps the queue in flight for the whole run.
        admin.put("/gatormail", json={"seconds_per_record": 0.01})
        admin.post("/gatormail/mailshots", json={"audience": 100_000})
        db = open_database(folder / "change.sqlite3")
        monitor = QueueMonitor(db, remotes_of(sandbox), settings=DEFAULT)
        page = QueuePage()
        page.resize(1400, 800)
        page.set_services(CacheServices(db))
        page.show()
        poller = page.attach(monitor)
        await until(lambda: page.model.rowCount() >= args.mailshots)
        first_load = poller.polls
        processing: list[float] = []
        poll_started: list[float] = []
        original_poll = monitor.poll_once

        async def timed_poll() -> Any:
            poll_started.append(time.perf_counter())
            return await original_poll()

        monitor.poll_once = timed_poll  # type: ignore[method-assign]
        latencies: list[float] = []
        phases = random.Random(7)
        for _ in range(args.changes):
            # A change comes at any moment between two polls, not just after one.
            await asyncio.sleep(phases.uniform(0, DEFAULT.busy_poll_seconds))
            created = admin.post("/gatormail/mailshots", json={"count": 1}).json()["ids"][0]
            changed_at = time.perf_counter()
            await until(lambda created=created: page.model.row_of(created) is not None)
            page.table.viewport().repaint()
            shown_at = time.perf_counter()
            latencies.append(shown_at - changed_at)
            processing.append(shown_at - max(t for t in poll_started if t <= shown_at))
        rows = page.model.rowCount()
        await poller.stop()
        KEEP.append(page)
        db.close()
    return {
        "mailshots_on_page": rows,
        "polls_for_first_load": first_load,
        "busy_poll_seconds": DEFAULT.busy_poll_seconds,
        "change_to_row_median_s": round(statistics.median(latencies), 3),
        "change_to_row_max_s": round(max(latencies), 3),
        "processing_median_ms": round(statistics.median(processing) * 1000, 1),
        "processing_max_ms": round(max(processing) * 1000, 1),
        "changes": len(latencies),
    }


async def requests_per_hour(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    scaled = MailshotSettings(
        busy_poll_seconds=DEFAULT.busy_poll_seconds / args.scale,
        idle_poll_seconds=DEFAULT.idle_poll_seconds / args.scale,
    )
    results: dict[str, Any] = {}
    for regime in ("idle", "in_flight"):
        with SandboxProcess(seed=2, people=10, tick=0) as sandbox:
            assert sandbox.endpoints is not None
            admin = httpx.Client(base_url=sandbox.endpoints.admin_url, timeout=60)
            admin.put("/gatormail", json={"new_every": 0, "seconds_per_mailshot": 0.05})
            await until(lambda admin=admin: not admin.get("/gatormail").json()["queue"])
            if regime == "in_flight":
                admin.put("/gatormail", json={"seconds_per_record": 0.01})
                admin.post("/gatormail/mailshots", json={"audience": 100_000})
                admin.post("/gatormail/mailshots", json={"count": 3})
            db = open_database(folder / f"{regime}.sqlite3")
            monitor = QueueMonitor(db, remotes_of(sandbox), settings=scaled)
            page = QueuePage()
            page.set_services(CacheServices(db))
            page.show()
            poller = page.attach(monitor)
            await until(lambda poller=poller: poller.polls >= 1)
            start_requests, start_polls = monitor.requests_made(), poller.polls
            started = time.monotonic()
            await asyncio.sleep(args.window)
            elapsed = time.monotonic() - started
            requests = monitor.requests_made() - start_requests
            polls = poller.polls - start_polls
            await poller.stop()
            KEEP.append(page)
            db.close()
        real_seconds = elapsed * args.scale
        results[regime] = {
            "requests_per_hour": round(requests * 3600 / real_seconds),
            "polls_per_hour": round(polls * 3600 / real_seconds),
            "requests_per_poll": round(requests / polls, 2) if polls else None,
            "measured_requests": requests,
            "measured_polls": polls,
            "window_s": round(elapsed, 1),
            "stands_for_s": round(real_seconds),
        }
    return results


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        latency = await change_to_row(args, Path(folder))
        requests = await requests_per_hour(args, Path(folder))
    return {
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
        "settings": {
            "busy_poll_seconds": DEFAULT.busy_poll_seconds,
            "idle_poll_seconds": DEFAULT.idle_poll_seconds,
            "scale": args.scale,
        },
        "change_to_row": latency,
        "requests": requests,
        # Measured the same way before the queue moved to documented reads (invented endpoints,
        # a paged campaign list with a fromDate, the key and switch read at the idle rate).
        "before": {
            "change_to_row_median_s": 3.8,
            "idle_requests_per_hour": 168,
            "in_flight_requests_per_hour": 1799,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mailshots", type=int, default=5000)
    parser.add_argument("--changes", type=int, default=15)
    parser.add_argument("--scale", type=float, default=10.0)
    parser.add_argument("--window", type=float, default=60.0)
    parser.add_argument("--out", type=Path, default=RESULTS / "queue-latest.json")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    app.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(app)
    with loop:
        result = loop.run_until_complete(main_async(args))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(json.dumps(result, indent=2), flush=True)
    # Everything is released already (sandboxes stopped, caches closed, the temporary folder
    # gone). Skip the interpreter's final collection of the pages' Qt wrappers, which crashes
    # PySide 6.12 once the event loop is closed.
    os._exit(0)


if __name__ == "__main__":
    main()
