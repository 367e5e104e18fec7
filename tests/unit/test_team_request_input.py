"""A desktop's request is untrusted input: what the server reads of one that is broken (on the
SQLite schema, which has the same table), and what it refuses before doing anything."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from store_backends import open_sqlite
from syncmonitor.app.config import Config
from syncmonitor.engine.runs.lock import SyncLock
from syncmonitor.engine.runs.service import Remotes, SyncService
from syncmonitor.engine.team.actions import ServerActions
from syncmonitor.engine.team.server import RequestServer
from syncmonitor.store import team_requests
from syncmonitor.store.database import Database


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    db = open_sqlite(tmp_path / "cache.sqlite3")
    yield db
    db.close()


def add(database: Database, action: str, raw: str) -> int:
    with database.engine.begin() as conn:
        return team_requests.add_request(conn, action, {}, "mallory@desk", "now", raw_payload=raw)


def read(database: Database, request_id: int) -> team_requests.Request:
    with database.engine.connect() as conn:
        request = team_requests.get_request(conn, request_id)
    assert request is not None
    return request


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("{broken", "not valid JSON"),
        ('"a string"', "not a JSON object"),
        ("[]", "not a JSON object"),
        ("x" * (team_requests.MAX_PAYLOAD_CHARS + 1), "more than the 262,144"),
    ],
)
def test_a_broken_payload_is_read_as_malformed_never_raised(
    database: Database, raw: str, why: str
) -> None:
    request = read(database, add(database, "dismiss_issue", raw))
    assert request.payload == {}
    assert request.malformed is not None and why in request.malformed


def test_the_server_fails_each_bad_request_and_serves_the_next(
    database: Database, tmp_path: Path
) -> None:
    service = SyncService(
        Config(),
        database,
        Remotes(None, None, None, None),
        lock=SyncLock(tmp_path / "sync.lock"),
        sandbox_mode=False,
    )
    server = RequestServer(service)
    ServerActions(service).register(server)
    ids = [
        add(database, "dismiss_issue", "{broken"),
        add(database, "dismiss_issue", '{"issue": true}'),
        add(database, "dismiss_issue", '{"issue": -3}'),
        add(database, "queue_fix_name", '{"mailshot": 4, "name": ""}'),
        add(database, "no_such_thing", "{}"),
        add(database, "save_scope", '{"scope": {"mine": false, "conditions": []}}'),
    ]

    async def serve_all() -> None:
        while await server.serve_one() is not None:
            pass

    asyncio.run(serve_all())
    *bad, good = (read(database, i) for i in ids)
    assert [r.state for r in bad] == ["failed"] * 5
    assert all((r.result or "").startswith("The server refused the request: ") for r in bad)
    assert "positive whole number" in (bad[1].result or "")  # true is no id
    assert "1 to 255 characters" in (bad[3].result or "")
    answer = bad[4].answer or {}  # the desktop raises with this title and message
    assert answer.get("error_title") == "The server refused the request"
    assert "cannot do 'no_such_thing' requests" in str(answer.get("error_message"))
    assert good.state == "done", good.result


def test_dismiss_all_dismisses_the_ids_that_exist_and_refuses_a_bad_list(
    database: Database, tmp_path: Path
) -> None:
    from syncmonitor.store.issues import RecordIssue, count_open_issues, open_issues, record_issues

    with database.engine.begin() as conn:
        record_issues(
            conn,
            [RecordIssue("outreach", "person", str(n), f"P{n}", "Bad", "Fix") for n in range(3)],
            None,
        )
        ids = [i.id for i in open_issues(conn)]
    service = SyncService(
        Config(),
        database,
        Remotes(None, None, None, None),
        lock=SyncLock(tmp_path / "sync.lock"),
        sandbox_mode=False,
    )
    server = RequestServer(service)
    ServerActions(service).register(server)
    good = add(database, "dismiss_issues", json.dumps({"issues": [*ids, 999_999]}))
    bad = add(database, "dismiss_issues", json.dumps({"issues": [1, "2"]}))
    empty = add(database, "dismiss_issues", json.dumps({"issues": []}))

    async def serve_all() -> None:
        while await server.serve_one() is not None:
            pass

    asyncio.run(serve_all())
    done = read(database, good)
    assert done.state == "done" and done.answer == {"dismissed": 3}
    for request_id in (bad, empty):
        assert "must be a list of 1 to 20,000 issue ids" in (
            read(database, request_id).result or ""
        )
    with database.engine.connect() as conn:
        assert count_open_issues(conn) == 0
