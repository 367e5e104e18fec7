"""The GatorMail mailshot queue: mailshots and their timeline.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 18:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mailshots",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("lock_version", sa.Integer(), nullable=False),
        sa.Column("mailing_list_id", sa.Integer(), nullable=True),
        sa.Column("audience", sa.Integer(), nullable=True),
        sa.Column("queued_at", sa.Text(), nullable=True),
        sa.Column("syncing_since", sa.Text(), nullable=True),
        sa.Column("arrived_at", sa.Text(), nullable=True),
        sa.Column("campaign_id", sa.Text(), nullable=True),
        sa.Column("sync_error", sa.Text(), nullable=True),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("copy_of", sa.Integer(), nullable=True),
        sa.Column("replaced_by", sa.Integer(), nullable=True),
        sa.Column("fix_reference", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.Text(), nullable=True),
        sa.Column("first_seen_at", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "mailshot_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("mailshot_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.Text(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_mailshot_events_mailshot", "mailshot_events", ["mailshot_id", "id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_mailshot_events_mailshot", table_name="mailshot_events")
    op.drop_table("mailshot_events")
    op.drop_table("mailshots")
