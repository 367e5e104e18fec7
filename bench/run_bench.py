"""Sync Monitor benchmark: first full sync inside the GUI process, write path vs raw sqlite3, and
People search over a million history rows.

    python bench/run_bench.py [--people 100000] [--states-per-person 3] [--history 1000000]

Everything is measured in one run on one machine, so the ratios compare like with like. Results
are printed as a table and written to bench/results/latest.json. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import httpx
import qasync
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QLabel

from syncmonitor.app.config import Config, OutreachSettings, WorkbooksSettings
from syncmonitor.connectors.http.client import warm_up
from syncmonitor.connectors.outreach.client import parse_state_page, sequence_state_query
from syncmonitor.engine.runs.lock import SyncLock
from syncmonitor.engine.runs.service import Remotes, SyncService
from syncmonitor.engine.sequence_states.pull import (
    PullCounts,
    history_row,
    page_rows,
    write_rows,
)
from syncmonitor.sandbox.process import SandboxProcess
from syncmonitor.store.database import open_database
from syncmonitor.store.people import count_people, history, search_people
from syncmonitor.ui.responsiveness import tune_for_interactive_use

RESULTS = Path(__file__).with_name("results")


def peak_rss_mb() -> float:
    """This process's peak resident memory so far (ru_maxrss: KB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


class Heartbeat:
    """A 5 ms timer on the GUI thread; the longest gap between its ticks is the longest stall."""

    def __init__(self) -> None:
        self.gaps: list[float] = []
        self._last = time.perf_counter()
        self._timer = QTimer()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(5)
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        self._last = time.perf_counter()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append(now - self._last)
        self._last = now

    @property
    def longest_ms(self) -> float:
        return max(self.gaps, default=0.0) * 1000

    def percentile_ms(self, q: float) -> float:
        if not self.gaps:
            return 0.0
        ordered = sorted(self.gaps)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def gui_sync(endpoints: Any, home: Path, push: bool) -> dict[str, Any]:
    """The first full sync on the qasync loop of a QApplication, watched by the heartbeat."""
    app = QApplication.instance() or QApplication([])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    label = QLabel("Starting…")  # a visible widget the progress reports repaint, as the app's do
    label.resize(600, 40)
    label.show()
    warm_up()  # as start_services does before the window shows
    tune_for_interactive_use()  # as run_gui does
    db = open_database(home / "cache.sqlite3")
    config = Config(
        outreach=OutreachSettings(base_url=endpoints.outreach_base_url),
        workbooks=WorkbooksSettings(base_url=endpoints.workbooks_base_url, push_enabled=push),
    )
    service = SyncService(
        config,
        db,
        Remotes(
            endpoints.outreach_base_url,
            endpoints.outreach_token,
            endpoints.workbooks_base_url,
            endpoints.workbooks_api_key,
        ),
        lock=SyncLock(home / "sync.lock"),
        sandbox_mode=True,
    )
    phases: dict[str, float] = {}
    started = time.perf_counter()

    def progress(report: Any) -> None:
        phases.setdefault(report.phase, time.perf_counter() - started)
        label.setText(report.message)

    heartbeat = Heartbeat()
    rss_before = peak_rss_mb()
    heartbeat.start()
    with loop:
        result = loop.run_until_complete(service.sync_once(trigger="bench", progress=progress))
    heartbeat.stop()
    elapsed = time.perf_counter() - started
    db.close()
    if not result.ok:
        raise SystemExit(f"the benchmark sync failed: {result.summary}")
    states = result.records_read["sequence_states"]
    pull_s = phases.get("workbooks-push", elapsed)
    return {
        "wall_s": round(elapsed, 2),
        "pull_s": round(pull_s, 2),
        "push_s": round(elapsed - pull_s, 2) if push else None,
        "sequence_states": states,
        "prospects": result.records_read["prospects"],
        "transitions": result.records_written["transitions"],
        "workbooks_people_updated": result.records_written.get("workbooks_people"),
        "states_per_s_pull": round(states / pull_s) if pull_s else None,
        "records_per_s_pull": round((states + result.records_read["prospects"]) / pull_s),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "rss_before_mb": round(rss_before, 1),
        "longest_stall_ms": round(heartbeat.longest_ms, 1),
        "stall_p99_ms": round(heartbeat.percentile_ms(0.99), 1),
        "heartbeat_ticks": len(heartbeat.gaps),
    }


def fetch_bodies(endpoints: Any, page_size: int = 1000) -> list[bytes]:
    """Every sequenceStates page's raw body, fetched as the connector asks for them."""
    headers = {
        "Authorization": f"Bearer {endpoints.outreach_token}",
        "Content-Type": "application/vnd.api+json",
        "Accept": "application/vnd.api+json",
    }
    bodies: list[bytes] = []
    with httpx.Client(headers=headers, timeout=60) as client:
        url: str | None = endpoints.outreach_base_url + "/sequenceStates"
        params: Any = sequence_state_query(None, page_size)
        while url:
            response = client.get(url, params=params)
            response.raise_for_status()
            bodies.append(response.content)
            url = json.loads(response.content).get("links", {}).get("next")
            params = None
    return bodies


def write_path_vs_raw(bodies: list[bytes], workdir: Path) -> dict[str, Any]:
    """Decode + parse + upsert into the cache, against raw sqlite3 executemany of the same rows."""
    t0 = time.perf_counter()
    pages = [parse_state_page(b) for b in bodies]
    t_parse = time.perf_counter() - t0

    t0 = time.perf_counter()
    rows = [page_rows(p) for p in pages]
    t_rows = time.perf_counter() - t0

    db = open_database(workdir / "write-path.sqlite3")
    counts = PullCounts()
    t0 = time.perf_counter()
    for page, page_row in zip(pages, rows, strict=True):
        write_rows(db.engine, page_row, page.max_updated_at, counts)
    t_upsert = time.perf_counter() - t0
    db.close()

    # The same rows, written the plainest way sqlite3 can: INSERTs in one transaction per page,
    # into the same schema with the same pragmas.
    raw_path = workdir / "raw.sqlite3"
    open_database(raw_path).close()
    conn = sqlite3.connect(raw_path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    observed = "2026-11-22T00:00:00.000Z"
    plain = {
        "prospects": "INSERT OR REPLACE INTO prospects (provider, id, email, first_name, "
        "last_name, name, opted_out, emails_opt_status, external_id, updated_at, search_text) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        "sequences": "INSERT OR REPLACE INTO sequences (provider, id, name, enabled, "
        "sequence_type, step_count, updated_at) VALUES (?,?,?,?,?,?,?)",
        "steps": "INSERT OR REPLACE INTO sequence_steps (provider, id, sequence_id, step_order, "
        "step_type) VALUES (?,?,?,?,?)",
        "states": "INSERT OR REPLACE INTO sequence_states (provider, id, prospect_id, "
        "sequence_id, step_id, raw_state, state, reason, state_changed_at, updated_at, "
        "pause_reason, error_reason) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        "history": "INSERT OR IGNORE INTO state_history (provider, sequence_state_id, "
        "prospect_id, sequence_id, step_id, raw_state, state, reason, state_changed_at, "
        "observed_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
    }
    history_rows = [[history_row(r, observed) for r in page.states] for page in rows]
    t0 = time.perf_counter()
    raw_rows = 0
    for page, hist in zip(rows, history_rows, strict=True):
        conn.execute("BEGIN")
        conn.executemany(plain["prospects"], page.prospects)
        conn.executemany(plain["sequences"], page.sequences)
        conn.executemany(plain["steps"], page.steps)
        conn.executemany(plain["states"], page.states)
        conn.executemany(plain["history"], hist)
        conn.execute("COMMIT")
        raw_rows += len(page.prospects) + len(page.sequences) + len(page.steps)
        raw_rows += len(page.states) + len(hist)
    t_raw = time.perf_counter() - t0
    conn.close()
    total = t_parse + t_rows + t_upsert
    return {
        "pages": len(bodies),
        "body_mb": round(sum(len(b) for b in bodies) / 1e6, 1),
        "rows": raw_rows,
        "decode_parse_s": round(t_parse, 3),
        "rows_s": round(t_rows, 3),
        "upsert_s": round(t_upsert, 3),
        "raw_executemany_s": round(t_raw, 3),
        "raw_rows_per_s": round(raw_rows / t_raw),
        "ratio_parse_and_upsert_vs_raw": round(total / t_raw, 2),
        "ratio_rows_and_upsert_vs_raw": round((t_rows + t_upsert) / t_raw, 2),
        "new_transitions": counts.transitions,
    }


def search_benchmark(cache: Path, history_target: int, repeats: int) -> dict[str, Any]:
    """People search with `history_target` history rows in the cache (topped up if needed)."""
    conn = sqlite3.connect(cache, isolation_level=None)
    have = conn.execute("SELECT count(*) FROM state_history").fetchone()[0]
    if have < history_target:
        # More transitions for the prospects already there, as months of syncing would add.
        states = conn.execute(
            "SELECT id, prospect_id, sequence_id, step_id FROM sequence_states"
        ).fetchall()
        rows = []
        n, need = 0, history_target - have
        while len(rows) < need:
            sid, pid, seq, step = states[n % len(states)]
            day = 1 + (n // len(states)) % 28
            month = 1 + (n // (len(states) * 28)) % 9
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
                    f"2025-{month:02d}-{day:02d}T09:00:00.000Z",
                    "2025-12-01T00:00:00.000Z",
                )
            )
            n += 1
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT OR IGNORE INTO state_history (provider, sequence_state_id, prospect_id, "
            "sequence_id, step_id, raw_state, state, reason, state_changed_at, observed_at) "
            "VALUES (?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
        conn.execute("COMMIT")
    history_rows = conn.execute("SELECT count(*) FROM state_history").fetchone()[0]
    sample_name, sample_email, sample_id = conn.execute(
        "SELECT name, email, id FROM prospects ORDER BY id LIMIT 1 OFFSET 777"
    ).fetchone()
    conn.close()
    first = sample_name.split()[0].lower()
    queries = {
        "common first name": first,
        "two words": sample_name.lower(),
        "email fragment": sample_email.split("@")[0][-6:],
        "domain": sample_email.split("@")[1][:8],
        "rare (no match)": "zzqx",
        "single letter": "a",
    }
    db = open_database(cache)
    timings: dict[str, dict[str, float]] = {}
    all_ms: list[float] = []
    with db.engine.connect() as c:
        for label, text in queries.items():
            search_people(c, text, limit=200)  # warm the page cache once
            samples = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                search_people(c, text, limit=200)
                samples.append((time.perf_counter() - t0) * 1000)
            count_samples = []
            for _ in range(max(3, repeats // 4)):
                t0 = time.perf_counter()
                count_people(c, text)
                count_samples.append((time.perf_counter() - t0) * 1000)
            timings[label] = {
                "median_ms": round(statistics.median(samples), 2),
                "max_ms": round(max(samples), 2),
                "count_median_ms": round(statistics.median(count_samples), 2),
            }
            all_ms.extend(samples)
        history_ms = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            history(c, "outreach", sample_id, limit=500)
            history_ms.append((time.perf_counter() - t0) * 1000)
    db.close()
    return {
        "history_rows": history_rows,
        "search_median_ms": round(statistics.median(all_ms), 2),
        "search_p95_ms": round(sorted(all_ms)[int(0.95 * (len(all_ms) - 1))], 2),
        "timeline_median_ms": round(statistics.median(history_ms), 2),
        "queries": timings,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--states-per-person", type=float, default=3.0)
    parser.add_argument("--history", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=21)
    parser.add_argument("--no-push", action="store_true", help="skip the Workbooks write-back")
    parser.add_argument("--out", type=Path, default=RESULTS / "latest.json")
    args = parser.parse_args(argv)

    results: dict[str, Any] = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "world": {"people": args.people, "states_per_person": args.states_per_person},
        "targets": {
            "ratio_parse_and_upsert_vs_raw": 4.0,
            "longest_stall_ms": 50.0,
            "search_median_ms": 50.0,
        },
    }
    with tempfile.TemporaryDirectory(prefix="syncmonitor-bench-") as tmp:
        work = Path(tmp)
        print(f"Starting a sandbox with {args.people:,} people…", file=sys.stderr)
        t0 = time.perf_counter()
        with SandboxProcess(
            people=args.people, states_per_person=args.states_per_person, tick=0, seed=1
        ) as sandbox:
            results["sandbox_start_s"] = round(time.perf_counter() - t0, 1)
            endpoints = sandbox.endpoints
            assert endpoints is not None
            print("1/3 first full sync inside the GUI process…", file=sys.stderr)
            (work / "gui").mkdir()
            results["gui_sync"] = gui_sync(endpoints, work / "gui", push=not args.no_push)
            print("2/3 write path against raw sqlite3…", file=sys.stderr)
            bodies = fetch_bodies(endpoints)
        results["write_path"] = write_path_vs_raw(bodies, work)
        del bodies
        print(f"3/3 People search over {args.history:,} history rows…", file=sys.stderr)
        results["search"] = search_benchmark(
            work / "gui" / "cache.sqlite3", args.history, args.repeats
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    print_table(results)
    print(f"\nWritten to {args.out}")
    return 0


def print_table(r: dict[str, Any]) -> None:
    g, w, s = r["gui_sync"], r["write_path"], r["search"]
    t = r["targets"]

    def verdict(ok: bool) -> str:
        return "meets target" if ok else "MISSES TARGET"

    lines = [
        ("First full sync, wall (pull + Workbooks push)", f"{g['wall_s']} s", ""),
        ("  Outreach pull", f"{g['pull_s']} s", f"{g['records_per_s_pull']:,} records/s"),
        ("  Workbooks push", f"{g['push_s']} s", f"{g['workbooks_people_updated']} updated"),
        ("  sequence states / prospects", f"{g['sequence_states']:,} / {g['prospects']:,}", ""),
        ("  peak RSS of the GUI process", f"{g['peak_rss_mb']} MB", ""),
        (
            "  longest event-loop stall (5 ms heartbeat)",
            f"{g['longest_stall_ms']} ms",
            f"p99 {g['stall_p99_ms']} ms; {verdict(g['longest_stall_ms'] < t['longest_stall_ms'])}",
        ),
        ("Decode + parse (orjson, records)", f"{w['decode_parse_s']} s", f"{w['body_mb']} MB"),
        ("Rows + upsert into the cache", f"{w['rows_s'] + w['upsert_s']:.3f} s", ""),
        (
            "Raw sqlite3 executemany, same rows",
            f"{w['raw_executemany_s']} s",
            f"{w['raw_rows_per_s']:,} rows/s",
        ),
        (
            "  ratio parse + upsert / raw",
            f"{w['ratio_parse_and_upsert_vs_raw']}x",
            verdict(w["ratio_parse_and_upsert_vs_raw"] <= t["ratio_parse_and_upsert_vs_raw"]),
        ),
        ("  ratio rows + upsert / raw", f"{w['ratio_rows_and_upsert_vs_raw']}x", ""),
        (
            f"People search, {s['history_rows']:,} history rows",
            f"{s['search_median_ms']} ms",
            f"median; p95 {s['search_p95_ms']} ms; "
            + verdict(s["search_median_ms"] < t["search_median_ms"]),
        ),
        ("  a person's timeline", f"{s['timeline_median_ms']} ms", "median"),
    ]
    width = max(len(a) for a, _, _ in lines)
    for a, b, c in lines:
        print(f"{a:<{width}}  {b:>18}  {c}")


if __name__ == "__main__":
    sys.exit(main())
