"""Refreshing the values mappings are made of, and creating a missing Outreach stage.

Each source is read on its own: one that fails (Salesforce not configured, a refused key) is
recorded with its reason and keeps its last good copy, while the others are still refreshed.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from syncmonitor.app.config import Config
from syncmonitor.app.errors import UserFacingError
from syncmonitor.connectors.errors import ConnectorError
from syncmonitor.connectors.http.retry import RetryPolicy
from syncmonitor.connectors.outreach.mapping import OutreachMappingClient, outreach_fields
from syncmonitor.connectors.salesforce import SalesforceClient
from syncmonitor.connectors.workbooks.mapping import WorkbooksMappingClient
from syncmonitor.domain.mappings.fields import ObjectPair
from syncmonitor.domain.mappings.values import CrmSource, Stage, StatusKind, name_problem
from syncmonitor.domain.timestamps import format_iso, utc_now
from syncmonitor.engine.runs.workers import in_writer
from syncmonitor.store import mappings as store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SourceRemotes:
    """Where the sources live (secrets in memory only)."""

    outreach_base_url: str | None
    outreach_token: str | None
    workbooks_base_url: str | None
    workbooks_api_key: str | None
    salesforce_base_url: str | None = None
    salesforce_token: str | None = None
    outreach_auth: Any = None  # a RefreshingBearer when Outreach is reached with OAuth

    @property
    def has_outreach(self) -> bool:
        return bool(self.outreach_base_url and (self.outreach_token or self.outreach_auth))

    def outreach_client(self, **options: Any) -> OutreachMappingClient:
        """A client for Outreach with whichever sign-in is configured (token or OAuth)."""
        assert self.outreach_base_url is not None
        return OutreachMappingClient(
            self.outreach_base_url,
            None if self.outreach_auth else self.outreach_token,
            auth=self.outreach_auth,
            **options,
        )

    def __repr__(self) -> str:
        return (
            f"SourceRemotes(outreach={self.outreach_base_url!r}, "
            f"salesforce={self.salesforce_base_url!r})"
        )


@dataclass
class RefreshReport:
    """What one refresh read (values per source) and what failed (source -> message)."""

    read: dict[str, int] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def summary(self) -> str:
        parts = [f"{n} {name}" for name, n in self.read.items()]
        text = "Read " + ", ".join(parts) if parts else "Nothing was read"
        if self.errors:
            text += f"; {len(self.errors)} source(s) failed: " + "; ".join(
                f"{k}: {v}" for k, v in self.errors.items()
            )
        return text


class StageNameError(UserFacingError):
    title = "This stage name cannot be used"


def _now() -> str:
    return format_iso(utc_now())


async def _one(
    report: RefreshReport,
    engine: Engine,
    name: str,
    marker: str,
    read: Callable[[], Awaitable[int]],
) -> None:
    try:
        report.read[name] = await read()
    except (ConnectorError, UserFacingError) as exc:
        report.errors[name] = (
            exc.message if isinstance(exc, UserFacingError) else f"{exc.title}: {exc.message}"
        )
        log.warning("Refreshing %s failed: %s", name, report.errors[name])
        await in_writer(_note_failure, engine, marker, report.errors[name])


def _note_failure(engine: Engine, marker: str, message: str) -> None:
    with engine.begin() as conn:
        store.note_read(conn, marker, _now(), message)


def _write(engine: Engine, action: Callable[..., None], *args: Any) -> None:
    with engine.begin() as conn:
        action(conn, *args)


async def refresh_sources(
    remotes: SourceRemotes,
    config: Config,
    engine: Engine,
    *,
    policy: RetryPolicy | None = None,
) -> RefreshReport:
    """Read every source that is configured into the cache."""
    report = RefreshReport()
    m = config.mappings

    for pair in ObjectPair:  # Outreach has no describe call: its catalogue is built in
        fields = outreach_fields(pair.outreach_type)
        await in_writer(
            _write, engine, store.replace_fields, "outreach", pair.outreach_type, fields, _now()
        )

    if remotes.has_outreach:
        async with remotes.outreach_client(policy=policy) as outreach:

            async def stages() -> int:
                values = await outreach.stages()
                await in_writer(_write, engine, store.replace_stages, values, _now())
                return len(values)

            await _one(report, engine, "Outreach stages", "outreach:stages", stages)

    if remotes.workbooks_base_url and remotes.workbooks_api_key:
        async with WorkbooksMappingClient(
            remotes.workbooks_base_url, remotes.workbooks_api_key, policy=policy
        ) as workbooks:
            for kind, picklist in (
                (StatusKind.LEAD, m.lead_status_picklist),
                (StatusKind.CONTACT, m.contact_status_picklist),
            ):

                async def values(kind: StatusKind = kind, picklist: str = picklist) -> int:
                    found = await workbooks.picklist_values(picklist)
                    await in_writer(
                        _write,
                        engine,
                        store.replace_statuses,
                        CrmSource.WORKBOOKS,
                        kind,
                        found,
                        _now(),
                    )
                    return len(found)

                await _one(
                    report,
                    engine,
                    f"Workbooks {kind.label} values",
                    f"workbooks:{kind.value}",
                    values,
                )
            for pair in ObjectPair:

                async def metadata(pair: ObjectPair = pair) -> int:
                    found = await workbooks.field_metadata(pair.crm_type)
                    await in_writer(
                        _write,
                        engine,
                        store.replace_fields,
                        "workbooks",
                        pair.crm_type,
                        found,
                        _now(),
                    )
                    return len(found)

                await _one(
                    report,
                    engine,
                    f"Workbooks {pair.crm_type} fields",
                    f"workbooks:fields:{pair.crm_type}",
                    metadata,
                )

    if remotes.salesforce_base_url and not remotes.salesforce_token:
        report.errors["Salesforce"] = (
            "[salesforce] base_url is set but the Salesforce access token is not (looked in "
            "SYNCMONITOR_SALESFORCE_TOKEN and the OS keyring, user name salesforce_token)."
        )
    elif remotes.salesforce_base_url and remotes.salesforce_token:
        async with SalesforceClient(
            remotes.salesforce_base_url,
            remotes.salesforce_token,
            api_version=config.salesforce.api_version,
            policy=policy,
        ) as salesforce:

            async def leads() -> int:
                found = await salesforce.lead_statuses()
                await in_writer(
                    _write,
                    engine,
                    store.replace_statuses,
                    CrmSource.SALESFORCE,
                    StatusKind.LEAD,
                    found,
                    _now(),
                )
                return len(found)

            async def contacts() -> int:
                found = await salesforce.picklist_values(
                    "Contact", config.salesforce.contact_status_field
                )
                await in_writer(
                    _write,
                    engine,
                    store.replace_statuses,
                    CrmSource.SALESFORCE,
                    StatusKind.CONTACT,
                    found,
                    _now(),
                )
                return len(found)

            await _one(report, engine, "Salesforce LeadStatus values", "salesforce:lead", leads)
            await _one(
                report, engine, "Salesforce Contact Status values", "salesforce:contact", contacts
            )
    return report


async def create_stage(
    remotes: SourceRemotes, engine: Engine, name: str, *, policy: RetryPolicy | None = None
) -> Stage:
    """Create a stage in Outreach (a name already there is refused before anything is sent)."""
    problem = name_problem(name, "The stage name")
    if problem:
        raise StageNameError(problem, "Type the name as it should appear in Outreach.")
    if not remotes.has_outreach:
        raise StageNameError(
            "Outreach is not configured, so no stage can be created.",
            "Set [outreach] base_url and the Outreach token first.",
        )
    async with remotes.outreach_client(policy=policy) as outreach:
        existing = await outreach.stages()
        if any(s.name == name for s in existing):
            raise StageNameError(
                f"Outreach already has a stage named {name!r}.", "Pick it from the list instead."
            )
        try:
            created = await outreach.create_stage(name)
        except ConnectorError:
            # The POST may have landed before the answer was lost: look before saying it failed.
            existing = await outreach.stages()
            landed = next((s for s in existing if s.name == name), None)
            if landed is None:
                raise
            created = landed
        else:
            existing = await outreach.stages()
    await in_writer(_write, engine, store.replace_stages, existing, _now())
    return created
