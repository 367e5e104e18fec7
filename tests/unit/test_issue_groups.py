"""The Issues list by cause, and one deleted person as one issue with its consequences."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert

from store_backends import open_sqlite
from syncmonitor.engine.issue_groups import consequence_text, group_issues
from syncmonitor.engine.issues import UNMATCHED_TODO, person_issue
from syncmonitor.engine.services.issues import IssuesService
from syncmonitor.engine.two_way.outbound.writes import hazard_problem
from syncmonitor.store import two_way as two_way_store
from syncmonitor.store.database import Database
from syncmonitor.store.issues import (
    RecordIssue,
    count_open_issues,
    open_issues,
    record_issues,
)
from syncmonitor.store.schema import sequence_states

UNMATCHED = "No Workbooks person or sales lead has this Outreach id or email address."


def unmatched(prospect: int, name: str) -> RecordIssue:
    return person_issue(("outreach", prospect), name, UNMATCHED, unmatched=True)


def refused(prospect: int, name: str, answer: str) -> RecordIssue:
    return person_issue(("outreach", prospect), name, answer, unmatched=False)


def hazard_issue(crm_id: int, prospect: int, name: str) -> RecordIssue:
    hazard = two_way_store.Hazard("person", crm_id, prospect, name, "crm", "2026-11-30T10:00Z")
    return RecordIssue(
        "outreach.prospects",
        "person",
        f"workbooks:{crm_id}",
        name,
        hazard_problem(hazard),
        "Choose Delete in Outreach too or Unlink.",
    )


def cache(tmp_path: Path) -> Database:
    db = open_sqlite(tmp_path / "cache.db")
    with db.engine.begin() as conn:
        record_issues(
            conn,
            [unmatched(100 + i, f"Person {i}") for i in range(12)]
            + [
                refused(200, "Ada", "Field 'cf_person_sequence_state' is not a known field"),
                refused(201, "Bob", "Field 'cf_person_sequence_step' is not a known field"),
                refused(202, "Cy", "Lock version 7 is out of date"),
            ],
            None,
        )
    return db


def test_twelve_unmatched_people_are_one_cause_with_one_thing_to_do(tmp_path: Path) -> None:
    db = cache(tmp_path)
    with db.engine.connect() as conn:
        groups = group_issues(open_issues(conn))
    titles = {g.title: g.count for g in groups}
    assert titles["12 people have no Workbooks record"] == 12
    # The same answer about different fields is one cause; a different answer is another.
    assert titles["Workbooks refused 2 people: Field '…' is not a known field"] == 2
    assert titles["Workbooks refused 1 person: Lock version 7 is out of date"] == 1
    assert len(groups) == 3
    people = next(g for g in groups if g.count == 12)
    assert people.todo == UNMATCHED_TODO
    assert {i.record_label for i in people.issues} == {f"Person {i}" for i in range(12)}
    db.close()


def test_a_group_is_dismissed_at_once_and_comes_back_per_record(tmp_path: Path) -> None:
    db = cache(tmp_path)
    service = IssuesService(db)
    people = next(g for g in service.groups() if g.count == 12)
    assert asyncio.run(service.dismiss_many(people.ids)) == 12
    assert service.count() == 3
    assert [g.count for g in service.groups()] == [1, 2]
    everything = service.groups(include_dismissed=True)
    assert next(g for g in everything if g.count == 12).dismissed
    db.close()


def test_one_deleted_person_is_one_issue_with_its_consequence(
    tmp_path: Path,
    store_backend: Any,
) -> None:
    """A cache that holds both kinds (as every cache written before this change does) shows the
    delete hazard alone, with "and so: no Workbooks person" as its consequence (SQLite and the
    PostgreSQL team store)."""
    db = store_backend.open(tmp_path)
    with db.engine.begin() as conn:
        record_issues(conn, [unmatched(70, "Sean O'Brien"), unmatched(71, "Other")], None)
        record_issues(conn, [unmatched(70, "Sean O'Brien")], None)  # seen 2×
        record_issues(conn, [hazard_issue(10070, 70, "Sean O'Brien")], None)
        two_way_store.note_hazards(
            conn,
            [two_way_store.Hazard("person", 10070, 70, "Sean O'Brien", "crm", "2026-11-30T10:00Z")],
        )
        conn.execute(
            insert(sequence_states),
            [
                {"provider": "outreach", "id": n, "prospect_id": 70, "state": "active"}
                for n in range(3)
            ],
        )
    with db.engine.connect() as conn:
        found = open_issues(conn)
        assert count_open_issues(conn) == 2  # Sean's deletion and the other person
    assert [i.record_label for i in found] == ["Sean O'Brien", "Other"]
    sean = found[0]
    assert sean.source == "outreach.prospects"
    assert [c.record_key for c in sean.consequences] == ["70"]
    assert sean.consequences[0].occurrences == 2
    assert sean.held_states == 3
    assert consequence_text(sean).startswith(
        "And so: no Workbooks person for 3 sequence states of this prospect."
    )
    assert len(sean.ids) == 2  # dismissing the deletion dismisses its consequence too

    # Unlinked: the prospect lives on with no Workbooks person, which is its own issue again.
    with db.engine.begin() as conn:
        two_way_store.resolve_hazard(conn, "person", 10070, "unlinked", "2026-11-30T11:00Z")
    with db.engine.connect() as conn:
        labels = sorted(i.record_label for i in open_issues(conn))
        assert count_open_issues(conn) == 3
    assert labels == ["Other", "Sean O'Brien", "Sean O'Brien"]
    db.close()


def test_the_issues_command_prints_the_causes_as_the_page_shows_them(
    tmp_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from syncmonitor.cli import main

    db = open_sqlite(_data_dir() / "cache.sqlite3")
    with db.engine.begin() as conn:
        record_issues(conn, [unmatched(100 + i, f"Person {i}") for i in range(12)], None)
        record_issues(
            conn,
            [
                refused(200, "Ada", "Field 'cf_person_sequence_state' is not a known field"),
                refused(201, "Bob", "Field 'cf_person_sequence_step' is not a known field"),
                refused(202, "Cy", "Lock version 7 is out of date"),
            ],
            None,
        )
    db.close()
    assert main(["issues"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("15 open issues, 3 causes:")
    assert "\n12 people have no Workbooks record (Workbooks update)\n" in text
    assert text.count("What to do:") == 3  # once per cause, not once per record
    assert main(["issues", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["open"] == 15
    assert [c["count"] for c in data["causes"]] == [1, 2, 12]
    assert data["causes"][2]["records"][0]["record"] == "Person 11"
    assert main(["status"]) == 0
    assert "Issues: 15 open, 3 causes (`syncmonitor issues`" in capsys.readouterr().out


def _data_dir() -> Path:
    from syncmonitor.app.paths import app_paths

    folder = app_paths().data_dir
    folder.mkdir(parents=True, exist_ok=True)
    return folder
