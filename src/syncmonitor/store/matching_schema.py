"""Tables of seed 001's matching (migration 0007).

- `prospect_matches`: the Workbooks record (a Person or a Sales Lead) each prospect's address
  matched at the last sync, and how (main email, Contact Details, sales lead), for the person's
  page.
- `parked_activities`: an Outreach task, call or meeting whose prospect no Workbooks record
  matched yet. Kept, with what is needed to create it later, until a record with the prospect's
  address exists; then created at the next sync and removed from here. Parked, never lost.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, String, Table, Text

from syncmonitor.store.schema import metadata

prospect_matches = Table(
    "prospect_matches",
    metadata,
    Column("provider", String(16), primary_key=True),
    Column("prospect_id", Integer, primary_key=True, autoincrement=False),
    Column("record_type", String(16), nullable=False),  # person, sales_lead
    Column("record_id", Integer, nullable=False),
    Column("matched_by", String(32), nullable=False),
    Column("matched_at", Text, nullable=False),
)

parked_activities = Table(
    "parked_activities",
    metadata,
    Column("outreach_type", String(16), primary_key=True),  # task, call, meeting
    Column("outreach_id", Integer, primary_key=True, autoincrement=False),
    Column("prospect_id", Integer, nullable=False),
    Column("email", Text, nullable=False, default=""),  # the prospect's addresses, lower case
    Column("payload", Text, nullable=False),  # JSON: the Outreach resource and its prospect
    Column("parked_at", Text, nullable=False),
    Column("reason", Text, nullable=False, default=""),
)
Index("ix_parked_activities_prospect", parked_activities.c.prospect_id)
