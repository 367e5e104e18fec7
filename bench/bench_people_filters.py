"""The People filters over 100,000 people and 1,000,000 history rows, on SQLite and PostgreSQL.

    python bench/bench_people_page.py --filters [--people 100000] [--postgres-url URL]

The cache: build_large_cache's people (two sequence states each, ten transitions each), their
states spread over the last 60 days and the state vocabulary (1 % opted out, 2 % bounced, 14 %
finished...), plus 10 % Salesmate contacts, half of them twins of an Outreach prospect. For each
filter: the list's first window (200 rows), its count and the per-choice counts (medians of
`repeats` after one warm run). SQLite is measured with and without migration 0014's indexes;
PostgreSQL gets a copy of the same rows (engine.team.copy) and ANALYZE. Then the GUI: the page
over the SQLite cache, a filter chosen from the filter bar, and the longest gap between ticks of
a 5 ms timer until the list and its counts are in.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gui_cache import build_large_cache
from sqlalchemy import text

from syncmonitor.domain.people_filter import PeopleFilter, Period
from syncmonitor.domain.states import CanonicalState, Provider
from syncmonitor.store.database import Database, open_store
from syncmonitor.store.people import count_people, counts_for_choices, search_people

S = CanonicalState
NOW = datetime.now(UTC)
FILTERS = {
    "no filter": PeopleFilter(),
    "opted out": PeopleFilter(states=frozenset({S.OPTED_OUT})),
    "opted out this week": PeopleFilter(states=frozenset({S.OPTED_OUT}), changed=Period.THIS_WEEK),
    "bounced today": PeopleFilter(states=frozenset({S.BOUNCED}), changed=Period.TODAY),
    "changed last 7 days": PeopleFilter(changed=Period.LAST_7_DAYS),
    "finished, Outreach, seq 1": PeopleFilter(
        states=frozenset({S.FINISHED}),
        providers=frozenset({Provider.OUTREACH}),
        sequences=frozenset({("outreach", 1)}),
    ),
    "bounced + search 'person09'": PeopleFilter(text="person09", states=frozenset({S.BOUNCED})),
}
INDEXES = (
    "ix_sequence_states_filter_state",
    "ix_sequence_states_filter_changed",
    "ix_prospects_provider_email",
)
INDEX_SQL = {
    "ix_prospects_provider_email": "prospects (provider, email)",
    "ix_sequence_states_filter_state": "sequence_states "
    "(state, state_changed_at, provider, prospect_id, sequence_id)",
    "ix_sequence_states_filter_changed": "sequence_states "
    "(state_changed_at, provider, prospect_id, state, sequence_id)",
}


def vary(db: Database, people: int) -> None:
    """States and dates an admin would see, and Salesmate contacts (half of them twins)."""
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE sequence_states SET state = CASE "
                "WHEN id % 100 = 1 THEN 'Opted Out' WHEN id % 50 = 3 THEN 'Bounced' "
                "WHEN id % 7 = 0 THEN 'Finished' WHEN id % 11 = 0 THEN 'Active – Paused' "
                "WHEN id % 29 = 0 THEN 'Failed' ELSE state END, "
                "state_changed_at = strftime('%Y-%m-%dT%H:%M:%S.000Z', :now, "
                "'-' || (((id * 7919) % 86400) * 60.0 / 86400) || ' days')"
            ),
            {"now": NOW.strftime("%Y-%m-%d %H:%M:%S")},
        )
        extra = people // 10
        conn.execute(
            text(
                "INSERT INTO prospects (provider, id, email, name, opted_out, search_text) "
                "SELECT 'salesmate', n, CASE WHEN n % 2 = 0 "
                "THEN printf('person%06d@example.com', n) "
                "ELSE printf('contact%06d@salesmate.example', n) END, "
                "printf('Person %06d', n), 0, "
                "lower(printf('Person %06d person%06d@example.com', n, n)) "
                "FROM (WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s "
                "WHERE n < :extra) SELECT n FROM s)"
            ),
            {"extra": extra},
        )
        conn.execute(
            text(
                "INSERT INTO sequence_states (provider, id, prospect_id, sequence_id, step_id, "
                "raw_state, state, reason, state_changed_at, updated_at) "
                "SELECT 'salesmate', id, id, 7, 0, 'Finished (Bounced)', "
                "CASE WHEN id % 5 = 0 THEN 'Bounced' ELSE 'Active – Running' END, '', "
                "strftime('%Y-%m-%dT%H:%M:%S.000Z', :now, '-' || (id % 30) || ' days'), NULL "
                "FROM prospects WHERE provider = 'salesmate'"
            ),
            {"now": NOW.strftime("%Y-%m-%d %H:%M:%S")},
        )
        conn.execute(text("ANALYZE"))


def measure(db: Database, repeats: int) -> dict[str, dict[str, float]]:
    found: dict[str, dict[str, float]] = {}
    with db.engine.connect() as conn:
        for label, filt in FILTERS.items():
            window = filt.window(NOW)

            def timed(job: Any, times: int) -> float:
                job()
                samples = []
                for _ in range(times):
                    t0 = time.perf_counter()
                    job()
                    samples.append((time.perf_counter() - t0) * 1000)
                return round(statistics.median(samples), 1)

            found[label] = {
                "people": count_people(conn, filt, window=window),
                "list_ms": timed(
                    lambda f=filt, w=window: search_people(conn, f, window=w), repeats
                ),
                "count_ms": timed(
                    lambda f=filt, w=window: count_people(conn, f, window=w), repeats
                ),
                "choice_counts_ms": timed(
                    lambda f=filt: counts_for_choices(conn, f, now=NOW), max(3, repeats // 3)
                ),
            }
    return found


def drop_indexes(db: Database) -> None:
    with db.engine.begin() as conn:
        for name in INDEXES:
            conn.execute(text(f"DROP INDEX {name}"))


def create_indexes(db: Database) -> None:
    with db.engine.begin() as conn:
        for name in INDEXES:
            conn.execute(text(f"CREATE INDEX {name} ON {INDEX_SQL[name]}"))
        conn.execute(text("ANALYZE"))


def gui_stall(db: Database) -> dict[str, float]:
    from gui_fakes import services_over
    from PySide6.QtWidgets import QApplication

    from bench_people_page import LoopWatch, wait_until
    from syncmonitor.ui.people.page import PeoplePage

    app = QApplication.instance() or QApplication([])
    page = PeoplePage()
    page.resize(1300, 800)
    page.show()
    page.set_services(services_over(db))
    wait_until(lambda: page.model.rowCount() == 200 and page.filters._counts is not None, 60)
    results = {}
    for label, state, period in (
        ("choose Opted out", S.OPTED_OUT, None),
        ("then This week", None, Period.THIS_WEEK),
    ):
        watch = LoopWatch()
        t0 = time.perf_counter()
        if state is not None:
            page.filters.state_actions[state].trigger()
        if period is not None:
            page.filters.period_actions[period].trigger()
        wait_until(lambda: not page.model.loading, 60)
        listed = time.perf_counter() - t0
        wait_until(lambda: page.filters._counts is not None, 60)
        counted = time.perf_counter() - t0
        watch.stop()
        results[label] = {
            "list_ms": round(listed * 1000),
            "counts_ms": round(counted * 1000),
            "longest_stall_ms": round(watch.longest * 1000),
        }
    page.close()
    del app
    return results


def run_filters(people: int, transitions: int, repeats: int, postgres_url: str | None) -> int:
    import json

    from bench_team import fresh_database, postgres
    from syncmonitor.engine.team.copy import copy_cache

    report: dict[str, Any] = {"people": people, "history_rows": people * transitions}
    with tempfile.TemporaryDirectory(prefix="bench-filters-") as tmp:
        db = build_large_cache(Path(tmp) / "cache.sqlite3", people, transitions)
        vary(db, people)
        report["sqlite"] = measure(db, repeats)
        drop_indexes(db)
        report["sqlite_without_0014"] = measure(db, repeats)
        create_indexes(db)
        report["gui"] = gui_stall(db)
        with postgres(postgres_url) as admin_url, fresh_database(admin_url) as pg_url:
            pg = open_store(pg_url, None)
            copy_cache(db, pg)
            with pg.engine.begin() as conn:
                conn.execute(text("ANALYZE"))
            report["postgresql"] = measure(pg, repeats)
            pg.close()
        db.close()
    print(json.dumps(report, indent=2))
    return 0
