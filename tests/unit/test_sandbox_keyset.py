"""Keyset paging over a changing collection, with no HTTP in the way."""

from __future__ import annotations

import pytest

from syncmonitor.sandbox.outreach_keyset import CursorError, Query, select
from syncmonitor.sandbox.records import Collection, Stage


def make(count: int) -> Collection[Stage]:
    collection: Collection[Stage] = Collection()
    collection.load(
        [Stage(i, f"s{i}", i, "#000", 1000 + (i * 7) % 50) for i in range(1, count + 1)]
    )
    return collection


def walk(collection: Collection[Stage], query: Query, size: int) -> list[int]:
    seen: list[int] = []
    cursor = None
    while True:
        page = select(collection, query, cursor, size, count=False)
        seen += [r.id for r in page.records]
        if page.next_cursor is None:
            return seen
        cursor = page.next_cursor


@pytest.mark.parametrize("sort", ["id", "-id", "updatedAt", "-updatedAt"])
def test_every_record_once_in_order(sort: str) -> None:
    collection = make(101)
    seen = walk(collection, Query(sort=sort), 10)
    assert sorted(seen) == list(range(1, 102))
    keys = [(collection.by_id[i].updated_at, i) if "updated" in sort else i for i in seen]
    assert keys == sorted(keys, reverse=sort.startswith("-"))


def test_a_record_touched_behind_the_cursor_is_met_again() -> None:
    collection = make(30)
    first = select(collection, Query(sort="updatedAt"), None, 10, count=True)
    assert first.count == 30
    moved = first.records[0]
    collection.touch(moved, 5000)  # updated "now": after everything else
    rest = walk_from(collection, first.next_cursor)
    assert rest[-1] == moved.id
    assert sorted({r.id for r in first.records} | set(rest)) == list(range(1, 31))


def walk_from(collection: Collection[Stage], cursor: str | None) -> list[int]:
    seen: list[int] = []
    while cursor is not None:
        page = select(collection, Query(sort="updatedAt"), cursor, 10, count=False)
        seen += [r.id for r in page.records]
        cursor = page.next_cursor
    return seen


def test_updated_windows_are_inclusive_and_counted() -> None:
    collection = make(200)
    stamps = sorted(r.updated_at for r in collection)
    low, high = stamps[40], stamps[120]
    expected = {r.id for r in collection if low <= r.updated_at <= high}
    for sort in ("id", "updatedAt", "-updatedAt"):
        query = Query(sort=sort, updated_from=low, updated_to=high)
        assert set(walk(collection, query, 13)) == expected
        assert select(collection, query, None, 5, count=True).count == len(expected)


def test_predicates_and_id_sets_are_counted_exactly() -> None:
    collection = make(50)
    query = Query(ids=frozenset({1, 2, 3, 40, 99}), predicate=lambda r: r.id != 2)
    page = select(collection, query, None, 2, count=True)
    assert page.count == 3 and [r.id for r in page.records] == [1, 3]
    assert walk(collection, query, 2) == [1, 3, 40]


def test_cursors_are_bound_to_their_sort() -> None:
    collection = make(20)
    cursor = select(collection, Query(sort="id"), None, 5, count=False).next_cursor
    with pytest.raises(CursorError):
        select(collection, Query(sort="updatedAt"), cursor, 5, count=False)
    with pytest.raises(CursorError):
        select(collection, Query(sort="id"), "not-a-cursor", 5, count=False)
