"""`syncmonitor mappings export/import` as a script runs them: in a child process, with its own
SYNCMONITOR_HOME, all or nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from syncmonitor.domain.mappings.files import CSV_COLUMNS


def run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SYNCMONITOR_HOME": str(home), "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.run(
        [sys.executable, "-m", "syncmonitor", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_export_import_round_trip_and_a_bad_file_changes_nothing(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    good = tmp_path / "mine.csv"
    good.write_text(
        ",".join(CSV_COLUMNS)
        + "\nstatus,lead,Qualified,Replied,,,,,,,,,,,"
        + "\nstatus,contact,Client – fidèle,New,,,,,,,,,,,"
        + "\nfield,organisation_account,name,name,,send,true,true,false,,,false,,false,false\n",
        encoding="utf-8",
    )
    done = run(home, "mappings", "import", str(good))
    assert done.returncode == 0, done.stderr
    assert "Lead Status: 1 rule(s)" in done.stdout

    exported = tmp_path / "out.json"
    done = run(home, "mappings", "export", str(exported))
    assert done.returncode == 0, done.stderr
    document = json.loads(exported.read_text(encoding="utf-8"))
    assert document["status_mappings"]["lead"] == [
        {"crm_status": "Qualified", "stage": "Replied", "stage_id": None}
    ]
    assert document["status_mappings"]["contact"][0]["crm_status"] == "Client – fidèle"
    assert document["field_mappings"]["organisation_account"][0]["options"]["skip_empty_sending"]

    bad = tmp_path / "bad.csv"
    bad.write_text(
        ",".join(CSV_COLUMNS)
        + "\nstatus,lead,Qualified,Replied,,,,,,,,,,,\nstatus,lead,Working,Replied,,,,,,,,,,,\n",
        encoding="utf-8",
    )
    refused = run(home, "mappings", "import", str(bad))
    assert refused.returncode == 1
    assert "already mapped" in refused.stderr and "Nothing was imported" in refused.stderr
    again = tmp_path / "again.json"
    assert run(home, "mappings", "export", "--format", "json", str(again)).returncode == 0
    assert json.loads(again.read_text(encoding="utf-8")) == document  # unchanged

    unknown = run(home, "mappings", "import", str(tmp_path / "mappings"))
    assert unknown.returncode == 1 and "--format" in unknown.stderr


def test_import_checks_names_against_the_cached_values_exactly(tmp_path: Path) -> None:
    from syncmonitor.domain.mappings.values import CrmSource, CrmStatus, Stage, StatusKind
    from syncmonitor.store import mappings as store
    from syncmonitor.store.database import open_database

    home = tmp_path / "home"
    (home / "data").mkdir(parents=True)
    assert run(home, "mappings", "export", str(tmp_path / "x.json")).returncode == 0
    database = next(home.rglob("cache.sqlite3"))
    db = open_database(database)
    with db.engine.begin() as conn:
        store.replace_stages(conn, [Stage(1, "New", 1), Stage(3, "Replied", 3)], "now")
        store.replace_statuses(
            conn, CrmSource.WORKBOOKS, StatusKind.LEAD, [CrmStatus("Qualified")], "now"
        )
    db.close()
    typo = tmp_path / "typo.csv"
    typo.write_text(
        ",".join(CSV_COLUMNS) + "\nstatus,lead,qualified,Replied,,,,,,,,,,,\n", encoding="utf-8"
    )
    refused = run(home, "mappings", "import", str(typo))
    assert refused.returncode == 1
    assert "Did you mean 'Qualified'" in refused.stderr and "Nothing was imported" in refused.stderr
    good = tmp_path / "good.csv"
    good.write_text(
        ",".join(CSV_COLUMNS) + "\nstatus,lead,Qualified,Replied,,,,,,,,,,,\n", encoding="utf-8"
    )
    assert run(home, "mappings", "import", str(good)).returncode == 0
    exported = tmp_path / "out.json"
    assert run(home, "mappings", "export", str(exported)).returncode == 0
    lead = json.loads(exported.read_text(encoding="utf-8"))["status_mappings"]["lead"]
    assert lead == [{"crm_status": "Qualified", "stage": "Replied", "stage_id": 3}]
