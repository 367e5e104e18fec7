"""The cache's tables for the GatorMail mailshot queue (SQLAlchemy Core, on the shared metadata).

`mailshots` holds the latest known facts and state of every mailshot the queue has seen;
`mailshot_events` is each mailshot's timeline: one row per state change, with where the news came
from. A mailshot never leaves `mailshots`: when it leaves the queue its state and `reason` say
why (arrived, deleted in Workbooks, replaced by a shorter copy, cancelled).
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Index, Integer, Table, Text

from syncmonitor.store.schema import metadata

mailshots = Table(
    "mailshots",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),  # the Workbooks id
    Column("name", Text, nullable=False, default=""),
    Column("status", Text, nullable=False, default=""),  # Workbooks' own status
    Column("state", Text, nullable=False),  # domain.mailshot_queue.QueueState
    Column("lock_version", Integer, nullable=False, default=0),
    Column("mailing_list_id", Integer),
    Column("audience", Integer),
    # ISO 8601 UTC, as every time below. Inferred: the Workbooks save (updated_at) that set the
    # status meaning "Synchronise was pressed" (no document has a queue time).
    Column("queued_at", Text),
    Column("syncing_since", Text),  # first seen synchronising (or the previous arrival)
    Column("arrived_at", Text),  # when its Spotler campaign was first seen
    Column("campaign_id", Text),  # the Spotler campaign's encryptedId, matched by name
    Column("sync_error", Text),  # unused since 0007 (no document has such a field)
    Column("deleted", Boolean, nullable=False, default=False),
    Column("reason", Text),  # why it left the queue, in words
    Column("copy_of", Integer),  # made by Fix name from this mailshot
    Column("replaced_by", Integer),  # Fix name made this copy of it
    Column("fix_reference", Text),  # the created_through_reference of a copy being made
    Column("updated_at", Text),  # Workbooks' updated_at
    Column("first_seen_at", Text, nullable=False),
    Column("matched_by", Text),  # which Spotler read matched it, how, and when
    Column("subject", Text),
)

# Every status value seen for integrated mailshots, and what it means to the queue
# (domain.mailshots.statuses): guessed from its words until an admin confirms it in Settings.
mailshot_statuses = Table(
    "mailshot_statuses",
    metadata,
    Column("value", Text, primary_key=True),
    Column("role", Text, nullable=False),
    Column("confirmed", Boolean, nullable=False, default=False),
    Column("source", Text, nullable=False),
    Column("first_seen_at", Text, nullable=False),
)

# What an admin recorded having seen where no API reads it: kind "api_key" (its Until date, or
# none) or "integration" (ok: 'Integration running' had its green check). Newest row wins.
mailshot_checks = Table(
    "mailshot_checks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", Text, nullable=False),
    Column("checked_at", Text, nullable=False),
    Column("valid_until", Text),
    Column("ok", Boolean),
)

mailshot_events = Table(
    "mailshot_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("mailshot_id", Integer, nullable=False),
    Column("at", Text, nullable=False),
    Column("state", Text, nullable=False),
    Column("detail", Text, nullable=False, default=""),
    Column("source", Text, nullable=False, default=""),  # Workbooks, Spotler, Sync Monitor
)
Index("ix_mailshot_events_mailshot", mailshot_events.c.mailshot_id, mailshot_events.c.id)
