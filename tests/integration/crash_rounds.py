"""Crash safety, shared by test_crash_safety.py and test_crash_safety_two_way.py (two files, so
xdist's `--dist loadfile` can run the two variants, each minutes long, on two workers at once).

`syncmonitor sync --once` killed with SIGKILL at random points, again and again,
then left to finish, ends with exactly the cache and the Workbooks data of a run that was never
interrupted: nothing lost, nothing doubled, `PRAGMA integrity_check` ok, no run left "running".

Each round gets a fresh data folder and a fresh sandbox built from the same seed (so Workbooks
starts from the same records); kills are drawn from a seeded generator between 0.05 s and the
length of the last whole run (the reference run, then the last round whose first run finished
without a kill: the window follows the machine's load, so a round is not wasted on a delay longer
than the run), so they land in start-up, the database migration, the Outreach pull and the
Workbooks push. A round ends when a run finishes by itself; rounds go on until at least
`KILLS` processes were killed mid-run, and the run after the last kill is left to finish.
"""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from engine_helpers import read_people
from test_cli import API_KEY, TOKEN, Cli, MakeSandbox, base_env, config_for

from reliability_log import record
from syncmonitor.sandbox.admin import AdminClient
from syncmonitor.sandbox.process import ENV_OUTREACH_TOKEN, ENV_WORKBOOKS_API_KEY, SandboxEndpoints

# What a kill falls between is a commit point, one per page: 1,200 people in pages of 25 give
# 48 prospect pages, each followed by its states, history and Workbooks pushes, for 20 kills
# drawn over the whole run. 2,500 people (100 pages) made each of the 20-odd runs about twice as
# long for the same 20 kills and the same comparisons.
PEOPLE = 1200
PAGE_SIZE = 25  # many small pages: many commit points for a kill to fall between
KILLS = 20
MAX_ATTEMPTS = 120
LAST_RUN_LIMIT = 600.0  # seconds; the reference sync's own limit

# What must match the fault-free run, per table. Local bookkeeping (autoincrement ids, when we
# observed or queued something, run records) is left out; everything the remotes said is in.
COMPARED = {
    "prospects": "*",
    "sequences": "*",
    "sequence_steps": "*",
    "sequence_states": "*",
    "state_history": "provider, sequence_state_id, prospect_id, sequence_id, step_id, raw_state, "
    "state, reason, state_changed_at",
    # updated_at is when the sandbox saved the write (wall time), so it differs run to run
    "workbooks_people": "id, lock_version, name, email, outreach_id, no_email, sequence_state, "
    "state_updated_at, is_deleted",
    "push_outbox": "provider, prospect_id",
    "sync_cursors": "name, value",
}


def _sandbox(make_sandbox: MakeSandbox) -> SandboxEndpoints:
    return make_sandbox(
        seed=11,
        people=PEOPLE,
        tick=0,
        env={ENV_OUTREACH_TOKEN: TOKEN, ENV_WORKBOOKS_API_KEY: API_KEY},
    )


def _cli(home: Path, endpoints: SandboxEndpoints, *, two_way: bool) -> Cli:
    env = base_env(home)
    env["SYNCMONITOR_OUTREACH_TOKEN"] = TOKEN
    env["SYNCMONITOR_WORKBOOKS_API_KEY"] = API_KEY
    cli = Cli(home, env)
    switch = "true" if two_way else "false"
    cli.write_config(config_for(endpoints, page_size=PAGE_SIZE) + f"two_way_enabled = {switch}\n")
    return cli


# With the two-way jobs the remotes' own ids for what the sync creates depend on the order it
# was created in, so links are compared by the Workbooks side and the remotes by their counts
# (a record made twice shows as one more).
TWO_WAY_COMPARED = {
    "record_links": "kind, crm_id",
    "activity_links": "outreach_type, outreach_id, workbooks_endpoint",
    "delete_hazards": "kind, crm_id, deleted_side",
}
# The two-way jobs' watermarks are Workbooks' updated_at of the records they wrote: wall time.
WHERE = {"sync_cursors": "WHERE name NOT LIKE 'two_way.%'"}
CREATED_COUNTS = (
    "prospects",
    "accounts",
    "opportunities",
    "workbooks_opportunities",
    "workbooks_tasks",
    "workbooks_activities",
)


def _remote_counts(endpoints: SandboxEndpoints) -> dict[str, int]:
    with AdminClient(endpoints.admin_url) as admin:
        stats = admin.stats()
    return {name: stats[name] for name in CREATED_COUNTS}


def _start(cli: Cli) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "syncmonitor", "sync", "--once"],
        env=cli.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _cache(home: Path) -> Path:
    return home / "data" / "cache.sqlite3"


def _snapshot(database: Path, *, two_way: bool = False) -> dict[str, Counter[tuple[Any, ...]]]:
    """Each compared table as a multiset of rows (a doubled row shows as a count of 2)."""
    tables = {**COMPARED, **(TWO_WAY_COMPARED if two_way else {})}
    with sqlite3.connect(database) as conn:
        return {
            table: Counter(
                conn.execute(f"SELECT {columns} FROM {table} {WHERE.get(table, '')}").fetchall()
            )
            for table, columns in tables.items()
        }


def _health(database: Path) -> tuple[str, int]:
    with sqlite3.connect(database) as conn:
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        running = conn.execute("SELECT count(*) FROM sync_runs WHERE outcome = 'running'")
        return integrity, running.fetchone()[0]


def _workbooks(endpoints: SandboxEndpoints) -> dict[int, dict[str, Any]]:
    """Every Workbooks person; `updated_at` (the wall time of the last save) left out."""
    with AdminClient(endpoints.admin_url) as admin:
        people = read_people(admin, PEOPLE)
    return {pid: {k: v for k, v in p.items() if k != "updated_at"} for pid, p in people.items()}


def _diff(found: dict[str, Counter[Any]], expected: dict[str, Counter[Any]]) -> dict[str, Any]:
    problems = {}
    for table in expected:
        extra, missing = found[table] - expected[table], expected[table] - found[table]
        if extra or missing:
            problems[table] = {
                "extra_or_doubled": list(extra.items())[:3],
                "missing": list(missing.items())[:3],
            }
    return problems


def kill_again_and_again(tmp_path: Path, make_sandbox: MakeSandbox, *, two_way: bool) -> None:
    """The test: a reference run, then rounds of killed runs, each compared with it."""
    reference_remote = _sandbox(make_sandbox)
    reference = _cli(tmp_path / "reference", reference_remote, two_way=two_way)
    started = time.monotonic()
    done = reference.run("sync", "--once", timeout=600)
    full_run = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    expected = _snapshot(_cache(reference.home), two_way=two_way)
    expected_workbooks = _workbooks(reference_remote)
    expected_counts = _remote_counts(reference_remote)
    assert sum(expected["state_history"].values()) > PEOPLE  # a large sync, not a trivial one

    rng = random.Random(20261122)
    kills, attempts, rounds = 0, 0, 0
    while kills < KILLS:
        rounds += 1
        remote = _sandbox(make_sandbox)
        cli = _cli(tmp_path / f"round-{rounds}", remote, two_way=two_way)
        fresh = True
        while True:
            attempts += 1
            assert attempts <= MAX_ATTEMPTS, f"only {kills} kills landed in {attempts} runs"
            process = _start(cli)
            # Once enough kills have landed, the round's last run must finish by itself: a loaded
            # machine can make every resumed run longer than the window, and the round endless.
            delay = rng.uniform(0.05, full_run) if kills < KILLS else LAST_RUN_LIMIT
            begun = time.monotonic()
            try:
                process.wait(timeout=delay)
            except subprocess.TimeoutExpired:
                process.send_signal(signal.SIGKILL)
                process.wait(timeout=30)
                assert kills < KILLS, f"a run after the last kill took over {LAST_RUN_LIMIT} s"
                kills += 1
                fresh = False
                continue
            finally:
                if process.stderr is not None:
                    stderr = process.stderr.read()
                    process.stderr.close()
            # It finished before the kill: this round is over; check it converged.
            assert process.returncode == 0, stderr
            if fresh:  # a whole run from scratch, timed on the machine as it is now
                full_run = max(0.2, time.monotonic() - begun)
            break

        database = _cache(cli.home)
        assert _health(database) == ("ok", 0)
        assert _diff(_snapshot(database, two_way=two_way), expected) == {}
        assert _remote_counts(remote) == expected_counts, "a record was created twice (or lost)"
        found_workbooks = _workbooks(remote)
        changed = {
            pid: (found_workbooks[pid], expected_workbooks[pid])
            for pid in expected_workbooks
            if found_workbooks[pid] != expected_workbooks[pid]
        }
        assert not changed, f"round {rounds}: Workbooks people differ: {list(changed.items())[:2]}"
        with AdminClient(remote.admin_url) as admin:
            admin.shutdown()  # free its memory now; the fixture reaps the process

    assert kills >= KILLS
    record(
        "crash safety",
        "SIGKILL during `sync --once`, restart, finish"
        + (" (with the two-way jobs)" if two_way else ""),
        kills=kills,
        runs=attempts,
        rounds=rounds,
        records_compared=sum(sum(c.values()) for c in expected.values()) * rounds + PEOPLE * rounds,
    )
