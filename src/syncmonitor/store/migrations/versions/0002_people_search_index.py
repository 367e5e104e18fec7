"""A covering index for the People search.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 16:40:00
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_prospects_name_search", "prospects", ["name", "id", "search_text"], unique=False
    )
    op.drop_index("ix_prospects_name", table_name="prospects")


def downgrade() -> None:
    op.create_index("ix_prospects_name", "prospects", ["name", "id"], unique=False)
    op.drop_index("ix_prospects_name_search", table_name="prospects")
