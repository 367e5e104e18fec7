"""`syncmonitor cache copy --to URL`: move a one-person SQLite cache into an empty team store.

Every table the app knows is copied in one PostgreSQL transaction (all or nothing), in an order
that keeps references whole, and each id sequence is moved past the copied ids so new rows do not
collide. A team store that already holds a history is refused: two histories would mix.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Table, func, select, text

from syncmonitor.app.errors import UserFacingError
from syncmonitor.store import (  # noqa: F401 - every table on the metadata
    issues_schema,
    mailshot_schema,
    mapping_schema,
    team_schema,
    two_way_schema,
)
from syncmonitor.store.database import Database
from syncmonitor.store.schema import metadata, prospects, state_history, sync_runs

CHUNK = 5_000
# Where the copy does not go: who held the sync lock on the old computer, and its requests.
NOT_COPIED = {"sync_holder", "team_requests"}


class CopyRefusedError(UserFacingError):
    title = "The cache was not copied"


def _tables() -> list[Table]:
    return [t for t in metadata.sorted_tables if t.name not in NOT_COPIED]


def copy_cache(
    source: Database, target: Database, progress: Callable[[str, int], None] | None = None
) -> dict[str, int]:
    """Copy every row of `source` (SQLite) into `target` (an empty team store); rows per table."""
    if not target.shared:
        raise CopyRefusedError("The target is not a team store (PostgreSQL).", "")
    if not target.writable:
        raise CopyRefusedError(
            f"The login for {target.url} may only watch, so nothing can be copied into it.",
            "Copy with the syncer role (docs/team-mode.md).",
        )
    with target.engine.connect() as conn:
        held = {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (prospects, state_history, sync_runs)
        }
    if any(held.values()):
        raise CopyRefusedError(
            f"The team store {target.url} already holds a history "
            f"({held['prospects']:,} people, {held['sync_runs']:,} runs).",
            "Copy into a new, empty database (docs/team-mode.md), or point this computer at "
            "the team store as it is: its server's next sync fills it anyway.",
        )
    copied: dict[str, int] = {}
    with source.engine.connect() as src, target.engine.begin() as dst:
        for table in _tables():
            dst.execute(table.delete())  # settings rows a migration may have seeded
            count = 0
            result = src.execution_options(yield_per=CHUNK).execute(select(table))
            for chunk in result.mappings().partitions(CHUNK):
                dst.execute(table.insert(), [dict(r) for r in chunk])
                count += len(chunk)
            copied[table.name] = count
            if progress is not None:
                progress(table.name, count)
            column = table.autoincrement_column
            if column is not None:  # (pg_get_serial_sequence is NULL where there is none)
                dst.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', "
                        f"'{column.name}'), coalesce(max({column.name}), 0) + 1, false) "
                        f"FROM {table.name}"
                    )
                )
    return copied


def copy_file_to_store(
    cache_file: Path, url: str, password: str | None, progress: Callable[[str, int], None]
) -> dict[str, int]:
    """Copy the SQLite cache at `cache_file` into the empty team store at `url` (rows per table)."""
    from syncmonitor.store.database import open_database, open_store

    source = open_database(cache_file)
    try:
        target = open_store(url, password)
        try:
            return copy_cache(source, target, progress)
        finally:
            target.close()
    finally:
        source.close()
