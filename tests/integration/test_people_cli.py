"""`syncmonitor people list`: the window's filters, views and CSV export for scripts."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from people_world import fill_world
from syncmonitor.app.paths import app_paths
from syncmonitor.cli import main
from syncmonitor.cli.exit_codes import EXIT_NOT_FOUND, EXIT_OK, EXIT_USAGE
from syncmonitor.domain.people_filter import PeopleFilter
from syncmonitor.domain.states import CanonicalState
from syncmonitor.domain.timestamps import utc_now
from syncmonitor.engine.people.views import PeopleViews
from syncmonitor.store.database import open_database


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SYNCMONITOR_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    paths = app_paths().ensure()
    db = open_database(paths.database_file)
    fill_world(db, utc_now())
    db.close()
    return tmp_path / "home"


def names(out: str) -> list[str]:
    return [line.split("\t")[0] for line in out.splitlines()]


def test_states_periods_providers_and_sequences_filter_the_list(home: Path, capsys) -> None:
    assert main(["people", "list", "--state", "opted-out", "--changed", "7d"]) == EXIT_OK
    out, err = capsys.readouterr()
    assert names(out) == ["Ada Opted"]
    assert "1 person: Opted Out · changed last 7 days" in err
    main(["people", "list", "--state", "Bounced", "--state", "failed", "--provider", "salesmate"])
    assert names(capsys.readouterr().out) == ['=HYPERLINK("http://evil")', "Fay Twin"]
    main(["people", "list", "--sequence", "webinar FOLLOW-UP", "--search", "a"])
    assert names(capsys.readouterr().out) == ["Ada Opted", "Dan Active", "Fay Twin"]


def test_count_and_csv_to_a_file_and_to_standard_output(home: Path, tmp_path: Path, capsys) -> None:
    assert main(["people", "list", "--state", "bounced", "--count"]) == EXIT_OK
    assert capsys.readouterr().out.strip() == "2"
    target = tmp_path / "bounced.csv"
    assert main(["people", "list", "--state", "bounced", "--csv", str(target)]) == EXIT_OK
    err = capsys.readouterr().err
    assert f"Wrote 2 people (Bounced) to {target}" in err
    assert target.read_bytes().startswith(b"\xef\xbb\xbf")
    assert main(["people", "list", "--state", "failed", "--csv"]) == EXIT_OK
    out = capsys.readouterr().out
    assert not out.startswith("\ufeff")  # a pipe gets no BOM
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0][0] == "Name" and rows[1][:2] == ['\'=HYPERLINK("http://evil")', "'-sum@x.test"]


def test_a_named_view_of_the_window(home: Path, capsys) -> None:
    views = PeopleViews(app_paths().config_dir / "people-views.json")
    views.save("Needs a look", PeopleFilter(states=frozenset({CanonicalState.FAILED})))
    assert main(["people", "list", "--view", "needs a look"]) == EXIT_OK
    assert names(capsys.readouterr().out) == ['=HYPERLINK("http://evil")']
    assert main(["people", "list", "--view", "Opted out this week", "--count"]) == EXIT_OK


def test_unknown_words_are_usage_errors_that_say_what_to_type(home: Path, capsys) -> None:
    assert main(["people", "list", "--state", "teleported"]) == EXIT_USAGE
    assert (
        "unknown state 'teleported'; use one of: active, active-paused" in capsys.readouterr().err
    )
    assert main(["people", "list", "--changed", "yesterday"]) == EXIT_USAGE
    assert main(["people", "list", "--view", "Nope"]) == EXIT_USAGE
    assert "views: 'Opted out this week'" in capsys.readouterr().err
    assert main(["people", "list", "--sequence", "Nope"]) == EXIT_NOT_FOUND
    assert main(["people", "list", "--since", "2026-02-01", "--until", "2026-01-01"]) == EXIT_USAGE
