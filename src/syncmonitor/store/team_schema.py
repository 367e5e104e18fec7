"""Team-mode tables: who holds the sync lock, and the requests watching desktops send the server.

Both exist on SQLite too (one schema for both engines); only a team store fills them.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Index, Integer, String, Table, Text

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

# What a watching desktop asked the server to do. waiting -> running -> done | failed
# (or cancelled while waiting). A request found `running` by the daemon that now holds the store's
# lock was left by one that died; it is waiting again, unless its effect is recorded as finished
# (a sync run with trigger "request:<id>"), so nothing is ever done twice.
team_requests = Table(
    "team_requests",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("action", String(32), nullable=False),  # "sync", "sync_person", ...
    Column("payload", Text, nullable=False),  # JSON
    Column("requested_by", Text, nullable=False),  # "user@host"
    Column("requested_at", Text, nullable=False),
    Column("state", String(16), nullable=False),
    Column("claimed_by", Text),  # "host:pid" of the daemon carrying it out
    Column("claimed_at", Text),
    Column("attempts", Integer, nullable=False, default=0, server_default="0"),
    Column("finished_at", Text),
    Column("ok", Boolean),
    Column("result", Text),  # what happened, in words, for the desktop
    Column("answer", Text),  # JSON the handler returned beyond words (a copy's id, a count)
)
Index("ix_team_requests_state", team_requests.c.state, team_requests.c.id)
