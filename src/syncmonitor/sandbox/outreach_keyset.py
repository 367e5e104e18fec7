"""Keyset paging over a `Collection`: stable while the world changes underneath the client.

A page is "the next `size` records after the cursor key in (sort key, id) order". Because the
cursor is a key and not an offset, a record inserted or moved earlier in the order never shifts
the rest: nothing is skipped. A record updated while a client pages gets a new updatedAt, moves
behind the cursor (when sorting by updatedAt ascending) and is met again later.
"""

from __future__ import annotations

import base64
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from syncmonitor.sandbox.records import ID_MASK, Collection, updated_key

SORTS = ("id", "-id", "updatedAt", "-updatedAt")
# Below this share of the collection, an updatedAt window is cheaper to sort by id than to scan.
_NARROW_WINDOW = 0.125


class CursorError(ValueError):
    """`page[after]` is not a cursor this server handed out for this sort."""


@dataclass(frozen=True, slots=True)
class Query:
    """What to select: everything optional except the sort."""

    sort: str = "id"
    updated_from: int | None = None  # inclusive epoch ms
    updated_to: int | None = None  # inclusive epoch ms
    ids: frozenset[int] | None = None  # from filter[id] and relationship filters, intersected
    predicate: Callable[[Any], bool] | None = None  # any other filter


@dataclass(frozen=True, slots=True)
class Page:
    records: list[Any]
    next_cursor: str | None
    count: int | None


def encode_cursor(sort: str, key: int) -> str:
    return base64.urlsafe_b64encode(f"{sort}:{key}".encode()).decode().rstrip("=")


def decode_cursor(sort: str, cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        cursor_sort, key = raw.rsplit(":", 1)
        value = int(key)
    except (ValueError, UnicodeDecodeError) as error:
        raise CursorError("page[after] is not a valid cursor") from error
    if cursor_sort != sort:
        raise CursorError(f"page[after] was made for sort={cursor_sort}, not sort={sort}")
    return value


def select(
    collection: Collection[Any], query: Query, after: str | None, size: int, count: bool
) -> Page:
    """One page of records; the caller holds the world lock."""
    by_updated = query.sort.lstrip("-") == "updatedAt"
    descending = query.sort.startswith("-")

    def key_of(record: Any) -> int:
        return updated_key(record.updated_at, record.id) if by_updated else int(record.id)

    keys, total = _ordered_keys(collection, query, by_updated)
    after_key = decode_cursor(query.sort, after) if after is not None else None
    if descending:
        stop = len(keys) if after_key is None else bisect_left(keys, after_key)
        stream: Iterator[int] = (keys[i] for i in range(stop - 1, -1, -1))
    else:
        start = 0 if after_key is None else bisect_right(keys, after_key)
        stream = (keys[i] for i in range(start, len(keys)))

    records: list[Any] = []
    fetch = collection.by_id.__getitem__
    mask = ID_MASK if by_updated else -1
    for key in stream:
        record = fetch(key & mask)
        if _matches(record, query):
            records.append(record)
            if len(records) > size:
                break
    more = len(records) > size
    del records[size:]
    next_cursor = encode_cursor(query.sort, key_of(records[-1])) if more and records else None
    if count and total is None:
        total = sum(1 for k in keys if _matches(fetch(k & mask), query))
    return Page(records, next_cursor, total if count else None)


def _matches(record: Any, query: Query) -> bool:
    if query.updated_from is not None and record.updated_at < query.updated_from:
        return False
    if query.updated_to is not None and record.updated_at > query.updated_to:
        return False
    return query.predicate is None or query.predicate(record)


def _ordered_keys(
    collection: Collection[Any], query: Query, by_updated: bool
) -> tuple[list[int] | _Window, int | None]:
    """Ascending keys that hold every match (maybe more), and the match count when known free."""
    if query.ids is not None:
        found = [collection.by_id[i] for i in query.ids if i in collection.by_id]
        found = [r for r in found if _matches(r, query)]
        keys = sorted(updated_key(r.updated_at, r.id) if by_updated else r.id for r in found)
        return keys, len(keys)
    bounded = query.updated_from is not None or query.updated_to is not None
    exact = query.predicate is None  # otherwise the window still holds records to filter out
    if not bounded:
        return (collection.by_updated if by_updated else collection.ids), (
            len(collection) if exact else None
        )
    window = _Window.of(collection.by_updated, query.updated_from, query.updated_to)
    if by_updated:
        return window, len(window) if exact else None
    if len(window) < len(collection) * _NARROW_WINDOW:
        return sorted(key & ID_MASK for key in window), len(window) if exact else None
    # A wide window: walk every id and let _matches drop what lies outside it.
    return collection.ids, len(window) if exact else None


class _Window:
    """A slice of a sorted list without copying it (a page of 1000 out of 300,000 keys)."""

    __slots__ = ("items", "start", "stop")

    def __init__(self, items: list[int], start: int, stop: int) -> None:
        self.items, self.start, self.stop = items, start, max(start, stop)

    @classmethod
    def of(cls, by_updated: list[int], low: int | None, high: int | None) -> _Window:
        start = 0 if low is None else bisect_left(by_updated, updated_key(low, 0))
        stop = (
            len(by_updated) if high is None else bisect_left(by_updated, updated_key(high + 1, 0))
        )
        return cls(by_updated, start, stop)

    def __len__(self) -> int:
        return self.stop - self.start

    def __getitem__(self, index: int) -> int:
        return self.items[self.start + index]

    def __iter__(self) -> Iterator[int]:
        return (self.items[i] for i in range(self.start, self.stop))
