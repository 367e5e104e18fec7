"""Value indexes for Workbooks reads: "people whose <field> equals any of these values".

The app's commonest Workbooks read names 40-100 values of one field (`cf_person_outreach_id`,
`main_location[email]`, `id`) as `eq` conditions joined by OR. Trying every condition on each of
100,000 people takes seconds; the real Workbooks answers from database indexes in milliseconds.

So a read first reduces its filter to a *cover* (`workbooks_filters.cover_of`): lookups of `eq`
values, combined by `AnyOf`/`AllOf`, that hold every record the filter can match (or None when
the filter cannot be bounded that way, and the read scans). The read then applies the whole
filter to the covered records, in store order, exactly as the scan would: an index can only make
a read faster, never give it an extra record. It could only lose one by missing a change, which is
why every change to a Workbooks record goes through `LookupIndex.changed` (as
`World.workbooks_changed`): that re-indexes the records and bumps `World.workbooks_version`. A
version bumped any other way drops every index (they are rebuilt on next use), so a forgotten
call costs speed, not correctness.

One index per (endpoint, field), built on first use: value -> id, or set of ids when several
records share it. Text values are casefolded, as the filters compare them; None is never indexed
(`eq` never matches a blank). `CROSS_RECORD_FIELDS` are never indexed: their value comes from
another record (a person's `employer_name` is its organisation's name), whose change would not
re-index the records that show it.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

if TYPE_CHECKING:
    from syncmonitor.sandbox.world import World

CROSS_RECORD_FIELDS = frozenset({"employer_name"})


@dataclass(frozen=True, slots=True)
class Lookup:
    """The records whose `field` equals one of `keys` (already casefolded or parsed)."""

    field: str
    read: Callable[[World, Any], Any]
    text: bool
    keys: frozenset[Hashable]
    by_id: bool = False  # the field is the record id: the store is its own index


@dataclass(frozen=True, slots=True)
class AnyOf:
    """The union of the parts' records."""

    parts: tuple[Cover, ...]


@dataclass(frozen=True, slots=True)
class AllOf:
    """The intersection of the parts' records."""

    parts: tuple[Cover, ...]


Cover: TypeAlias = "Lookup | AnyOf | AllOf"


class _FieldIndex:
    """One field of one store: normalised value -> id(s), and id -> its value's key."""

    __slots__ = ("by_value", "key_of", "read", "text")

    def __init__(self, read: Callable[[World, Any], Any], text: bool) -> None:
        self.read = read
        self.text = text
        self.by_value: dict[Hashable, int | set[int]] = {}
        self.key_of: dict[int, Hashable] = {}

    def key(self, world: World, record: Any) -> Hashable | None:
        value = self.read(world, record)
        if value is None:
            return None
        return str(value).casefold() if self.text else value

    def add(self, world: World, record: Any) -> None:
        key = self.key(world, record)
        if key is None:
            return
        record_id: int = record.id
        self.key_of[record_id] = key
        held = self.by_value.get(key)
        if held is None:
            self.by_value[key] = record_id
        elif isinstance(held, set):
            held.add(record_id)
        else:
            self.by_value[key] = {held, record_id}

    def remove(self, record_id: int) -> None:
        if record_id not in self.key_of:
            return
        key = self.key_of.pop(record_id)
        held = self.by_value[key]
        if isinstance(held, set):
            held.discard(record_id)
            if len(held) == 1:
                self.by_value[key] = next(iter(held))
        else:
            del self.by_value[key]

    def ids(self, keys: Iterable[Hashable]) -> set[int]:
        found: set[int] = set()
        for key in keys:
            held = self.by_value.get(key)
            if held is None:
                continue
            if isinstance(held, set):
                found |= held
            else:
                found.add(held)
        return found


class LookupIndex:
    """Every field index of one world. Callers hold `World.lock`."""

    def __init__(self) -> None:
        self._fields: dict[tuple[str, str], _FieldIndex] = {}
        self._version = 0  # the World.workbooks_version the indexes are true for

    def built(self) -> list[tuple[str, str]]:
        """The (endpoint path, field) indexes that exist now."""
        return list(self._fields)

    def candidates(self, world: World, path: str, store: dict[int, Any], cover: Cover) -> set[int]:
        """Ids of the records of `store` (the `path` endpoint's) that `cover` holds."""
        if self._version != world.workbooks_version:
            self._fields.clear()  # changed without telling us: rebuild on demand
            self._version = world.workbooks_version
        return self._resolve(world, path, store, cover)

    def changed(self, world: World, path: str, records: Iterable[Any]) -> None:
        """`records` of the `path` endpoint were created or changed: re-index them, bump the
        world's `workbooks_version` (cached reads go stale). The caller holds the world lock."""
        in_step = self._version == world.workbooks_version
        world.workbooks_version += 1
        if not in_step:
            self._fields.clear()
        else:
            indexes = [index for (p, _), index in self._fields.items() if p == path]
            for record in records if indexes else ():
                for index in indexes:
                    index.remove(record.id)
                    index.add(world, record)
        self._version = world.workbooks_version

    def _resolve(self, world: World, path: str, store: dict[int, Any], cover: Cover) -> set[int]:
        if isinstance(cover, Lookup):
            if cover.by_id:
                return {key for key in cover.keys if key in store}
            return self._field(world, path, store, cover).ids(cover.keys)
        parts = [self._resolve(world, path, store, part) for part in cover.parts]
        if isinstance(cover, AnyOf):
            return set[int]().union(*parts)
        parts.sort(key=len)
        return parts[0].intersection(*parts[1:])

    def _field(self, world: World, path: str, store: dict[int, Any], lookup: Lookup) -> _FieldIndex:
        index = self._fields.get((path, lookup.field))
        if index is None:
            index = _FieldIndex(lookup.read, lookup.text)
            for record in store.values():
                index.add(world, record)
            self._fields[(path, lookup.field)] = index
        return index
