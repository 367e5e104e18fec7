"""What differs between the two engines a store runs on (SQLite, PostgreSQL), in one place.

Both speak INSERT ... ON CONFLICT, but SQLAlchemy builds it from each dialect's own `insert`:
`upsert_insert` picks the one of the connection at hand. `driver_sql` turns the bulk writers'
qmark statements (store/bulk.py) into the driver's own placeholder style.
"""

from __future__ import annotations

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite

Insert = sqlite.Insert | postgresql.Insert


def upsert_insert(conn: Connection, table: Table) -> Insert:
    """An INSERT for `table` that knows `on_conflict_do_update/do_nothing` on this connection."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def is_postgresql(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


def driver_sql(conn: Connection, sql: str) -> str:
    """A statement written with `?` placeholders, in the driver's style (psycopg: `%s`).

    Only for the statements store/bulk.py generates: they hold no literal `?` or `%`.
    """
    if conn.dialect.paramstyle in ("format", "pyformat"):
        return sql.replace("%", "%%").replace("?", "%s")
    return sql
