"""The facts no API reads, as the queue knows them: what an admin recorded having seen (the API
key's Until date in Workbooks, the 'Integration running' tick in GatorMail), or what an account
that offers an (undocumented) read answered; and the status meanings kept in the cache."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Connection

from syncmonitor.domain.mailshots.queue import IntegrationFacts
from syncmonitor.domain.mailshots.rules import ApiKeyFacts
from syncmonitor.domain.mailshots.statuses import StatusMeanings, StatusRole, StatusValue
from syncmonitor.domain.timestamps import parse_iso
from syncmonitor.engine.mailshots import reads as R
from syncmonitor.store.mailshots import AdminCheck, load_statuses, save_statuses


def load_meanings(conn: Connection) -> StatusMeanings:
    values = {}
    for row in load_statuses(conn):
        try:
            role = StatusRole(row["role"])
        except ValueError:
            role = StatusRole.UNKNOWN
        values[row["value"]] = StatusValue(
            row["value"], role, bool(row["confirmed"]), row["source"], row["first_seen_at"]
        )
    return StatusMeanings(values)


def save_meanings(conn: Connection, meanings: StatusMeanings) -> None:
    save_statuses(
        conn,
        [
            {
                "value": v.value,
                "role": v.role.value,
                "confirmed": v.confirmed,
                "source": v.source,
                "first_seen_at": v.first_seen_at,
            }
            for v in meanings.values.values()
        ],
    )


def checks_facts(
    checks: Mapping[str, AdminCheck],
    key: ApiKeyFacts | None,
    running: bool | None,
    probed: Mapping[str, bool],
) -> tuple[ApiKeyFacts | None, IntegrationFacts | None]:
    """The key and the integration as the snapshot shows them: read where the account offers a
    read, else what an admin recorded, else nothing (not readable)."""
    if not probed.get(R.PROBE_KEY):
        key = None
        recorded = checks.get("api_key")
        checked = parse_iso(recorded.checked_at) if recorded else None
        if recorded is not None and checked is not None:
            key = ApiKeyFacts(
                "GatorMail",
                recorded.ok is not False,
                None,
                parse_iso(recorded.valid_until),
                source=f"recorded by an admin on {checked:%d %b %Y}",
                recorded_on=checked,
            )
    integration: IntegrationFacts | None = None
    if probed.get(R.PROBE_INTEGRATION):
        integration = IntegrationFacts(running, "read from Spotler GET /integration/status")
    else:
        recorded = checks.get("integration")
        checked = parse_iso(recorded.checked_at) if recorded else None
        if recorded is not None and checked is not None:
            # A recorded check says what was seen then, not what is true now: it never stops the
            # queue by itself (running None), it is shown with its date.
            integration = IntegrationFacts(
                None,
                f"checked {'running' if recorded.ok else 'NOT running'} on {checked:%d %b %Y}",
                checked,
            )
    return key, integration
