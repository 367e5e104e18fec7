"""Scratch space for one import: a set of 64-bit digests with the line each was first seen on,
in a private temporary SQLite file (deleted when closed), so that finding the repeated rows of
a million-row export costs a few megabytes of memory instead of a hundred or more.

Not the cache: nothing here outlives the check that made it. Used from one thread.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from types import TracebackType

_CHUNK = 500


class DigestSet:
    """`domain.salesmate_export.SeenTransitions` on disk."""

    def __init__(self) -> None:
        # "": a private temporary database on disk, removed when the connection closes.
        self._conn = sqlite3.connect("")
        self._conn.execute("PRAGMA cache_size=-4000")  # 4 MB of pages in memory at most
        self._conn.execute("PRAGMA journal_mode=OFF")
        self._conn.execute("PRAGMA synchronous=OFF")
        self._conn.execute("CREATE TABLE seen (digest INTEGER PRIMARY KEY, line INTEGER NOT NULL)")

    def first_lines(self, digests: Sequence[int]) -> dict[int, int]:
        found: dict[int, int] = {}
        for i in range(0, len(digests), _CHUNK):
            chunk = list(digests[i : i + _CHUNK])
            marks = ",".join("?" * len(chunk))
            query = f"SELECT digest, line FROM seen WHERE digest IN ({marks})"
            found.update(self._conn.execute(query, chunk).fetchall())
        return found

    def add(self, firsts: Iterable[tuple[int, int]]) -> None:
        self._conn.executemany("INSERT INTO seen (digest, line) VALUES (?, ?)", firsts)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> DigestSet:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
