"""Tables for the Issues list and the richer run record (migration 0003)."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Index, Integer, String, Table, Text, UniqueConstraint

from syncmonitor.store.schema import metadata

# One row per record that did not sync, keyed by where the error came from and which record it
# is, so a repeat updates the row (and its count) instead of adding another.
sync_issues = Table(
    "sync_issues",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(32), nullable=False),  # "workbooks.push", later "salesmate.push"
    Column("record_type", String(32), nullable=False),  # "person", "mailshot"
    Column("record_key", Text, nullable=False),  # the id the retry needs, e.g. a prospect id
    Column("record_label", Text, nullable=False, default=""),  # "Ada Lovelace <ada@…>"
    Column("problem", Text, nullable=False),  # what the remote answered
    Column("todo", Text, nullable=False, default=""),  # what the person can do
    Column("first_seen", Text, nullable=False),
    Column("last_seen", Text, nullable=False),
    Column("occurrences", Integer, nullable=False, default=1),
    Column("run_id", Integer),
    Column("dismissed", Boolean, nullable=False, default=False),
    UniqueConstraint("source", "record_type", "record_key", name="uq_sync_issues_record"),
)
Index("ix_sync_issues_open", sync_issues.c.dismissed, sync_issues.c.last_seen)
