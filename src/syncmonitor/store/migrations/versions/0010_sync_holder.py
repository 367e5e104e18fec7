"""Who holds a store's sync lock: host, process and since when (both engines).

On a team store the lock itself is a PostgreSQL advisory lock (engine/team/lock.py), released by
the server when the holder's connection ends, so a crashed holder never blocks the next one; this
row only says who it is, for the message a second daemon or a desktop's Sync now gets.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 13:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sync_holder",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("host", sa.Text, nullable=False),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("since", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("sync_holder")
