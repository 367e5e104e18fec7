"""Team-mode tables: who holds the sync lock, and the requests watching desktops send the server.

Both exist on SQLite too (one schema for both engines); only a team store fills them.
"""

from __future__ import annotations

from sqlalchemy import Column, Integer, String, Table, Text

from syncmonitor.store.schema import metadata

sync_holder = Table(
    "sync_holder",
    metadata,
    Column("name", String(32), primary_key=True),  # "sync": the one lock a store has
    Column("host", Text, nullable=False),
    Column("pid", Integer, nullable=False),
    Column("role", String(16), nullable=False),  # "server" (the daemon), "desktop", "command"
    Column("since", Text, nullable=False),  # ISO 8601 UTC
)
