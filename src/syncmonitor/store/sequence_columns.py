"""The columns the sequence-state writers fill, named once: the Outreach pull
(`engine.sequence_states.pull`) and the Salesmate import (`store.salesmate_store`) write the same
tables, Salesmate with fewer facts (no first and last name, no opt-out detail, no step, no pause
or error reason)."""

from __future__ import annotations

KEY = ("provider", "id")

PROSPECT_COLUMNS = (
    "provider",
    "id",
    "email",
    "first_name",
    "last_name",
    "name",
    "opted_out",
    "emails_opt_status",
    "external_id",
    "updated_at",
    "search_text",
)
# What every provider knows of a person (Salesmate: these only).
PERSON_COLUMNS = tuple(
    c for c in PROSPECT_COLUMNS if c not in ("first_name", "last_name", "emails_opt_status")
)

SEQUENCE_COLUMNS = (
    "provider",
    "id",
    "name",
    "enabled",
    "sequence_type",
    "step_count",
    "updated_at",
)
STEP_COLUMNS = ("provider", "id", "sequence_id", "step_order", "step_type")

# What every provider knows of a sequence state; Outreach adds why it paused or failed.
STATE_COLUMNS = (
    "provider",
    "id",
    "prospect_id",
    "sequence_id",
    "step_id",
    "raw_state",
    "state",
    "reason",
    "state_changed_at",
    "updated_at",
)
OUTREACH_STATE_COLUMNS = (*STATE_COLUMNS, "pause_reason", "error_reason")

HISTORY_COLUMNS = (
    "provider",
    "sequence_state_id",
    "prospect_id",
    "sequence_id",
    "step_id",
    "raw_state",
    "state",
    "reason",
    "state_changed_at",
    "observed_at",
)

OUTBOX_COLUMNS = ("provider", "prospect_id", "queued_at", "attempts", "last_error")
OUTBOX_KEY = ("provider", "prospect_id")
