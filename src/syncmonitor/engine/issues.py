"""The one place the engine reports per-record sync errors (the Issues list).

A job that writes records to a remote calls `report_record_outcomes` inside the transaction that
records its result: the records it synced are resolved, the records it could not sync become
issues with the remote's answer and what the person can do. Jobs added later (two-way Workbooks
sync, Salesmate) report through here too, with their own `source`.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection

from syncmonitor.connectors.errors import NotFoundError, PermissionDeniedError
from syncmonitor.store.issues import RecordIssue, clear_issues, record_issues

WORKBOOKS_PUSH = "workbooks.push"

SOURCE_LABELS: dict[str, str] = {WORKBOOKS_PUSH: "Workbooks update"}

UNMATCHED_TODO = (
    "Check that the person exists in Workbooks with this email address, or put the Outreach "
    "prospect id in their Outreach id field; then press Retry."
)
_REFUSED_TODO = (
    "Fix the value Workbooks names (or the field mapping in Settings), then press Retry. "
    "It is also tried again on every full sync."
)


def record_key(provider: str, prospect_id: int) -> str:
    """The Issues list's key for a person: the Outreach prospect id as is (Retry forces that
    person), `provider:id` for people from elsewhere (a Salesmate import)."""
    return str(prospect_id) if provider == "outreach" else f"{provider}:{prospect_id}"


def person_issue(key: tuple[str, int], label: str, answer: str, *, unmatched: bool) -> RecordIssue:
    """An issue for one person (provider, prospect id) that could not be written to Workbooks."""
    provider, prospect_id = key
    return RecordIssue(
        source=WORKBOOKS_PUSH,
        record_type="person",
        record_key=record_key(provider, prospect_id),
        record_label=label or f"{provider.title()} person {prospect_id}",
        problem=answer,
        todo=UNMATCHED_TODO if unmatched else _REFUSED_TODO,
    )


def report_record_outcomes(
    conn: Connection,
    source: str,
    record_type: str,
    *,
    synced: Iterable[str],
    issues: Iterable[RecordIssue],
    run_id: int | None = None,
) -> None:
    """Resolve the issues of records that synced and record the ones that did not."""
    clear_issues(conn, source, record_type, synced)
    record_issues(conn, issues, run_id)


def note_permission(
    conn: Connection,
    source: str,
    label: str,
    exc: PermissionDeniedError | NotFoundError | None,
) -> None:
    """A resource the remote would not let Sync Monitor read or write (a missing OAuth scope,
    or a feature the account does not have: 404): one issue naming the scope, resolved once
    the resource works again (`exc` None)."""
    if exc is None:
        clear_issues(conn, source, "permission", [source])
        return
    scope = getattr(exc, "scope", None) or "missing"
    if isinstance(exc, NotFoundError):
        record_issues(
            conn,
            [
                RecordIssue(
                    source=source,
                    record_type="permission",
                    record_key=source,
                    record_label=f"{label} (not available)",
                    problem=exc.message,
                    todo=(
                        f"{exc.service} has no such resource for this account (the feature may "
                        "be off). The rest of the sync runs; this part is tried again on the "
                        "next sync."
                    ),
                )
            ],
            None,
        )
        return
    record_issues(
        conn,
        [
            RecordIssue(
                source=source,
                record_type="permission",
                record_key=source,
                record_label=f"{label} (needs {scope})" if scope != "missing" else label,
                problem=exc.message,
                todo=(
                    f"Grant Sync Monitor the {scope} permission in {exc.service} and sign in "
                    "again in Settings. The rest of the sync runs meanwhile; this part is tried "
                    "again on the next sync."
                ),
            )
        ],
        None,
    )
