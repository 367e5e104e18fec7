"""The People filters, their counts, the named views and the CSV export, on SQLite and PostgreSQL.

A small world whose answers are known by construction: who opted out this week, who bounced
today, who is in which sequence, and a Salesmate contact listed under its Outreach twin.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from people_world import fill_world
from syncmonitor.domain.people_filter import BUILT_IN_VIEWS, PeopleFilter, Period, period_window
from syncmonitor.domain.states import CanonicalState, Provider
from syncmonitor.engine.people.views import PeopleViews, ViewNameError
from syncmonitor.engine.services.people import PeopleService, at

# Tuesday 1 December 2026, 12:00 UTC; the week began on Monday 30 November.
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
S = CanonicalState


@pytest.fixture
def people(tmp_path: Path, store_backend) -> PeopleService:
    db = store_backend.open(tmp_path)
    fill_world(db, NOW)
    service = PeopleService(db, tmp_path / "settings", tz=UTC)
    service.now = at(NOW)
    yield service
    db.close()


def names(people: PeopleService, filt: PeopleFilter) -> list[str]:
    return [r.name for r in people.search(filt, None, 100)]


def states(*values: CanonicalState) -> frozenset[CanonicalState]:
    return frozenset(values)


def test_no_filter_lists_everyone_once(people: PeopleService) -> None:
    listed = names(people, PeopleFilter())
    assert listed.count("Fay Twin") == 1
    assert len(listed) == people.count(PeopleFilter()) == 7


def test_state_and_period_apply_to_the_same_sequence_state(people: PeopleService) -> None:
    opted_out = PeopleFilter(states=states(S.OPTED_OUT))
    assert names(people, opted_out) == ["Ada Opted", "Ben Oldoptout"]
    # Ben's opt-out is 20 days old; his other sequence changed today: not "opted out this week".
    this_week = opted_out.but(changed=Period.THIS_WEEK)
    assert names(people, this_week) == ["Ada Opted"]
    assert people.count(this_week) == 1


def test_bounced_today_includes_a_salesmate_twin_under_its_outreach_person(
    people: PeopleService,
) -> None:
    bounced_today = PeopleFilter(states=states(S.BOUNCED), changed=Period.TODAY)
    rows = people.search(bounced_today, None, 100)
    assert [(r.name, r.provider) for r in rows] == [
        ("Cleo Bounced", "outreach"),
        ("Fay Twin", "outreach"),
    ]


def test_alternatives_within_a_kind_and_kinds_combined_with_the_search(
    people: PeopleService,
) -> None:
    either = PeopleFilter(states=states(S.BOUNCED, S.FAILED))
    assert names(people, either) == ['=HYPERLINK("http://evil")', "Cleo Bounced", "Fay Twin"]
    assert names(people, either.but(text="fay")) == ["Fay Twin"]
    assert names(people, either.but(providers=frozenset({Provider.OUTREACH}))) == ["Cleo Bounced"]


def test_sequence_filter_by_provider_and_id(people: PeopleService) -> None:
    renewals = PeopleFilter(sequences=frozenset({("salesmate", 7)}))
    assert names(people, renewals) == ['=HYPERLINK("http://evil")', "Fay Twin"]
    webinar = PeopleFilter(sequences=frozenset({("outreach", 1)}))
    assert names(people, webinar) == ["Ada Opted", "Ben Oldoptout", "Dan Active", "Fay Twin"]


def test_a_date_range_covers_whole_days(people: PeopleService) -> None:
    # Ben's opt-out was on 11 November, the failure on 22 November, Dan's change on 28 November.
    nov = PeopleFilter(
        changed=Period.RANGE, first_day=date(2026, 11, 11), last_day=date(2026, 11, 28)
    )
    assert names(people, nov) == ['=HYPERLINK("http://evil")', "Ben Oldoptout", "Dan Active"]
    assert names(people, nov.but(last_day=date(2026, 11, 21))) == ["Ben Oldoptout"]
    assert names(people, nov.but(first_day=date(2026, 11, 23))) == ["Dan Active"]


def test_each_choice_counts_the_people_it_would_give(people: PeopleService) -> None:
    base = PeopleFilter(changed=Period.THIS_WEEK)
    counts = people.counts(base)
    # With "this week" kept, each state's count is the list that state would give.
    for state, n in counts.states.items():
        assert n == people.count(base.but(states=states(state))), state
    assert counts.states[S.BOUNCED] == 2 and counts.states[S.OPTED_OUT] == 1
    assert S.ACTIVE_RUNNING not in counts.states  # Dan changed 3 days ago: this week is 1 day
    # The period counts ignore the period chosen and keep the rest.
    for period, n in counts.periods.items():
        assert n == people.count(base.but(changed=period)), period
    assert counts.periods[Period.TODAY] == 3  # Ben (finished), Cleo, Fay (Salesmate bounce)
    for provider, n in counts.providers.items():
        assert n == people.count(base.but(providers=frozenset({Provider(provider)})))
    by_name = {s.name: s.people for s in counts.sequences}
    assert by_name == {"Webinar follow-up": 1, "Demo request": 2, "Renewals": 1}


def test_counts_follow_the_search_text(people: PeopleService) -> None:
    counts = people.counts(PeopleFilter(text="fay"))
    assert counts.states == {S.ACTIVE_RUNNING: 1, S.BOUNCED: 1}
    assert counts.providers == {"outreach": 1, "salesmate": 1}


def test_periods_are_counted_in_local_time() -> None:
    zone = ZoneInfo("Pacific/Auckland")  # 1 December 12:00 UTC is 2 December 01:00 there
    window = period_window(Period.TODAY, NOW, zone)
    assert window.since == "2026-12-01T11:00:00.000Z"
    week = period_window(Period.THIS_WEEK, NOW, zone)
    assert week.since == "2026-11-29T11:00:00.000Z"  # Monday 30 November, 00:00 in Auckland


def test_export_writes_every_matching_person_escaped_with_a_bom(
    people: PeopleService, tmp_path: Path
) -> None:
    path = tmp_path / "people.csv"
    written = people.export_csv(PeopleFilter(states=states(S.FAILED, S.BOUNCED)), path)
    assert written == 3
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 only with the BOM
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Name", "Email", "Provider"]
    assert rows[1][0] == '\'=HYPERLINK("http://evil")'  # a formula reaches Excel as text
    assert rows[1][1] == "'-sum@x.test"
    assert [r[0] for r in rows[2:]] == ["Cleo Bounced", "Fay Twin"]
    assert rows[3][5] == "Bounced"
    assert not list(tmp_path.glob(".*partial"))


def test_export_of_more_than_one_window(people: PeopleService, tmp_path: Path, monkeypatch) -> None:
    from syncmonitor.engine.people import export

    monkeypatch.setattr(export, "WINDOW", 2)
    assert people.export_csv(PeopleFilter(), tmp_path / "all.csv") == 7


def test_views_start_with_the_built_ins_and_survive_a_restart(tmp_path: Path) -> None:
    views = PeopleViews(tmp_path / "people-views.json")
    assert [v.name for v in views.all()] == [v.name for v in BUILT_IN_VIEWS]
    mine = PeopleFilter(text="acme", states=states(S.BOUNCED), changed=Period.LAST_7_DAYS)
    views.save("Acme bounces", mine)
    views.rename("Bounced this week", "Bounces (week)")
    views.delete("Changed today")
    again = PeopleViews(tmp_path / "people-views.json")
    assert [v.name for v in again.all()] == [
        "Opted out this week",
        "Bounces (week)",
        "Failed or disabled",
        "Acme bounces",
    ]
    assert again.find("acme BOUNCES").filter == mine  # type: ignore[union-attr]


def test_view_names_are_checked(tmp_path: Path) -> None:
    views = PeopleViews(tmp_path / "people-views.json")
    with pytest.raises(ViewNameError, match="already a view"):
        views.save("opted out THIS week", PeopleFilter())
    with pytest.raises(ViewNameError, match="needs a name"):
        views.save("   ", PeopleFilter())
    views.save("Opted out this week", PeopleFilter(), replace=True)  # saving over is allowed
    hostile = views.save("Bad\x1b]0;title\x07 name\u202e\n", PeopleFilter())
    assert hostile.name == "Bad ]0;title name"  # no terminal escapes, no bidi override


def test_a_damaged_views_file_is_set_aside(tmp_path: Path) -> None:
    path = tmp_path / "people-views.json"
    path.write_text("{not json", encoding="utf-8")
    views = PeopleViews(path)
    assert [v.name for v in views.all()] == [v.name for v in BUILT_IN_VIEWS]
    assert (tmp_path / "people-views.damaged.json").read_text(encoding="utf-8") == "{not json"


def test_a_filter_saved_by_a_newer_version_keeps_what_this_one_knows() -> None:
    saved = {"states": ["Bounced", "Teleported"], "changed": "next week", "providers": ["x"]}
    assert PeopleFilter.from_dict(saved) == PeopleFilter(states=states(S.BOUNCED))
    f = PeopleFilter(
        text="a",
        states=states(S.FAILED),
        providers=frozenset({Provider.SALESMATE}),
        sequences=frozenset({("outreach", 3)}),
        changed=Period.RANGE,
        first_day=date(2026, 1, 2),
        last_day=date(2026, 3, 4),
    )
    assert PeopleFilter.from_dict(f.to_dict()) == f


def test_paging_keeps_two_people_with_the_same_name_and_number(
    people: PeopleService, tmp_path: Path
) -> None:
    from sqlalchemy import insert

    from syncmonitor.store.schema import prospects

    with people.database.engine.begin() as conn:  # Salesmate contact 1, another Ada Opted
        conn.execute(
            insert(prospects),
            {
                "provider": "salesmate",
                "id": 1,
                "email": "ada@elsewhere.test",
                "name": "Ada Opted",
                "opted_out": False,
                "search_text": "ada opted ada@elsewhere.test",
            },
        )
    seen, after = [], None
    while page := people.search(PeopleFilter(), after, 1):  # a window ends between the two
        seen.append((page[0].name, page[0].provider))
        after = page[-1].key
    assert seen[1:3] == [("Ada Opted", "outreach"), ("Ada Opted", "salesmate")]
    assert len(seen) == people.count(PeopleFilter()) == 8
