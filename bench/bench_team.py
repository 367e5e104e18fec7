"""Team mode benchmark: the same first sync and People search on SQLite and on PostgreSQL, and the
delay from a server commit to a watching desktop's screen, and the delay from a desktop's request
to the server starting it (polling before, LISTEN after) with the server's idle queries.

    python bench/bench_team.py [--people 100000] [--states-per-person 3] [--history 1000000]
                               [--repeats 21] [--requests 30] [--idle-seconds 60]
                               [--postgres-url URL] [--out PATH]
    python bench/bench_team.py --requests-only      # only the request delay and idle queries

PostgreSQL: `--postgres-url` (a superuser's address; a database is made and dropped), else
SYNCMONITOR_TEST_POSTGRES_URL, else a throw-away PostgreSQL 15 started with .ci/postgres.sh. One
run, one machine, one sandbox (seed 1, frozen): the ratios compare like with like. See
bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from syncmonitor.app.config import CacheSettings, Config, OutreachSettings, WorkbooksSettings
from syncmonitor.engine.runs.kinds import SyncKind
from syncmonitor.engine.runs.service import Remotes, SyncService
from syncmonitor.engine.team.lock import lock_for
from syncmonitor.sandbox.process import SandboxProcess
from syncmonitor.store.database import Database, open_database, open_store
from syncmonitor.store.people import count_people, search_people
from syncmonitor.store.schema import prospects, sequence_states, state_history

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).with_name("results")


@contextlib.contextmanager
def postgres(url: str | None) -> Iterator[str]:
    """A superuser's address: the given one, the tests', or a throw-away cluster's."""
    url = url or os.environ.get("SYNCMONITOR_TEST_POSTGRES_URL")
    if url:
        yield url
        return
    out = subprocess.run(
        [
            "bash",
            "-c",
            "source .ci/postgres.sh && postgres_start >&2 && "
            'echo "$SYNCMONITOR_TEST_POSTGRES_URL" && echo "$PG_DIR"',
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    try:
        yield out[0]
    finally:
        subprocess.run(
            ["bash", "-c", f"source .ci/postgres.sh && PG_DIR='{out[1]}' postgres_stop"], cwd=ROOT
        )


@contextlib.contextmanager
def fresh_database(admin_url: str) -> Iterator[str]:
    name = f"sm_bench_{os.getpid()}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def first_sync(endpoints: Any, database: Database, folder: Path) -> dict[str, Any]:
    """The first sync of everything Outreach holds (kind inbound: the store's writes, without
    the Workbooks write-back, which costs the same on both engines)."""
    config = Config(
        outreach=OutreachSettings(base_url=endpoints.outreach_base_url, page_size=1000),
        workbooks=WorkbooksSettings(base_url=endpoints.workbooks_base_url, two_way_enabled=False),
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
        lock=lock_for(database, folder / "sync.lock"),
        sandbox_mode=False,
    )
    t0 = time.perf_counter()
    result = asyncio.run(service.sync_once(trigger="forced", kind=SyncKind.INBOUND))
    wall = time.perf_counter() - t0
    assert result.ok, result.summary
    with database.engine.connect() as conn:
        people = conn.execute(select(func.count()).select_from(prospects)).scalar_one()
        states = conn.execute(select(func.count()).select_from(sequence_states)).scalar_one()
    return {"wall_s": round(wall, 2), "prospects": people, "states": states}


def top_up_history(database: Database, target: int) -> int:
    """More transitions for the prospects already there, as months of syncing would add."""
    with database.engine.begin() as conn:
        have = conn.execute(select(func.count()).select_from(state_history)).scalar_one()
        need = target - have
        if need > 0 and database.shared:
            conn.execute(
                text(
                    "INSERT INTO state_history (provider, sequence_state_id, prospect_id, "
                    "sequence_id, step_id, raw_state, state, reason, state_changed_at, "
                    "observed_at) "
                    "SELECT 'outreach', s.id, s.prospect_id, s.sequence_id, "
                    "coalesce(s.step_id, 0), "
                    "'active', 'Active – Running', '', "
                    "to_char((timestamptz '2025-01-01 09:00+00' + g * interval '1 minute') "
                    "AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.000\"Z\"'), "
                    "'2025-12-01T00:00:00.000Z' "
                    "FROM generate_series(1, :rounds) g CROSS JOIN sequence_states s "
                    "LIMIT :need ON CONFLICT DO NOTHING"
                ).bindparams(rounds=need // max(1, _count(conn)) + 1, need=need)
            )
            conn.execute(text("ANALYZE"))
        elif need > 0:
            states = conn.execute(
                text("SELECT id, prospect_id, sequence_id, step_id FROM sequence_states")
            ).all()
            rows = []
            for n in range(need):
                sid, pid, seq, step = states[n % len(states)]
                rows.append(
                    (
                        "outreach",
                        sid,
                        pid,
                        seq,
                        step or 0,
                        "active",
                        "Active – Running",
                        "",
                        f"2025-01-01T09:{n // len(states):06d}Z",
                        "2025-12-01T00:00:00.000Z",
                    )
                )
            raw = conn.connection.driver_connection
            raw.executemany(  # type: ignore[union-attr]
                "INSERT OR IGNORE INTO state_history (provider, sequence_state_id, prospect_id, "
                "sequence_id, step_id, raw_state, state, reason, state_changed_at, observed_at) "
                "VALUES (?,?,?,?,?,?,?,?,?,?)",
                rows,
            )
            conn.execute(text("ANALYZE"))
        return int(conn.execute(select(func.count()).select_from(state_history)).scalar_one())


def _count(conn: Any) -> int:
    return int(conn.execute(select(func.count()).select_from(sequence_states)).scalar_one())


def search(database: Database, repeats: int) -> dict[str, Any]:
    with database.engine.connect() as conn:
        name, email = conn.execute(
            select(prospects.c.name, prospects.c.email)
            .order_by(prospects.c.id)
            .offset(777)
            .limit(1)
        ).one()
        queries = {
            "common first name": name.split()[0].lower(),
            "two words": name.lower(),
            "email fragment": email.split("@")[0][-6:],
            "domain": email.split("@")[1][:8],
            "rare (no match)": "zzqx",
            "single letter": "a",
            "no text (first page)": "",
        }
        timings: dict[str, dict[str, float]] = {}
        every: list[float] = []
        for label, words in queries.items():
            search_people(conn, words, limit=200)
            samples = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                search_people(conn, words, limit=200)
                samples.append((time.perf_counter() - t0) * 1000)
            counts = []
            for _ in range(max(3, repeats // 4)):
                t0 = time.perf_counter()
                count_people(conn, words)
                counts.append((time.perf_counter() - t0) * 1000)
            timings[label] = {
                "median_ms": round(statistics.median(samples), 2),
                "max_ms": round(max(samples), 2),
                "count_median_ms": round(statistics.median(counts), 2),
            }
            every += samples
    return {
        "search_median_ms": round(statistics.median(every), 2),
        "search_p95_ms": round(sorted(every)[int(0.95 * (len(every) - 1))], 2),
        "queries": timings,
    }


def watch_delay(url: str, commits: int) -> dict[str, Any]:
    """From a server commit (a new person) to the People page of a watching desktop (the real
    app, offscreen) showing one more person."""
    import qasync
    from PySide6.QtWidgets import QApplication

    from syncmonitor.app.paths import app_paths
    from syncmonitor.engine.bootstrap import start_services
    from syncmonitor.ui.app import SyncMonitorApp
    from syncmonitor.ui.notifier import RecordingNotifier
    from syncmonitor.ui.sync_controller import Phase

    parsed = make_url(url)
    os.environ["SYNCMONITOR_CACHE_PASSWORD"] = parsed.password or ""
    bare = parsed._replace(password=None).render_as_string(hide_password=False)
    config = Config(cache=CacheSettings(url=bare))
    app = QApplication.instance() or QApplication([])
    loop = qasync.QEventLoop(app)
    server = open_store(url, None)
    delays: list[float] = []

    async def until(condition: Any, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError("the desktop did not show the change")
            await asyncio.sleep(0.005)

    async def run() -> None:
        gui = SyncMonitorApp(
            config,
            lambda: start_services(config, app_paths()),
            use_tray=False,
            notifier=RecordingNotifier(),
        )
        gui.start()
        await until(lambda: gui.controller.phase is Phase.IDLE, 60)
        label = gui.window.people.count_label
        with server.engine.connect() as conn:
            shown = conn.execute(select(func.count()).select_from(prospects)).scalar_one()
        await until(lambda: label.text() == f"{shown:,} people", 30)
        for i in range(commits):
            await asyncio.sleep(0.37)  # commits fall at any point of the desktop's poll
            t0 = time.perf_counter()
            with server.engine.begin() as conn:  # what one page of the server's sync commits
                pid = 900_000_000 + i
                conn.execute(
                    prospects.insert().values(
                        provider="outreach",
                        id=pid,
                        name=f"Zed Watch {i}",
                        email=f"w{i}@x.example",
                        search_text=f"zed watch {i} w{i}@x.example",
                    )
                )
                conn.execute(
                    state_history.insert().values(
                        provider="outreach",
                        sequence_state_id=pid,
                        prospect_id=pid,
                        sequence_id=1,
                        step_id=0,
                        raw_state="active",
                        state="Active – Running",
                        reason="",
                        state_changed_at="2025-12-01T09:00:00.000Z",
                        observed_at="2025-12-01T09:00:01.000Z",
                    )
                )
            shown += 1
            await until(lambda n=shown: label.text() == f"{n:,} people", 10)
            delays.append((time.perf_counter() - t0) * 1000)
        await gui.shutdown()

    with loop:
        loop.run_until_complete(run())
    server.close()
    return {
        "commits": commits,
        "median_ms": round(statistics.median(delays), 1),
        "p90_ms": round(sorted(delays)[int(0.9 * (len(delays) - 1))], 1),
        "max_ms": round(max(delays), 1),
    }


def request_delay(url: str, requests: int, idle_s: float) -> dict[str, Any]:
    """From a desktop's request committed to the server starting to carry it out, with the
    server finding requests by polling every second (before LISTEN) and by LISTEN with its
    5 s fallback poll (after); and the SQL the server sends to the store per idle minute."""
    import random

    from sqlalchemy import event

    from syncmonitor.engine.team import desktop as team_desktop
    from syncmonitor.engine.team.server import RequestServer

    store = open_store(url, None)
    service = SyncService(
        Config(),
        store,
        Remotes(None, None, None, None),
        lock=lock_for(store, Path(tempfile.mkdtemp()) / "sync.lock"),
        sandbox_mode=False,
    )
    counted = {"statements": 0, "commits": 0}

    def statement(*_: Any) -> None:
        counted["statements"] += 1

    def commit(*_: Any) -> None:
        counted["commits"] += 1

    event.listen(store.engine, "before_cursor_execute", statement)
    event.listen(store.engine, "commit", commit)
    desk = open_store(url, None)  # the desktop's own connection pool
    rng = random.Random(7)
    report: dict[str, Any] = {}

    async def measure(server: RequestServer) -> dict[str, Any]:
        started: dict[int, float] = {}

        async def noop(request: Any) -> tuple[bool, str]:
            started[request.id] = time.perf_counter()
            return True, "nothing"

        server.register("bench_noop", noop, repeatable=True)
        stop = asyncio.Event()
        task = asyncio.ensure_future(server.run(stop))
        await asyncio.sleep(1.0)  # listening
        delays = []
        for i in range(requests):
            await asyncio.sleep(0.2 + rng.random() * 1.3)  # at any point of a poll's wait
            request_id = await asyncio.to_thread(team_desktop.submit, desk, "bench_noop", {"n": i})
            sent = time.perf_counter()
            while request_id not in started:
                await asyncio.sleep(0.002)
            delays.append((started[request_id] - sent) * 1000)
        await asyncio.sleep(0.5)
        counted.update(statements=0, commits=0)
        await asyncio.sleep(idle_s)  # idle: no request, no run
        per_min = 60.0 / idle_s
        idle = {k: round(v * per_min, 1) for k, v in counted.items()}
        stop.set()
        await task
        return {
            "requests": requests,
            "median_ms": round(statistics.median(delays), 1),
            "p90_ms": round(sorted(delays)[int(0.9 * (len(delays) - 1))], 1),
            "max_ms": round(max(delays), 1),
            "idle_statements_per_min": idle["statements"],
            "idle_transactions_per_min": idle["commits"],
        }

    report["before_poll_1s"] = asyncio.run(
        measure(RequestServer(service, listen=False, poll_s=1.0))
    )
    report["after_listen"] = asyncio.run(measure(RequestServer(service)))
    report["median_ratio_before_to_after"] = round(
        report["before_poll_1s"]["median_ms"] / max(0.1, report["after_listen"]["median_ms"]), 1
    )
    desk.close()
    store.close()
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--states-per-person", type=float, default=3.0)
    parser.add_argument("--history", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=21)
    parser.add_argument("--commits", type=int, default=20)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--idle-seconds", type=float, default=60.0)
    parser.add_argument(
        "--requests-only",
        action="store_true",
        help="only the request delay (desktop to server) and the server's idle queries",
    )
    parser.add_argument("--postgres-url")
    parser.add_argument("--out", type=Path, default=RESULTS / "team.json")
    args = parser.parse_args(argv)

    if args.requests_only:
        with postgres(args.postgres_url) as admin_url, fresh_database(admin_url) as pg_url:
            open_store(pg_url, None).close()  # the tables, as the server's first start makes them
            only = {"request_delay": request_delay(pg_url, args.requests, args.idle_seconds)}
        out = (
            args.out.with_name("team_requests.json")
            if args.out == RESULTS / "team.json"
            else args.out
        )
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(only, indent=2), encoding="utf-8")
        print(json.dumps(only, indent=2))
        return 0

    work = Path(tempfile.mkdtemp(prefix="sm-bench-team-"))
    os.environ["SYNCMONITOR_HOME"] = str(work / "home")
    sandbox = SandboxProcess(
        seed=1, people=args.people, states_per_person=args.states_per_person, tick=0
    )
    endpoints = sandbox.start(timeout=600)
    report: dict[str, Any] = {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "people": args.people,
        "history_target": args.history,
    }
    try:
        with postgres(args.postgres_url) as admin_url, fresh_database(admin_url) as pg_url:
            engines = {
                "sqlite": open_database(work / "cache.sqlite3"),
                "postgresql": open_store(pg_url, None),
            }
            for name, database in engines.items():
                print(f"{name}: first sync of {args.people:,} people…", file=sys.stderr)
                report[name] = {"first_sync": first_sync(endpoints, database, work)}
            for name, database in engines.items():
                print(f"{name}: history to {args.history:,} rows, then searching…", file=sys.stderr)
                rows = top_up_history(database, args.history)
                report[name]["search"] = {"history_rows": rows, **search(database, args.repeats)}
            for database in engines.values():
                database.close()
            report["ratio_postgresql_to_sqlite_first_sync"] = round(
                report["postgresql"]["first_sync"]["wall_s"]
                / report["sqlite"]["first_sync"]["wall_s"],
                2,
            )
            print("watching desktop: commit to screen…", file=sys.stderr)
            report["watch_delay"] = watch_delay(pg_url, args.commits)
            print("team requests: desktop to server, and idle queries…", file=sys.stderr)
            report["request_delay"] = request_delay(pg_url, args.requests, args.idle_seconds)
    finally:
        sandbox.stop()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
