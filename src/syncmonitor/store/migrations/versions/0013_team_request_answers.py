"""A team request's answer: what the server's handler returns beyond words (a Fix name's copy, a
scope's count), as JSON, for the desktop that asked.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 16:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("team_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("answer", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("team_requests", schema=None) as batch_op:
        batch_op.drop_column("answer")
