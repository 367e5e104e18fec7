"""`syncmonitor cache copy --to URL`: a one-person SQLite cache moved whole into an empty team
store, which then answers every page's queries as the file did; a store with a history is
refused, nothing written; a password in the URL is refused."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from engine_helpers import harness
from sqlalchemy import func, insert, select
from sqlalchemy.engine import make_url

from store_backends import PostgresCluster, StoreFactory
from syncmonitor.domain.timestamps import utc_now
from syncmonitor.store.database import open_database, open_store
from syncmonitor.store.people import history, search_people
from syncmonitor.store.runs import recent_runs, start_run
from syncmonitor.store.schema import metadata, sync_runs


def cli(home: Path, *args: str, password: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNCMONITOR_")}
    env.update(
        SYNCMONITOR_HOME=str(home),
        SYNCMONITOR_CACHE_PASSWORD=password,
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
    )
    return subprocess.run(
        [sys.executable, "-m", "syncmonitor", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def counts(engine) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in metadata.sorted_tables
        }


@pytest.fixture
def team(postgres_cluster: PostgresCluster | None) -> Iterator[StoreFactory]:
    """Team stores to copy into, while the helpers' own caches stay SQLite files."""
    if postgres_cluster is None:
        pytest.skip("PostgreSQL not available (SYNCMONITOR_TEST_POSTGRES_URL unset)")
    factory = StoreFactory("postgresql", postgres_cluster)
    try:
        yield factory
    finally:
        factory.close()


def test_a_synced_cache_is_copied_whole_and_reads_the_same(
    team: StoreFactory,
    make_sandbox,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    home = tmp_path / "home"
    data = home / "data"
    endpoints = make_sandbox(seed=4, people=60)
    with harness(endpoints, data, two_way=True) as h:  # a SQLite cache: the store is not active
        assert h.database.path == data / "cache.sqlite3"
        assert h.sync().ok
    target = make_url(team.new_url())
    bare = target._replace(password=None).render_as_string(hide_password=False)
    done = cli(home, "cache", "copy", "--to", bare, password=target.password or "")
    assert done.returncode == 0, done.stderr
    assert "Copied " in done.stdout and f'url = "{bare}"' in done.stdout

    source = open_database(data / "cache.sqlite3")
    copy = open_store(bare, target.password)
    try:
        expected = counts(source.engine)
        expected["sync_holder"] = expected["team_requests"] = 0
        assert counts(copy.engine) == expected
        assert expected["prospects"] and expected["state_history"] and expected["record_links"]
        with source.engine.connect() as a, copy.engine.connect() as b:
            assert search_people(b, "") == search_people(a, "")
            person = search_people(a, "")[7]
            assert history(b, "outreach", person.prospect_id) == history(
                a, "outreach", person.prospect_id
            )
            assert recent_runs(b, 5) == recent_runs(a, 5)
        with copy.engine.begin() as conn:  # new rows get ids past the copied ones
            new_id = start_run(conn, "full", "forced", utc_now())
        assert new_id == expected["sync_runs"] + 1
    finally:
        source.close()
        copy.close()


def test_a_team_store_with_a_history_is_refused_and_left_as_it_was(
    team: StoreFactory, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    open_database(home / "data" / "cache.sqlite3").close()
    url = make_url(team.new_url())
    store = open_store(url.render_as_string(hide_password=False), None)
    with store.engine.begin() as conn:
        conn.execute(
            insert(sync_runs).values(
                kind="full", trigger="scheduled", started_at="t", outcome="succeeded"
            )
        )
    before = counts(store.engine)
    bare = url._replace(password=None).render_as_string(hide_password=False)
    done = cli(home, "cache", "copy", "--to", bare, password=url.password or "")
    assert done.returncode == 1
    assert "already holds a history" in done.stderr and "Traceback" not in done.stderr
    assert counts(store.engine) == before
    store.close()


def test_a_password_in_the_target_url_is_refused(tmp_path: Path) -> None:
    done = cli(
        tmp_path, "cache", "copy", "--to", "postgresql+psycopg://u:hunter2@db/x", password=""
    )
    assert done.returncode == 1
    assert "never kept in the configuration file" in done.stderr
    assert "hunter2" not in done.stderr + done.stdout
