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
    Column("queued_at", Text),  # ISO 8601 UTC, as every time below
    Column("syncing_since", Text),  # first seen synchronising (or the previous arrival)
    Column("arrived_at", Text),  # the campaign's creation in Spotler
    Column("campaign_id", Text),
    Column("sync_error", Text),
    Column("deleted", Boolean, nullable=False, default=False),
    Column("reason", Text),  # why it left the queue, in words
    Column("copy_of", Integer),  # made by Fix name from this mailshot
    Column("replaced_by", Integer),  # Fix name made this copy of it
    Column("fix_reference", Text),  # the created_through_reference of a copy being made
    Column("updated_at", Text),  # Workbooks' updated_at
    Column("first_seen_at", Text, nullable=False),
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
