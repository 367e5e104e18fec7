"""The GatorMail queue on documented reads: the mailshot status values found in Workbooks and what
each means, what an admin recorded seeing (the API key's Until date, 'Integration running'), and
on each mailshot which Spotler read matched it and its subject (see store/mailshot_schema.py).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("mailshots", schema=None) as batch_op:
        batch_op.add_column(sa.Column("matched_by", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("subject", sa.Text(), nullable=True))
    op.create_table(
        "mailshot_statuses",
        sa.Column("value", sa.Text(), primary_key=True),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("confirmed", sa.Boolean(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("first_seen_at", sa.Text(), nullable=False),
    )
    op.create_table(
        "mailshot_checks",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("checked_at", sa.Text(), nullable=False),
        sa.Column("valid_until", sa.Text(), nullable=True),
        sa.Column("ok", sa.Boolean(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("mailshot_checks")
    op.drop_table("mailshot_statuses")
    with op.batch_alter_table("mailshots", schema=None) as batch_op:
        batch_op.drop_column("subject")
        batch_op.drop_column("matched_by")
