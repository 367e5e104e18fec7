"""Seed 001's matching: the record each prospect matched, and activities parked until a
Workbooks record with the prospect's address exists (see store/matching_schema.py).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "prospect_matches",
        sa.Column("provider", sa.String(16), primary_key=True),
        sa.Column("prospect_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("record_type", sa.String(16), nullable=False),
        sa.Column("record_id", sa.Integer, nullable=False),
        sa.Column("matched_by", sa.String(32), nullable=False),
        sa.Column("matched_at", sa.Text, nullable=False),
    )
    op.create_table(
        "parked_activities",
        sa.Column("outreach_type", sa.String(16), primary_key=True),
        sa.Column("outreach_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("prospect_id", sa.Integer, nullable=False),
        sa.Column("email", sa.Text, nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("parked_at", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
    )
    op.create_index("ix_parked_activities_prospect", "parked_activities", ["prospect_id"])


def downgrade() -> None:
    op.drop_index("ix_parked_activities_prospect", "parked_activities")
    op.drop_table("parked_activities")
    op.drop_table("prospect_matches")
