"""The Issues list and what can be done about an issue: dismiss it, act on a delete hazard."""

from __future__ import annotations

import asyncio
from typing import Any

from syncmonitor.engine.issue_groups import IssueGroup, consequence_text, group_issues
from syncmonitor.engine.services.reads import timed_read
from syncmonitor.engine.two_way.actions import act_on_hazard
from syncmonitor.engine.two_way.delete_hazard import HazardAction
from syncmonitor.store import two_way as two_way_store
from syncmonitor.store.database import Database
from syncmonitor.store.issues import (
    StoredIssue,
    count_open_issues,
    dismiss_issue,
    dismiss_issues,
    open_issues,
)
from syncmonitor.store.two_way import Hazard

__all__ = [
    "Hazard",
    "HazardAction",
    "IssueGroup",
    "IssuesService",
    "StoredIssue",
    "consequence_text",
]
# The Issues page groups at most this many issues (newest first); beyond it, the count says so.
GROUPED_LIMIT = 20_000


class IssuesService:
    """Reads block (call them off the GUI thread); the `async` methods run off it themselves.

    `sync` is the running SyncService (its remotes, for the hazard actions), None in a command
    that only reads the cache.
    """

    def __init__(self, database: Database, sync: Any = None) -> None:
        self.database = database
        self._sync = sync

    def page(
        self, *, include_dismissed: bool, before_id: int | None, limit: int
    ) -> list[StoredIssue]:
        """Issues newest first, `limit` at a time behind `before_id`."""
        with timed_read(self.database.engine, "the issues") as conn:
            return open_issues(
                conn, include_dismissed=include_dismissed, limit=limit, before_id=before_id
            )

    def groups(self, *, include_dismissed: bool = False) -> list[IssueGroup]:
        """The issues grouped by cause (the newest `GROUPED_LIMIT`), newest cause first."""
        with timed_read(self.database.engine, "the issues by cause") as conn:
            found = open_issues(conn, include_dismissed=include_dismissed, limit=GROUPED_LIMIT)
        return group_issues(found)

    def count(self) -> int:
        """How many issues are open (not dismissed)."""
        with timed_read(self.database.engine, "the issue count") as conn:
            return count_open_issues(conn)

    async def count_async(self) -> int:
        return await asyncio.to_thread(self.count)

    async def dismiss(self, issue_id: int) -> None:
        """Hide an issue until it happens again."""

        def write() -> None:
            with self.database.engine.begin() as conn:
                dismiss_issue(conn, issue_id)

        await asyncio.to_thread(write)

    async def dismiss_many(self, issue_ids: list[int]) -> int:
        """Hide a whole group (or an issue with its consequences) until each happens again."""

        def write() -> int:
            with self.database.engine.begin() as conn:
                return dismiss_issues(conn, issue_ids)

        return await asyncio.to_thread(write)

    def open_hazard(self, kind: str, crm_id: int) -> Hazard | None:
        """The unresolved delete hazard of this record, if there is one."""
        with timed_read(self.database.engine, "a delete warning") as conn:
            found = two_way_store.hazard(conn, kind, crm_id)
        return found if found is not None and found.resolved_at is None else None

    async def act_on_hazard(self, hazard: Hazard, action: HazardAction) -> None:
        """Delete the surviving twin, or unlink it (asks both remotes)."""
        await act_on_hazard(self._sync, hazard.kind, hazard.crm_id, action)
