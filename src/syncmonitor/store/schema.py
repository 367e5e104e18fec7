"""The local cache's tables (SQLAlchemy Core).

The cache keeps the remotes' records keyed by the remote's own ids (with the provider, so Outreach
and Salesmate can sit side by side), an append-only history of every observed sequence state
transition, the Workbooks people the app writes back to, an outbox of people whose Workbooks record
needs updating, the incremental sync watermarks and the record of every run.

Nullable columns that take part in uniqueness use '' or 0 instead of NULL, because SQLite treats
NULLs as distinct and would let duplicates in.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

prospects = Table(
    "prospects",
    metadata,
    Column("provider", String(16), primary_key=True),
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("email", Text, nullable=False, default=""),  # first email, lower case
    Column("first_name", Text),
    Column("last_name", Text),
    Column("name", Text, nullable=False, default=""),
    Column("opted_out", Boolean, nullable=False, default=False),
    Column("emails_opt_status", Text),
    Column("external_id", Text),
    Column("updated_at", Text),  # ISO 8601 UTC, as the remote wrote it
    Column("search_text", Text, nullable=False, default=""),  # lower-case "name email"
)
Index("ix_prospects_email", prospects.c.email)
# Covering index for the People search: the name-ordered walk filters on search_text without
# visiting the table, so a rare word is an index scan rather than 100,000 row lookups.
Index("ix_prospects_name_search", prospects.c.name, prospects.c.id, prospects.c.search_text)
# An Outreach prospect's Salesmate twin by email, within a provider (0014_people_filters).
Index("ix_prospects_provider_email", prospects.c.provider, prospects.c.email)

sequences = Table(
    "sequences",
    metadata,
    Column("provider", String(16), primary_key=True),
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("name", Text, nullable=False, default=""),
    Column("enabled", Boolean),
    Column("sequence_type", Text),
    Column("step_count", Integer),
    Column("updated_at", Text),
)

sequence_steps = Table(
    "sequence_steps",
    metadata,
    Column("provider", String(16), primary_key=True),
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("sequence_id", Integer),
    Column("step_order", Integer),
    Column("step_type", Text),
)

sequence_states = Table(
    "sequence_states",
    metadata,
    Column("provider", String(16), primary_key=True),
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("prospect_id", Integer),
    Column("sequence_id", Integer),
    Column("step_id", Integer),
    Column("raw_state", Text, nullable=False, default=""),
    Column("state", Text, nullable=False),  # CanonicalState value
    Column("reason", Text, nullable=False, default=""),  # StateReason value or ''
    Column("state_changed_at", Text),
    Column("updated_at", Text),
    Column("pause_reason", Text),
    Column("error_reason", Text),
)
Index("ix_sequence_states_prospect", sequence_states.c.provider, sequence_states.c.prospect_id)
# The People filters (migration 0014_people_filters): by state (and when it changed), by period.
_s = sequence_states.c
Index(
    "ix_sequence_states_filter_state",
    _s.state,
    _s.state_changed_at,
    _s.provider,
    _s.prospect_id,
    _s.sequence_id,
)
Index(
    "ix_sequence_states_filter_changed",
    _s.state_changed_at,
    _s.provider,
    _s.prospect_id,
    _s.state,
    _s.sequence_id,
)

state_history = Table(
    "state_history",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("provider", String(16), nullable=False),
    Column("sequence_state_id", Integer, nullable=False),
    Column("prospect_id", Integer),
    Column("sequence_id", Integer),
    Column("step_id", Integer, nullable=False, default=0),  # 0: no step
    Column("raw_state", Text, nullable=False, default=""),
    Column("state", Text, nullable=False),
    Column("reason", Text, nullable=False, default=""),
    Column("state_changed_at", Text, nullable=False, default=""),
    Column("observed_at", Text, nullable=False),
    # A transition is identified by what changed and when the provider says it changed, so
    # re-reading the same record (the inclusive updatedAt bound, a retried page) adds nothing.
    UniqueConstraint(
        "provider",
        "sequence_state_id",
        "state_changed_at",
        "raw_state",
        "reason",
        "step_id",
        name="uq_state_history_transition",
    ),
)
Index("ix_state_history_prospect", state_history.c.provider, state_history.c.prospect_id)

workbooks_people = Table(
    "workbooks_people",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("lock_version", Integer, nullable=False, default=0),
    Column("name", Text, nullable=False, default=""),
    Column("email", Text, nullable=False, default=""),  # lower case
    Column("outreach_id", Integer),
    Column("no_email", Boolean, nullable=False, default=False),
    Column("sequence_state", Text),
    Column("state_updated_at", Text),
    Column("updated_at", Text),
    Column("is_deleted", Boolean, nullable=False, default=False),
)
Index("ix_workbooks_people_email", workbooks_people.c.email)
Index("ix_workbooks_people_outreach_id", workbooks_people.c.outreach_id)

# People whose Workbooks record may need new sequence fields. Written in the same transaction as
# the sequence states that caused it, so a crash between pull and push loses nothing.
push_outbox = Table(
    "push_outbox",
    metadata,
    Column("provider", String(16), primary_key=True),
    Column("prospect_id", Integer, primary_key=True, autoincrement=False),
    Column("queued_at", Text, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text),
)

sync_cursors = Table(
    "sync_cursors",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", Text, nullable=False),
)

sync_runs = Table(
    "sync_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),
    Column("trigger", String(16), nullable=False),
    Column("started_at", Text, nullable=False),
    Column("finished_at", Text),
    Column("duration_s", Float),
    # running, succeeded, failed, partly_failed, cancelled
    Column("outcome", String(16), nullable=False),
    Column("error_title", Text),
    Column("error_message", Text),
    Column("records_read", Text, nullable=False, default="{}"),  # JSON {object: count}
    Column("records_written", Text, nullable=False, default="{}"),
    Column("target", Text, nullable=False, default="", server_default=""),  # "" or "person:12"
    # JSON [{job, label, outcome, read, written, issues, error?, reason?}], in the order they ran
    Column("jobs", Text, nullable=False, default="[]", server_default="[]"),
)

# Which real remotes the sync may write to: a person confirmed the first two-way sync's plan
# for that address ("outreach:https://api.outreach.io/api/v2"), or it was in use before.
write_confirmations = Table(
    "write_confirmations",
    metadata,
    Column("remote", Text, primary_key=True),
    Column("confirmed_at", Text, nullable=False),
    Column("how", Text, nullable=False),  # "window", "command line", "configuration", "legacy"
)

# Tables added by later issues live in their own modules on this metadata.
from syncmonitor.store import issues_schema as _issues_schema  # noqa: E402,F401
from syncmonitor.store import matching_schema as _matching_schema  # noqa: E402,F401
from syncmonitor.store import team_schema as _team_schema  # noqa: E402,F401
from syncmonitor.store import two_way_schema as _two_way_schema  # noqa: E402,F401
