"""Two-way sync tables: record links with last-synced values, conflicts, delete hazards,
activity links and saved settings (see store/two_way_schema.py).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 19:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "record_links",
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("crm_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("outreach_id", sa.Integer, nullable=False),
        sa.Column("label", sa.Text, nullable=False),
        sa.Column("crm_updated_at", sa.Text),
        sa.Column("outreach_updated_at", sa.Text),
        sa.Column("last_values", sa.Text, nullable=False),
        sa.Column("crm_values", sa.Text, nullable=False),
        sa.Column("outreach_values", sa.Text, nullable=False),
        sa.Column("synced_at", sa.Text, nullable=False),
    )
    op.create_index("ix_record_links_outreach", "record_links", ["kind", "outreach_id"])
    op.create_table(
        "sync_conflicts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.Integer),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("crm_id", sa.Integer, nullable=False),
        sa.Column("outreach_id", sa.Integer, nullable=False),
        sa.Column("label", sa.Text, nullable=False),
        sa.Column("crm_field", sa.Text, nullable=False),
        sa.Column("outreach_field", sa.Text, nullable=False),
        sa.Column("crm_value", sa.Text, nullable=False),
        sa.Column("outreach_value", sa.Text, nullable=False),
        sa.Column("last_value", sa.Text, nullable=False),
        sa.Column("rule", sa.String(16), nullable=False),
        sa.Column("winner", sa.String(16), nullable=False),
        sa.Column("at", sa.Text, nullable=False),
    )
    op.create_index("ix_sync_conflicts_run", "sync_conflicts", ["run_id"])
    op.create_table(
        "delete_hazards",
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("crm_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("outreach_id", sa.Integer, nullable=False),
        sa.Column("label", sa.Text, nullable=False),
        sa.Column("deleted_side", sa.String(16), nullable=False),
        sa.Column("detected_at", sa.Text, nullable=False),
        sa.Column("resolved_at", sa.Text),
        sa.Column("resolution", sa.Text),
    )
    op.create_table(
        "activity_links",
        sa.Column("outreach_type", sa.String(16), primary_key=True),
        sa.Column("outreach_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("workbooks_endpoint", sa.String(32), nullable=False),
        sa.Column("workbooks_id", sa.Integer, nullable=False),
        sa.Column("created_at", sa.Text, nullable=False),
    )
    op.create_table(
        "two_way_settings",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("two_way_settings")
    op.drop_table("activity_links")
    op.drop_table("delete_hazards")
    op.drop_index("ix_sync_conflicts_run", "sync_conflicts")
    op.drop_table("sync_conflicts")
    op.drop_index("ix_record_links_outreach", "record_links")
    op.drop_table("record_links")
