"""The cache's tables for mappings: the saved mappings, and the remote values they are made of.

Saved mappings are rows (one per rule, with its position) so a save replaces a whole mapping in
one transaction. The sources (Outreach stages, CRM status values, field metadata) are the last
copy read from the remotes, with when it was read, so the editors open instantly and work offline.
`mapped_records` keeps the records the mapping sync last read (CRM people and Outreach prospects,
as the JSON the mapping layer takes), for the dry-run preview.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Index, Integer, String, Table, Text

from syncmonitor.store.schema import metadata

status_mapping_rules = Table(
    "status_mapping_rules",
    metadata,
    Column("kind", String(16), primary_key=True),  # StatusKind
    Column("position", Integer, primary_key=True, autoincrement=False),
    Column("crm_status", Text, nullable=False),
    Column("stage_name", Text, nullable=False),
    Column("stage_id", Integer),
)

field_mapping_rules = Table(
    "field_mapping_rules",
    metadata,
    Column("pair", String(32), primary_key=True),  # ObjectPair
    Column("position", Integer, primary_key=True, autoincrement=False),
    Column("crm_field", Text, nullable=False),
    Column("outreach_field", Text, nullable=False),
    Column("direction", String(8), nullable=False),
    Column("enabled", Boolean, nullable=False, default=True),
    Column("options", Text, nullable=False, default="{}"),  # JSON of FieldOptions
)

mapping_settings = Table(
    "mapping_settings",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

outreach_stages = Table(
    "outreach_stages",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("name", Text, nullable=False),
    Column("stage_order", Integer),
    Column("color", Text),
)

crm_status_values = Table(
    "crm_status_values",
    metadata,
    Column("source", String(16), primary_key=True),  # CrmSource
    Column("kind", String(16), primary_key=True),  # StatusKind
    Column("api_name", Text, primary_key=True),
    Column("label", Text, nullable=False, default=""),
    Column("is_converted", Boolean, nullable=False, default=False),
    Column("is_default", Boolean, nullable=False, default=False),
    Column("sort_order", Integer, nullable=False, default=0),
)

remote_fields = Table(
    "remote_fields",
    metadata,
    Column("source", String(16), primary_key=True),  # workbooks, salesforce, outreach
    Column("record_type", String(32), primary_key=True),  # person, prospect, ...
    Column("name", Text, primary_key=True),
    Column("label", Text, nullable=False, default=""),
    Column("kind", String(16), nullable=False),  # FieldKind
    Column("read_only", Boolean, nullable=False, default=False),
    Column("reference_to", Text),
)

# When each source was last read, and the error of the last failed refresh ('' when fine).
mapping_source_reads = Table(
    "mapping_source_reads",
    metadata,
    Column("source", String(64), primary_key=True),
    Column("read_at", Text),
    Column("error", Text, nullable=False, default=""),
)

mapped_records = Table(
    "mapped_records",
    metadata,
    Column("side", String(8), primary_key=True),  # crm, outreach
    Column("record_type", String(32), primary_key=True),
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("linked_id", Integer),  # the record on the other side, when linked
    Column("label", Text, nullable=False, default=""),
    Column("data", Text, nullable=False),  # JSON
    Column("seen_at", Text, nullable=False),
)
Index("ix_mapped_records_linked", mapped_records.c.side, mapped_records.c.linked_id)
