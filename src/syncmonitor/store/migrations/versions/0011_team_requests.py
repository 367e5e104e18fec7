"""Requests from watching desktops to the team server: who asked what, when, its state and result.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "team_requests",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("requested_by", sa.Text, nullable=False),
        sa.Column("requested_at", sa.Text, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("claimed_by", sa.Text),
        sa.Column("claimed_at", sa.Text),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("finished_at", sa.Text),
        sa.Column("ok", sa.Boolean),
        sa.Column("result", sa.Text),
    )
    op.create_index("ix_team_requests_state", "team_requests", ["state", "id"])


def downgrade() -> None:
    op.drop_index("ix_team_requests_state", table_name="team_requests")
    op.drop_table("team_requests")
