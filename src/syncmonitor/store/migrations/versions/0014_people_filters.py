"""The People filters: indexes so "opted out this week" is an index range, not a walk.

The filters look at a person's current sequence states by state and by when the state changed
(`store/people_filters`). `(state, state_changed_at, ...)` serves a state with or without a
period ("Bounced", "Bounced today"); `(state_changed_at, ...)` a period alone ("Changed today").
Both carry the provider, the prospect and the sequence, so the filter reads the index alone.
`prospects (provider, email)` finds an Outreach prospect's Salesmate twin (and back) by email
within one provider: the counts beside the choices fold a twin's states into its person, and
without it SQLite walked every prospect once per count (1.0 s -> 0.35 s at 100,000 people).
Measured by bench/bench_people_page.py --filters (100,000 people, 1,000,000 history rows).
Same DDL on SQLite and PostgreSQL.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 16:55:00
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_STATE = ["state", "state_changed_at", "provider", "prospect_id", "sequence_id"]
_CHANGED = ["state_changed_at", "provider", "prospect_id", "state", "sequence_id"]
_TWINS = ["provider", "email"]


def upgrade() -> None:
    op.create_index("ix_sequence_states_filter_state", "sequence_states", _STATE)
    op.create_index("ix_sequence_states_filter_changed", "sequence_states", _CHANGED)
    op.create_index("ix_prospects_provider_email", "prospects", _TWINS)


def downgrade() -> None:
    op.drop_index("ix_prospects_provider_email", table_name="prospects")
    op.drop_index("ix_sequence_states_filter_changed", table_name="sequence_states")
    op.drop_index("ix_sequence_states_filter_state", table_name="sequence_states")
