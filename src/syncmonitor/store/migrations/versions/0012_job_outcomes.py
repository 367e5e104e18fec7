"""Each run's per-job outcomes: which parts succeeded, failed (and why), were skipped or off;
and the remotes the sync may write to (the first two-way sync is previewed and confirmed).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 13:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # JSON list, in the order the jobs ran; runs recorded before this have none ("[]").
    with op.batch_alter_table("sync_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("jobs", sa.Text(), nullable=False, server_default="[]"))
    confirmations = op.create_table(
        "write_confirmations",
        sa.Column("remote", sa.Text(), primary_key=True),
        sa.Column("confirmed_at", sa.Text(), nullable=False),
        sa.Column("how", sa.Text(), nullable=False),
    )
    # A cache that has already run full syncs has been writing: its remotes need no preview.
    # Which addresses it wrote to is not recorded, so the engine turns this marker into a
    # confirmation of the addresses configured at the first run after the upgrade.
    wrote = (
        op.get_bind()
        .execute(
            sa.text("SELECT 1 FROM sync_runs WHERE kind IN ('full', 'sequence_states') LIMIT 1")
        )
        .first()
    )
    if wrote is not None:
        op.bulk_insert(
            confirmations,
            [{"remote": "legacy", "confirmed_at": "", "how": "synced before previews existed"}],
        )


def downgrade() -> None:
    op.drop_table("write_confirmations")
    with op.batch_alter_table("sync_runs", schema=None) as batch_op:
        batch_op.drop_column("jobs")
