"""Mapping tables: saved status and field mappings, their remote sources, records for the preview.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 18:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "status_mapping_rules",
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("crm_status", sa.Text, nullable=False),
        sa.Column("stage_name", sa.Text, nullable=False),
        sa.Column("stage_id", sa.Integer),
    )
    op.create_table(
        "field_mapping_rules",
        sa.Column("pair", sa.String(32), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("crm_field", sa.Text, nullable=False),
        sa.Column("outreach_field", sa.Text, nullable=False),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("options", sa.Text, nullable=False),
    )
    op.create_table(
        "mapping_settings",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_table(
        "outreach_stages",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("stage_order", sa.Integer),
        sa.Column("color", sa.Text),
    )
    op.create_table(
        "crm_status_values",
        sa.Column("source", sa.String(16), primary_key=True),
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("api_name", sa.Text, primary_key=True),
        sa.Column("label", sa.Text, nullable=False),
        sa.Column("is_converted", sa.Boolean, nullable=False),
        sa.Column("is_default", sa.Boolean, nullable=False),
        sa.Column("sort_order", sa.Integer, nullable=False),
    )
    op.create_table(
        "remote_fields",
        sa.Column("source", sa.String(16), primary_key=True),
        sa.Column("record_type", sa.String(32), primary_key=True),
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("label", sa.Text, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("read_only", sa.Boolean, nullable=False),
        sa.Column("reference_to", sa.Text),
    )
    op.create_table(
        "mapping_source_reads",
        sa.Column("source", sa.String(64), primary_key=True),
        sa.Column("read_at", sa.Text),
        sa.Column("error", sa.Text, nullable=False),
    )
    op.create_table(
        "mapped_records",
        sa.Column("side", sa.String(8), primary_key=True),
        sa.Column("record_type", sa.String(32), primary_key=True),
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("linked_id", sa.Integer),
        sa.Column("label", sa.Text, nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("seen_at", sa.Text, nullable=False),
    )
    op.create_index("ix_mapped_records_linked", "mapped_records", ["side", "linked_id"])


def downgrade() -> None:
    op.drop_index("ix_mapped_records_linked", table_name="mapped_records")
    for table in (
        "mapped_records",
        "mapping_source_reads",
        "remote_fields",
        "crm_status_values",
        "outreach_stages",
        "mapping_settings",
        "field_mapping_rules",
        "status_mapping_rules",
    ):
        op.drop_table(table)
