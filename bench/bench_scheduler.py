"""Sync Monitor benchmark for the scheduler, the tray app and Sync now.

    python bench/bench_scheduler.py [--idle-seconds 60] [--hours 24] [--clicks 30]

1. Idle CPU: the real app (`python -m syncmonitor`, sandbox mode, offscreen) after its first sync,
   measured over `--idle-seconds` from the app process's own CPU time (the sandbox child excluded).
2. Memory over a simulated day: the scheduler on a fake clock drives a real SyncService against a
   real sandbox with live changes, at the shortest intervals Settings allows (inbound 15 min,
   full 30 min), for `--hours`; RSS after the first run and after the last, and the trend.
3. Sync now to first request: in the GUI process, the time from triggering the window's Sync now
   to the first request reaching a local Outreach stand-in (median over `--clicks`).

Results are printed and written to bench/results/scheduler.json. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import psutil

RESULTS = Path(__file__).with_name("results")
SRC = Path(__file__).resolve().parents[1] / "src"


# 1. Idle CPU ------------------------------------------------------------------------------------


def idle_cpu(seconds: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "SYNCMONITOR_HOME": home, "QT_QPA_PLATFORM": "offscreen"}
        env["PYTHONPATH"] = os.pathsep.join([str(SRC), env.get("PYTHONPATH", "")])
        app = subprocess.Popen(
            [sys.executable, "-m", "syncmonitor"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            database = Path(home) / "data" / "cache.sqlite3"
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline and not _first_run_done(database):
                time.sleep(0.5)
            if not _first_run_done(database):
                raise RuntimeError("the app's first sync did not finish in 3 minutes")
            time.sleep(5)  # let the pages finish their post-sync reads
            process = psutil.Process(app.pid)
            before = process.cpu_times()
            switches_before = sum(process.num_ctx_switches())
            rss_before = process.memory_info().rss
            started = time.monotonic()
            time.sleep(seconds)
            after = process.cpu_times()
            wakeups = sum(process.num_ctx_switches()) - switches_before
            elapsed = time.monotonic() - started
            used = (after.user - before.user) + (after.system - before.system)
            return {
                "seconds": round(elapsed, 1),
                "cpu_seconds": round(used, 3),
                "cpu_percent_of_one_core": round(100 * used / elapsed, 3),
                "target_percent": 1.0,
                "cpu_time_resolution_s": 0.01,  # clock ticks: less than this reads as 0
                "context_switches": wakeups,
                "rss_mb": round(rss_before / 2**20, 1),
                "threads": process.num_threads(),
                "note": "offscreen: no system tray, the tray object and its 30 s tooltip timer "
                "still run",
            }
        finally:
            app.terminate()
            try:
                app.wait(30)
            except subprocess.TimeoutExpired:
                app.kill()


def _first_run_done(database: Path) -> bool:
    if not database.exists():
        return False
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=1) as conn:
            row = conn.execute(
                "SELECT count(*) FROM sync_runs WHERE outcome != 'running'"
            ).fetchone()
            return bool(row and row[0])
    except sqlite3.Error:
        return False


# 2. Memory over a simulated day -----------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        from syncmonitor.domain.timestamps import utc_now

        self.wall = utc_now()
        self.mono = 0.0

    def now(self) -> Any:
        return self.wall

    def monotonic(self) -> float:
        return self.mono

    def advance(self, seconds: float) -> None:
        self.wall += timedelta(seconds=seconds)
        self.mono += seconds


async def simulated_day(hours: float, people: int) -> dict[str, Any]:
    from syncmonitor.app.config import Config, OutreachSettings, WorkbooksSettings
    from syncmonitor.engine.runs.kinds import SyncKind
    from syncmonitor.engine.runs.lock import SyncLock
    from syncmonitor.engine.runs.notify_policy import NotificationPolicy
    from syncmonitor.engine.runs.scheduler import ALL_RECORDS, Listener, Scheduler
    from syncmonitor.engine.runs.service import Remotes, SyncService
    from syncmonitor.sandbox.admin import AdminClient
    from syncmonitor.sandbox.process import SandboxProcess
    from syncmonitor.store.database import open_database

    me = psutil.Process()
    with (
        tempfile.TemporaryDirectory() as folder,
        SandboxProcess(seed=3, people=people, tick=0) as sandbox,
    ):
        ep = sandbox.endpoints
        assert ep is not None
        admin = AdminClient(ep.admin_url)
        database = open_database(Path(folder) / "cache.sqlite3")
        config = Config(
            outreach=OutreachSettings(base_url=ep.outreach_base_url),
            workbooks=WorkbooksSettings(base_url=ep.workbooks_base_url),
        )
        told: list[str] = []
        policy = NotificationPolicy(lambda n: told.append(n.title))
        service = SyncService(
            config,
            database,
            Remotes(
                ep.outreach_base_url, ep.outreach_token, ep.workbooks_base_url, ep.workbooks_api_key
            ),
            lock=SyncLock(Path(folder) / "sync.lock"),
            sandbox_mode=False,
            notices=policy,
        )
        clock = FakeClock()
        samples: list[tuple[int, float]] = []
        kinds: list[str] = []

        def finished(request: Any, result: Any) -> None:
            policy.end_batch()
            kinds.append(f"{request.target.kind.value}:{result.outcome.value}")
            samples.append((len(kinds), me.memory_info().rss / 2**20))

        scheduler = Scheduler(
            {SyncKind.INBOUND: timedelta(minutes=15), SyncKind.FULL: timedelta(minutes=30)},
            clock=clock,
            listener=Listener(started=lambda _r: policy.begin_batch(), finished=finished),
        )

        async def run(request: Any, progress: Any, cancel: Any) -> Any:
            return await service.sync_once(
                trigger=request.trigger.value, cancel=cancel, kind=request.target.kind
            )

        scheduler.register(ALL_RECORDS, run)
        scheduler.start({})
        steps = int(hours * 3600 / 30)
        started = time.perf_counter()
        for step in range(steps):
            if step % 20 == 0:
                await asyncio.to_thread(admin.tick, 25)  # ten minutes of live changes
            clock.advance(30)
            scheduler.poll()
            while scheduler.running is not None:
                await asyncio.sleep(0.005)
        wall = time.perf_counter() - started
        gc.collect()
        end_after_gc = me.memory_info().rss / 2**20
        await scheduler.stop()
        admin.close()
        database.close()
    first = samples[0][1]
    tail = [rss for _i, rss in samples[len(samples) // 2 :]]
    slope = _slope(samples[len(samples) // 2 :])
    return {
        "simulated_hours": hours,
        "runs": len(kinds),
        "runs_failed": sum(1 for k in kinds if not k.endswith("succeeded")),
        "runs_by_kind": {k: sum(1 for x in kinds if x.startswith(k)) for k in ("inbound", "full")},
        "people": people,
        "wall_seconds": round(wall, 1),
        "rss_mb_after_first_run": round(first, 1),
        "rss_mb_after_last_run": round(samples[-1][1], 1),
        "rss_mb_end_after_gc": round(end_after_gc, 1),
        "rss_mb_second_half_min_max": [round(min(tail), 1), round(max(tail), 1)],
        "rss_kb_per_run_second_half": round(slope * 1024, 2),
        "notifications_told": len(told),
    }


def _slope(points: list[tuple[int, float]]) -> float:
    if len(points) < 2:
        return 0.0
    xs = [float(x) for x, _ in points]
    ys = [y for _, y in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den if den else 0.0


# 3. Sync now to the first request ---------------------------------------------------------------


class _StandIn(BaseHTTPRequestHandler):
    """Answers every request 401 at once and notes when it arrived."""

    arrivals: ClassVar[list[float]] = []

    def do_GET(self) -> None:
        type(self).arrivals.append(time.perf_counter())
        body = b'{"errors":[{"id":"unauthorizedRequest","title":"Unauthorized Request"}]}'
        self.send_response(401)
        self.send_header("Content-Type", "application/vnd.api+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def click_to_request(clicks: int) -> dict[str, Any]:
    import qasync

    from syncmonitor.app.config import Config, OutreachSettings
    from syncmonitor.engine.bootstrap import Services
    from syncmonitor.engine.runs.lock import SyncLock
    from syncmonitor.engine.runs.service import Remotes, SyncService
    from syncmonitor.store.database import open_database
    from syncmonitor.ui.app import SyncMonitorApp, make_application
    from syncmonitor.ui.notifier import RecordingNotifier
    from syncmonitor.ui.sync_controller import Phase

    server = ThreadingHTTPServer(("127.0.0.1", 0), _StandIn)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/api/v2"
    app = make_application()
    delays: list[float] = []
    with tempfile.TemporaryDirectory() as folder:
        database = open_database(Path(folder) / "cache.sqlite3")
        config = Config(outreach=OutreachSettings(base_url=base))
        service = SyncService(
            config,
            database,
            Remotes(base, "token", None, None),
            lock=SyncLock(Path(folder) / "sync.lock"),
            sandbox_mode=False,
        )
        services = Services(service, database)

        async def measure() -> None:
            gui = SyncMonitorApp(
                config, lambda: services, use_tray=False, notifier=RecordingNotifier()
            )
            gui.start()
            while gui.controller.phase is not Phase.IDLE or gui.controller.running:
                await asyncio.sleep(0.05)
            for _ in range(clicks + 1):  # the first click warms up; it is not counted
                seen = len(_StandIn.arrivals)
                await asyncio.sleep(0.2)  # idle between clicks, as a person would be
                clicked = time.perf_counter()
                gui.window.sync_action.trigger()
                while len(_StandIn.arrivals) == seen:
                    await asyncio.sleep(0.0005)
                delays.append(_StandIn.arrivals[seen] - clicked)
                while gui.controller.running:
                    await asyncio.sleep(0.01)
            await gui.shutdown()
            gui.window.deleteLater()

        with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
            runner.run(measure())
        # Collect the window's Qt objects here, on the GUI thread, not later on a worker.
        gc.collect()
    server.shutdown()
    counted = sorted(delays[1:])
    return {
        "clicks": len(counted),
        "median_ms": round(1000 * statistics.median(counted), 2),
        "p90_ms": round(1000 * counted[int(len(counted) * 0.9) - 1], 2),
        "max_ms": round(1000 * counted[-1], 2),
        "first_click_ms": round(1000 * delays[0], 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--idle-seconds", type=float, default=60)
    parser.add_argument("--hours", type=float, default=24)
    parser.add_argument("--people", type=int, default=500)
    parser.add_argument("--clicks", type=int, default=30)
    parser.add_argument("--out", type=Path, default=RESULTS / "scheduler.json")
    parser.add_argument(
        "--only", choices=("idle", "memory", "click"), help="run one measurement only"
    )
    args = parser.parse_args()
    logging.getLogger().addHandler(logging.NullHandler())  # the runs' log lines are not results
    previous = json.loads(args.out.read_text()) if args.only and args.out.exists() else {}
    results: dict[str, Any] = {
        **previous,
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
    }
    if args.only in (None, "click"):
        results["sync_now_to_first_request"] = click_to_request(args.clicks)
        print("Sync now -> first request:", results["sync_now_to_first_request"], flush=True)
    if args.only in (None, "memory"):
        results["simulated_day"] = asyncio.run(simulated_day(args.hours, args.people))
        print("Simulated day:", results["simulated_day"], flush=True)
    if args.only in (None, "idle"):
        results["idle_cpu"] = idle_cpu(args.idle_seconds)
        print("Idle CPU:", results["idle_cpu"], flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"Wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
