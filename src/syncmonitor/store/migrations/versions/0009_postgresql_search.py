"""The People search on PostgreSQL: a trigram index, names ordered as on SQLite.

SQLite walks the covering (name, id, search_text) index; PostgreSQL gets a GIN trigram index on
search_text so a rare word ("%smith%") is a bitmap scan instead of a walk of every name, and the
name column compares byte-wise (COLLATE "C"), so people are listed in the same order on both
engines and a keyset page (name, id) > (...) is exact. pg_trgm is a trusted extension
(PostgreSQL 13+): the database's owner may create it without being a superuser.
Does nothing on SQLite.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 13:40:00
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute('ALTER TABLE prospects ALTER COLUMN name TYPE text COLLATE "C"')
    op.execute(
        "CREATE INDEX ix_prospects_search_trgm ON prospects USING gin (search_text gin_trgm_ops)"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_prospects_search_trgm")
    op.execute('ALTER TABLE prospects ALTER COLUMN name TYPE text COLLATE "default"')
