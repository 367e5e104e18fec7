"""The queue's reads, each on its own: one that fails degrades only the figures it backs.

`ReadBook` remembers, per read, whether its last try worked, since when its figures are old, and
what went wrong in one line; the snapshot carries that so the page and `syncmonitor queue` say
which figures are stale and why, while the other reads keep updating.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from syncmonitor.connectors.errors import ConnectorError
from syncmonitor.domain.mailshots.queue import Problem, ReadState
from syncmonitor.domain.mailshots.rules import format_day

log = logging.getLogger(__name__)
T = TypeVar("T")

WB_MAILSHOTS = "Workbooks GET email/integrated_mailshots.api"
WB_AUDIENCES = "Workbooks GET email/mailing_list_entries.api"
WB_STATUSES = "Workbooks metadata/types.api and admin/picklist_entries.api"
SP_CAMPAIGNS = "Spotler GET /campaign/list"
SP_MAILINGS = "Spotler GET /mailing"
PROBE_KEY = "Workbooks admin/api_keys.api (undocumented; probed once)"
PROBE_INTEGRATION = "Spotler GET /integration/status (undocumented; probed once)"

BACKS = {
    WB_MAILSHOTS: "names, statuses, positions and the queue itself",
    WB_AUDIENCES: "audiences and the ETAs they give",
    WB_STATUSES: "the list of status values (those seen on mailshots are still used)",
    SP_CAMPAIGNS: "arrivals in GatorMail",
    SP_MAILINGS: "arrivals seen as mailings",
    PROBE_KEY: "the API key's dates",
    PROBE_INTEGRATION: "'Integration running'",
}
# The guide's transient 403 reasons, by code and by the words it documents for each.
TRANSIENT_403 = {
    "database_being_migrated": "has not yet been upgraded",
    "database_archived": "has been archived",
    "requested_database_not_available": "is not available",
    "no_available_database": "No database is available",
}


def failure_line(error: ConnectorError) -> str:
    """What went wrong, in one line (a Workbooks database being upgraded said as such)."""
    text = f"{error.title}: {error.message}"
    reason = next(
        (code for code, words in TRANSIENT_403.items() if code in text or words in text), None
    )
    if error.status_code == 403 and reason is not None:
        return (
            f"Workbooks is temporarily unavailable (HTTP 403 {reason}: its database is being "
            "upgraded or restored). Nothing is wrong with the API key; Sync Monitor reads again "
            "by itself."
        )
    return text


@dataclass
class _Entry:
    ok: bool = True
    message: str = ""
    last_ok_at: datetime | None = None
    tried: bool = False
    error: ConnectorError | None = None


class ReadBook:
    """The state of every read the monitor makes."""

    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}

    async def run(
        self, name: str, now: datetime, read: Callable[[], Awaitable[T]]
    ) -> tuple[bool, T | None]:
        """Run one read; (True, its result) or (False, None) with the failure remembered."""
        entry = self._entries.setdefault(name, _Entry())
        entry.tried = True
        try:
            result = await read()
        except ConnectorError as error:
            log.warning("%s failed: %s", name, error)
            entry.ok, entry.message, entry.error = False, failure_line(error), error
            return False, None
        if not entry.ok:
            log.info("%s works again: %s are up to date.", name, BACKS.get(name, "its figures"))
        entry.ok, entry.message, entry.last_ok_at, entry.error = True, "", now, None
        return True, result

    def error_of(self, name: str) -> ConnectorError | None:
        entry = self._entries.get(name)
        return entry.error if entry is not None else None

    def drop(self, name: str) -> None:
        self._entries.pop(name, None)

    def failed(self, name: str) -> bool:
        entry = self._entries.get(name)
        return entry is not None and not entry.ok

    def states(self) -> tuple[ReadState, ...]:
        return tuple(
            ReadState(name, BACKS.get(name, ""), e.ok, e.message, e.last_ok_at)
            for name, e in self._entries.items()
            if e.tried
        )

    def problems(self) -> list[Problem]:
        """One line per cause: which figures are stale, since when, and why (reads that failed
        for the same reason, such as both Spotler reads after a 401, share one line)."""
        by_cause: dict[str, list[tuple[str, _Entry]]] = {}
        for name, e in self._entries.items():
            if not e.ok:
                by_cause.setdefault(e.message, []).append((name, e))
        lines = []
        for message, failed in by_cause.items():
            backs = " and ".join(BACKS.get(name, name) for name, _ in failed)
            times = [e.last_ok_at for _, e in failed if e.last_ok_at is not None]
            since = f" (as of {format_day(min(times))})" if times else ""
            names = " and ".join(name for name, _ in failed)
            verb = "failed"
            lines.append(
                Problem("read_failed", f"Not updated: {backs}{since}. {names} {verb}: {message}")
            )
        return lines
