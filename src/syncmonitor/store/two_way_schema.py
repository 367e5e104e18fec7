"""Tables of the two-way sync (migration 0006).

- `record_links`: each Workbooks record linked to its Outreach twin, with the value every mapped
  field had when the two last agreed (JSON), for conflict detection and the person page.
- `sync_conflicts`: every conflict met (both sides changed one field), for review per run.
- `delete_hazards`: a linked record deleted on one side that still exists on the other.
- `activity_links`: what the inbound sync created in Workbooks for an Outreach task or call, so
  a second run creates nothing.
- `two_way_settings`: the scope filter and other small saved values, by name.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, String, Table, Text

from syncmonitor.store.schema import metadata

record_links = Table(
    "record_links",
    metadata,
    Column("kind", String(16), primary_key=True),  # person, organisation, opportunity
    Column("crm_id", Integer, primary_key=True, autoincrement=False),
    Column("outreach_id", Integer, nullable=False),
    Column("label", Text, nullable=False, default=""),
    Column("crm_updated_at", Text),  # as last read, ISO 8601 UTC
    Column("outreach_updated_at", Text),
    Column("last_values", Text, nullable=False, default="{}"),  # JSON {crm field: value}
    Column("crm_values", Text, nullable=False, default="{}"),  # JSON: the record as last read
    Column("outreach_values", Text, nullable=False, default="{}"),
    Column("synced_at", Text, nullable=False),
)
Index("ix_record_links_outreach", record_links.c.kind, record_links.c.outreach_id)

sync_conflicts = Table(
    "sync_conflicts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", Integer),
    Column("kind", String(16), nullable=False),
    Column("crm_id", Integer, nullable=False),
    Column("outreach_id", Integer, nullable=False),
    Column("label", Text, nullable=False, default=""),
    Column("crm_field", Text, nullable=False),
    Column("outreach_field", Text, nullable=False),
    Column("crm_value", Text, nullable=False, default=""),
    Column("outreach_value", Text, nullable=False, default=""),
    Column("last_value", Text, nullable=False, default=""),
    Column("rule", String(16), nullable=False),
    Column("winner", String(16), nullable=False),  # crm / outreach
    Column("at", Text, nullable=False),
)
Index("ix_sync_conflicts_run", sync_conflicts.c.run_id)

delete_hazards = Table(
    "delete_hazards",
    metadata,
    Column("kind", String(16), primary_key=True),
    Column("crm_id", Integer, primary_key=True, autoincrement=False),
    Column("outreach_id", Integer, nullable=False),
    Column("label", Text, nullable=False, default=""),
    Column("deleted_side", String(16), nullable=False),  # crm / outreach
    Column("detected_at", Text, nullable=False),
    Column("resolved_at", Text),
    Column("resolution", Text),  # deleted / unlinked
)

activity_links = Table(
    "activity_links",
    metadata,
    Column("outreach_type", String(16), primary_key=True),  # task, call, meeting
    Column("outreach_id", Integer, primary_key=True, autoincrement=False),
    Column("workbooks_endpoint", String(32), nullable=False),
    Column("workbooks_id", Integer, nullable=False),
    Column("created_at", Text, nullable=False),
)

two_way_settings = Table(
    "two_way_settings",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)
