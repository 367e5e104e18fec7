"""Bulk writes: upserts over the schema's Core tables, rows sent with the driver's executemany.

Core's executemany of dictionaries costs about 3x raw sqlite3 on this machine, the ORM about 60x.
The statements are plain INSERT ... ON CONFLICT texts whose table and column names are checked
against the Core `Table`, and the rows go to the driver as tuples (sqlite3, or psycopg, whose
executemany pipelines the rows in one round trip), inside the caller's
transaction (a SQLAlchemy Connection), so they commit or roll back with everything else.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table

from syncmonitor.store.dialect import driver_sql


def _names(table: Table, columns: Sequence[str]) -> list[str]:
    unknown = [c for c in columns if c not in table.c]
    if unknown:
        raise ValueError(f"{table.name} has no column(s) {unknown}")
    return list(columns)


def upsert_sql(
    table: Table,
    columns: Sequence[str],
    keys: Sequence[str],
    *,
    newer_column: str | None = None,
) -> str:
    """INSERT ... ON CONFLICT(keys) DO UPDATE for `columns`, taking positional tuples.

    With `newer_column`, an existing row is only overwritten by a row at least as new (so a page
    re-read out of order never rolls a record back).
    """
    cols = _names(table, columns)
    _names(table, keys)
    updates = ", ".join(f"{c} = excluded.{c}" for c in cols if c not in keys)
    sql = (
        f"INSERT INTO {table.name} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))}) "
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}"
    )
    if newer_column is not None:
        _names(table, [newer_column])
        sql += (
            f" WHERE excluded.{newer_column} >= {table.name}.{newer_column}"
            f" OR {table.name}.{newer_column} IS NULL"
        )
    return sql


def insert_ignore_sql(table: Table, columns: Sequence[str]) -> str:
    """INSERT ... ON CONFLICT DO NOTHING (any unique constraint), taking positional tuples."""
    cols = _names(table, columns)
    return (
        f"INSERT INTO {table.name} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))}) "
        "ON CONFLICT DO NOTHING"
    )


def executemany(conn: Connection, sql: str, rows: Sequence[Sequence[Any]]) -> int:
    """Run `sql` for every row on the connection's driver cursor; returns rows changed."""
    if not rows:
        return 0
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.executemany(driver_sql(conn, sql), rows)
        return int(cursor.rowcount)
    finally:
        cursor.close()
