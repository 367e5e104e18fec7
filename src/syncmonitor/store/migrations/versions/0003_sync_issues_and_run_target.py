"""The Issues list (per-record sync errors) and what a run was asked to sync.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 18:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sync_issues",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("record_type", sa.String(length=32), nullable=False),
        sa.Column("record_key", sa.Text(), nullable=False),
        sa.Column("record_label", sa.Text(), nullable=False),
        sa.Column("problem", sa.Text(), nullable=False),
        sa.Column("todo", sa.Text(), nullable=False),
        sa.Column("first_seen", sa.Text(), nullable=False),
        sa.Column("last_seen", sa.Text(), nullable=False),
        sa.Column("occurrences", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("dismissed", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source", "record_type", "record_key", name="uq_sync_issues_record"),
    )
    with op.batch_alter_table("sync_issues", schema=None) as batch_op:
        batch_op.create_index("ix_sync_issues_open", ["dismissed", "last_seen"], unique=False)
    # What the run was asked for: "" for everything, "person:123", "mailshot:9".
    with op.batch_alter_table("sync_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("target", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("sync_runs", schema=None) as batch_op:
        batch_op.drop_column("target")
    with op.batch_alter_table("sync_issues", schema=None) as batch_op:
        batch_op.drop_index("ix_sync_issues_open")
    op.drop_table("sync_issues")
