"""The sandbox's Workbooks value indexes never change an answer, only how fast it comes.

Every check asks the same question of two `WorkbooksApi`s over one world: one answers lookups
from the indexes, the other always scans (the reference). Their answers must be byte-identical:
same records, order, paging, columns and total, and the same refusals.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import orjson
import pytest

from syncmonitor.sandbox.faults import Faults
from syncmonitor.sandbox.http_types import Request
from syncmonitor.sandbox.records import Person
from syncmonitor.sandbox.timefmt import workbooks_datetime
from syncmonitor.sandbox.workbooks_api import WorkbooksApi
from syncmonitor.sandbox.workbooks_fields import PERSON_FIELDS
from syncmonitor.sandbox.workbooks_filters import cover_of
from syncmonitor.sandbox.workbooks_index import AllOf, AnyOf, Lookup
from syncmonitor.sandbox.world import World

KEY = "test-key"
PEOPLE = "/workbooks/crm/people.api"
Pairs = list[tuple[str, str]]
LOOKUP_FIELDS = (
    "cf_person_outreach_id",
    "main_location[email]",
    "id",
    "person_first_name",
    "person_last_name",
    "name",
    "object_ref",
    "cf_person_sequence_state",
    "employer_link",
    "employer_name",
    "no_email_soliciting",
    "updated_at",
    "lock_version",
)


class Pair:
    """An indexed API and a scanning API over one world, and a way to compare them."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.faults = Faults()
        self.indexed = WorkbooksApi(world, KEY, self.faults)
        self.scan = WorkbooksApi(world, KEY, Faults(), use_index=False)

    def read(self, pairs: Pairs, path: str = PEOPLE) -> dict[str, Any]:
        query = urlencode([("api_key", KEY), *pairs])
        answers = []
        for api in (self.indexed, self.scan):
            response = api.handle(Request("GET", path, query, {"user-agent": "t/1"}, b"", "x"))
            answers.append((response.status, response.body))
        assert answers[0] == answers[1], pairs
        document: dict[str, Any] = orjson.loads(answers[0][1])
        return document

    def write(self, form: Pairs, path: str = PEOPLE) -> dict[str, Any]:
        headers = {"user-agent": "t/1", "content-type": "application/x-www-form-urlencoded"}
        body = urlencode([("api_key", KEY), *form]).encode()
        response = self.indexed.handle(Request("PUT", path, "", headers, body, "x"))
        assert response.status == 200
        result: dict[str, Any] = orjson.loads(response.body)
        return result


@pytest.fixture
def pair() -> Iterator[Pair]:
    yield Pair(World.generate(seed=11, people=1500))


def where(field: str, op: str, value: str = "") -> Pairs:
    return [("_ff[]", field), ("_ft[]", op), ("_fc[]", value)]


def lookup(field: str, values: list[str], mode: str | None = "or") -> Pairs:
    pairs = [p for v in values for p in where(field, "eq", v)]
    return pairs + ([("_fm", mode)] if mode is not None else [])


def value_of(world: World, field: str, person: Person, rng: random.Random) -> str:
    """What a client would send to find `person` by `field`, in some letter case."""
    raw = PERSON_FIELDS[field].read(world, person)
    if raw is None:
        return rng.choice(["", "nobody", "424242"])
    if field in ("created_at", "updated_at"):
        return str(workbooks_datetime(raw))
    text = str(raw).lower() if isinstance(raw, bool) else str(raw)
    return rng.choice([text, text.upper(), text.lower(), text.swapcase(), f" {text}"])


def random_values(pair: Pair, rng: random.Random, field: str, count: int) -> list[str]:
    people = list(pair.world.people.values())
    deleted = [p for p in people if p.is_deleted]
    chosen = rng.sample(people, count)
    if deleted and rng.random() < 0.5:
        chosen[0] = rng.choice(deleted)
    values = [value_of(pair.world, field, p, rng) for p in chosen]
    values += rng.sample(values, min(len(values), rng.randrange(3)))  # duplicates
    values.append(rng.choice(["no-such-value", "99999999", "", "TRUE"]))
    rng.shuffle(values)
    return values


def random_options(rng: random.Random) -> Pairs:
    options: Pairs = []
    if rng.random() < 0.5:
        options += [("_sort", rng.choice(["id", "main_location[email]", "updated_at", "name"]))]
        options += [("_dir", rng.choice(["ASC", "DESC", "desc"]))]
    if rng.random() < 0.6:
        options += [("_start", str(rng.randrange(4))), ("_limit", str(rng.randrange(1, 30)))]
    if rng.random() < 0.3:
        options += [("_select_columns[]", "cf_person_outreach_id")]
    if rng.random() < 0.3:
        options += [("_skip_total_rows", "true")]
    return options


def random_filter(pair: Pair, rng: random.Random) -> Pairs:
    """A lookup in one of the shapes clients send, sometimes wrapped in more conditions."""
    field = rng.choice(LOOKUP_FIELDS)
    values = random_values(pair, rng, field, rng.randrange(1, 25))
    n = len(values)
    shape = rng.randrange(8)
    if shape == 0:
        return lookup(field, values)
    if shape == 1:
        return lookup(field, values, " OR ".join(str(i) for i in range(1, n + 1)))
    if shape == 2:
        return lookup(field, values, "(" + ") || (".join(str(i) for i in range(n, 0, -1)) + ")")
    if shape == 3:  # the lookup as _filter_json
        conditions = [[field, "eq", v] for v in values]
        return [("_filter_json", orjson.dumps(conditions).decode()), ("_fm", "or")]
    if shape == 4:  # and a delta sync's "show me deleted ones too"
        extra = where("is_deleted", "true") + where("is_deleted", "false")
        mode = f"({' OR '.join(str(i) for i in range(1, n + 1))}) AND ({n + 1} OR {n + 2})"
        return lookup(field, values, None) + extra + [("_fm", mode)]
    if shape == 5:  # a single value, the default mode
        return lookup(field, values[:1], rng.choice([None, "and", "1", "OR"]))
    if shape == 6:  # and a second, unbounded condition
        mode = f"({' OR '.join(str(i) for i in range(1, n + 1))}) AND NOT {n + 1}"
        return lookup(field, values, None) + where("no_email_soliciting", "true") + [("_fm", mode)]
    other = rng.choice(LOOKUP_FIELDS)  # two fields, or an OR with an unbounded part
    more = random_values(pair, rng, other, rng.randrange(1, 5))
    op = rng.choice(["eq", "eq", "ct", "ne"])
    first_other = lookup(other, more, None)[:3]
    mode = rng.choice(["or", "and", "OR"])
    return [*lookup(field, values, None), *first_other, *where(other, op, more[-1]), ("_fm", mode)]


def compare_many(pair: Pair, rng: random.Random, rounds: int) -> None:
    for _ in range(rounds):
        pair.read(random_filter(pair, rng) + random_options(rng))


def test_lookups_match_the_scan_on_random_value_sets(pair: Pair) -> None:
    assert any(p.is_deleted for p in pair.world.people.values())
    assert any(p.email != (p.email or "").lower() for p in pair.world.people.values())
    compare_many(pair, random.Random(1), 400)
    assert ("crm/people", "cf_person_outreach_id") in pair.world.workbooks_index.built()
    assert ("crm/people", "employer_name") not in pair.world.workbooks_index.built()


def test_a_lookup_answers_from_the_index_and_finds_what_it_should(pair: Pair) -> None:
    people = [p for p in pair.world.people.values() if not p.is_deleted]
    mixed = next(p for p in people if p.email != (p.email or "").lower())
    found = pair.read(lookup("main_location[email]", [(mixed.email or "").lower(), "x@y.z"]))
    assert [r["id"] for r in found["data"]] == [mixed.id] and found["total"] == 1
    assert pair.world.workbooks_index.built() == [("crm/people", "main_location[email]")]
    gone = next(p for p in pair.world.people.values() if p.is_deleted)
    assert pair.read(lookup("id", [str(gone.id)]))["data"] == []
    shown = pair.read(lookup("id", [str(gone.id)], None) + where("is_deleted", "true"))
    assert [r["id"] for r in shown["data"]] == [gone.id]


def test_bad_lookups_are_refused_the_same_way(pair: Pair) -> None:
    for pairs in (
        lookup("id", ["12", "twelve"]),
        lookup("updated_at", ["not a date"]),
        lookup("shoe_size", ["9"]),
        lookup("id", ["1", "2"], "1 OR 3"),
        lookup("id", ["1", "2"], "1 OR"),
        [*lookup("id", ["1"]), ("_select_columns[]", "shoe_size")],
    ):
        assert pair.read(pairs)["success"] is False


def _put(person: Person, **fields: str) -> Pairs:
    form = [*where("id", "eq", str(person.id))]
    form += [("__method[]", "PUT"), ("id[]", str(person.id))]
    form += [("lock_version[]", str(person.lock_version))]
    return form + [(f"{name}[]", value) for name, value in fields.items()]


def test_lookups_follow_writes_to_the_indexed_fields(pair: Pair) -> None:
    rng = random.Random(2)
    compare_many(pair, rng, 60)  # build the indexes first, so writes must update them
    world = pair.world
    person = world.people[10007]
    old_id, old_email = person.outreach_id, person.email or ""
    assert pair.write(_put(person, cf_person_outreach_id="777777"))["success"] is True
    pair.write(_put(world.people[10008], **{"main_location[email]": old_email.upper()}))
    assert [r["id"] for r in pair.read(lookup("cf_person_outreach_id", ["777777"]))["data"]] == [
        10007
    ]
    assert 10007 not in {
        r["id"] for r in pair.read(lookup("cf_person_outreach_id", [str(old_id)]))["data"]
    }
    both = pair.read(lookup("main_location[email]", [old_email.swapcase()]))["data"]
    assert {r["id"] for r in both} == {10007, 10008}
    pair.write(_put(world.people[10009], cf_person_outreach_id=":null_value:"))
    pair.write(_put(world.people[10010], person_first_name="Zebedee"))
    full_name = f"zebedee {world.people[10010].last_name}"
    assert [r["id"] for r in pair.read(lookup("name", [full_name]))["data"]] == [10010]
    version = str(world.people[10011].lock_version)
    deleting = [("__method[]", "DELETE"), ("id[]", "10011"), ("lock_version[]", version)]
    assert pair.write(where("id", "eq", "10011") + deleting)["success"] is True
    assert pair.read(lookup("id", ["10011"]))["data"] == []
    creating = [("__method[]", "POST"), ("cf_person_outreach_id[]", "777777")]
    created = pair.write(where("id", "eq", "0") + creating)
    new_id = created["affected_objects"][0]["id"]
    found = pair.read(lookup("cf_person_outreach_id", ["777777"]))["data"]
    assert [r["id"] for r in found] == [10007, new_id]
    compare_many(pair, rng, 150)


def test_a_rolled_back_batch_and_a_lock_conflict_keep_the_index_true(pair: Pair) -> None:
    rng = random.Random(3)
    compare_many(pair, rng, 40)
    world = pair.world
    first, second = world.people[10020], world.people[10021]
    stale = _put(second, cf_person_outreach_id="888888")
    stale[-2] = ("lock_version[]", str(second.lock_version + 5))
    form = _put(first, cf_person_outreach_id="888888")[3:] + stale[3:]
    form = where("id", "eq", "10020") + where("id", "eq", "10021") + [("_fm", "or")] + form
    assert pair.write(form)["success"] is False
    assert pair.read(lookup("cf_person_outreach_id", ["888888"]))["data"] == []
    before = first.lock_version
    pair.read(lookup("lock_version", [str(before)]))
    pair.faults.update({"lock_conflict_next": 1})
    conflict = pair.write(_put(first, cf_person_outreach_id="888888"))
    assert conflict["success"] is False and first.lock_version == before + 1
    assert 10020 in {r["id"] for r in pair.read(lookup("lock_version", [str(before + 1)]))["data"]}
    assert 10020 not in {r["id"] for r in pair.read(lookup("lock_version", [str(before)]))["data"]}
    compare_many(pair, rng, 80)


def test_lookups_match_the_scan_after_live_ticks(pair: Pair) -> None:
    rng = random.Random(4)
    for _ in range(5):
        compare_many(pair, rng, 30)
        pair.world.apply_changes(40)


def test_an_organisation_rename_shows_in_employer_name_lookups(pair: Pair) -> None:
    world = pair.world
    org = next(iter(world.organisations.values()))
    pair.read(lookup("employer_name", [org.name or ""]))
    form = [*where("id", "eq", str(org.id)), ("__method[]", "PUT"), ("id[]", str(org.id))]
    form += [("lock_version[]", str(org.lock_version)), ("name[]", "Renamed Ltd")]
    assert pair.write(form, "/workbooks/crm/organisations.api")["success"] is True
    renamed = pair.read(lookup("employer_name", ["RENAMED LTD"]))["data"]
    assert renamed and {r["employer_link"] for r in renamed} == {org.id}
    assert pair.read(lookup("name", ["renamed ltd"]), "/workbooks/crm/organisations.api")["data"]


def test_a_version_bumped_without_the_index_drops_it(pair: Pair) -> None:
    world = pair.world
    person = world.people[10030]
    pair.read(lookup("cf_person_outreach_id", ["1"]))
    assert world.workbooks_index.built()
    with world.lock:  # a change made the old way: the version moves, the index is not told
        person.outreach_id = "555555"
        world.workbooks_version += 1
    assert [r["id"] for r in pair.read(lookup("cf_person_outreach_id", ["555555"]))["data"]] == [
        10030
    ]


def test_covers_bound_only_what_they_can() -> None:
    people = PERSON_FIELDS

    def cover(conditions: list[tuple[str, str, str | None]], mode: str | None) -> Any:
        return cover_of(people, conditions, mode)

    by_email: list[tuple[str, str, str | None]] = [
        ("main_location[email]", "eq", v) for v in ("A@x.io", "b@X.io")
    ]
    merged = cover(by_email, "or")
    assert isinstance(merged, Lookup) and merged.keys == frozenset({"a@x.io", "b@x.io"})
    assert cover(by_email, "1 || (2)") == merged
    ids = cover([("id", "eq", " 12 "), ("id", "eq", "13")], "or")
    assert isinstance(ids, Lookup) and ids.by_id and ids.keys == frozenset({12, 13})
    assert cover([*by_email, ("id", "gt", "5")], "or") is None
    assert cover([*by_email, ("id", "gt", "5")], "(1 OR 2) AND 3") == merged
    assert cover(by_email, "NOT 1") is None
    assert cover([("employer_name", "eq", "x")], None) is None
    assert isinstance(cover([*by_email, ("id", "eq", "3")], "or"), AnyOf)
    assert isinstance(cover([*by_email, ("id", "eq", "3")], "and"), AllOf)
    assert cover([], "or") is None
