"""The mappings outside a run: load and save them, refresh the remote values they name, read
sample records for the preview, and check an imported file against the values last read.

Network work (refresh, create a stage, read samples) builds its clients from the running
SyncService's remotes here, in the engine: the window and the command line never build one.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from syncmonitor.app.errors import UserFacingError
from syncmonitor.connectors.errors import ConnectorError
from syncmonitor.connectors.workbooks.client import WorkbooksClient
from syncmonitor.connectors.workbooks.format import parse_optional_datetime
from syncmonitor.domain.mappings.fields import ObjectPair
from syncmonitor.domain.mappings.files import MappingImportError, to_json
from syncmonitor.domain.mappings.mapping_set import MappingSet
from syncmonitor.domain.mappings.statuses import check_status_mapping, resolve_stages
from syncmonitor.domain.mappings.values import CrmSource, CrmStatus, FieldInfo, Stage, StatusKind
from syncmonitor.domain.timestamps import format_iso, parse_iso, utc_now
from syncmonitor.engine.mappings.job import source_remotes
from syncmonitor.engine.mappings.samples import read_samples
from syncmonitor.engine.mappings.sources import RefreshReport, create_stage, refresh_sources
from syncmonitor.engine.services.reads import timed_read
from syncmonitor.engine.team.asking import ask, watching
from syncmonitor.store import mappings as store
from syncmonitor.store.database import Database
from syncmonitor.store.mappings import SamplePair

__all__ = ["MappingsService", "RefreshReport", "SamplePair", "Sources", "crm_is_newer"]


class RemoteError(UserFacingError):
    """A remote refused or did not answer (a ConnectorError, as a person reads it)."""

    def __init__(self, error: ConnectorError) -> None:
        super().__init__(error.message)
        self.title = error.title


class NothingToReadError(UserFacingError):
    """No remote is configured to read the values from."""

    title = "Nothing to read from"


@dataclass
class Sources:
    """The remote values as last cached (None: never read)."""

    stages: list[Stage] | None = None
    statuses: dict[tuple[CrmSource, StatusKind], list[CrmStatus] | None] = field(
        default_factory=dict
    )
    crm_fields: dict[str, dict[str, FieldInfo] | None] = field(default_factory=dict)
    outreach_fields: dict[str, dict[str, FieldInfo] | None] = field(default_factory=dict)
    read_at: dict[str, str | None] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Saved:
    """The mappings as saved, when, and the remote values they name."""

    mappings: MappingSet
    saved_at: str | None
    sources: Sources


def crm_is_newer(crm: dict[str, Any], outreach: dict[str, Any]) -> bool:
    """Was the Workbooks record of a sample pair changed after its Outreach twin?"""
    try:
        crm_at = parse_optional_datetime(crm.get("updated_at"))
    except ValueError:
        crm_at = None
    outreach_at = parse_iso(outreach.get("updatedAt"))
    if crm_at is None or outreach_at is None:
        return crm_at is not None
    return crm_at > outreach_at


class MappingsService:
    """`sync` is the running SyncService (remotes and config for the network work); None in a
    command that only reads and writes the cache."""

    def __init__(self, database: Database, sync: Any = None) -> None:
        self.database = database
        self._sync = sync

    # -- the cache -------------------------------------------------------------------------------

    def load(self) -> Saved:
        """The saved mappings and every cached source value (blocking)."""
        with timed_read(self.database.engine, "the mappings") as conn:
            sources = Sources(stages=store.stages(conn))
            for source in CrmSource:
                for kind in StatusKind:
                    sources.statuses[(source, kind)] = store.statuses(conn, source, kind)
                    marker = f"{source.value}:{kind.value}"
                    sources.read_at[marker] = store.read_at(conn, marker)
            for pair in ObjectPair:
                sources.crm_fields[pair.crm_type] = store.fields_of(
                    conn, "workbooks", pair.crm_type
                )
                sources.outreach_fields[pair.outreach_type] = store.fields_of(
                    conn, "outreach", pair.outreach_type
                )
            sources.read_at["outreach:stages"] = store.read_at(conn, "outreach:stages")
            sources.errors = store.read_errors(conn)
            return Saved(store.load_mappings(conn), store.saved_at(conn), sources)

    async def load_async(self) -> Saved:
        return await asyncio.to_thread(self.load)

    def save(self, mappings: MappingSet, stages: list[Stage] | None = None) -> MappingSet:
        """Save the mappings (stage names resolved to the cached stages); returns what was saved."""
        if stages is not None:
            for status in mappings.status.values():
                mappings = mappings.with_status(resolve_stages(status, stages))
        with self.database.engine.begin() as conn:
            store.save_mappings(conn, mappings, format_iso(utc_now()))
        return mappings

    async def save_async(self, mappings: MappingSet, stages: list[Stage] | None) -> MappingSet:
        if (desktop := watching(self._sync)) is not None:  # a team store: the server saves
            if stages is not None:
                for status in mappings.status.values():
                    mappings = mappings.with_status(resolve_stages(status, stages))
            payload = {"mappings": to_json(mappings).decode()}
            await ask(desktop, "save_mappings", payload, doing="Saving the mappings")
            return mappings
        return await asyncio.to_thread(self.save, mappings, stages)

    def import_checked(self, mappings: MappingSet, source: str) -> tuple[MappingSet, bool]:
        """Save a file's mappings after checking them against the values last read: a name the
        CRM or Outreach does not have refuses the whole file (MappingImportError, nothing saved).
        Returns what was saved and whether the Outreach stages were known to check against."""
        with self.database.engine.begin() as conn:
            stages = store.stages(conn)
            problems = []
            for kind, status in mappings.status.items():
                values = store.statuses(conn, mappings.crm_source, kind)
                for issue in check_status_mapping(status, values, stages):
                    if issue.is_error and issue.row is not None:
                        problems.append(f"{kind.label} row {issue.row + 1}: {issue.message}")
            if problems:
                raise MappingImportError(
                    f"{source} names values the CRM or Outreach does not have (as last read): "
                    + "; ".join(problems[:8])
                    + (f"; and {len(problems) - 8} more" if len(problems) > 8 else ""),
                    "Nothing was imported. Correct the names (they must match exactly), or "
                    "refresh the values in the app if they were just created.",
                )
            if stages is not None:
                for status in mappings.status.values():
                    mappings = mappings.with_status(resolve_stages(status, stages))
            store.save_mappings(conn, mappings, format_iso(utc_now()))
        return mappings, stages is not None

    def samples(self, pair: ObjectPair, search: str) -> tuple[list[SamplePair], dict[str, Any]]:
        """The sample pairs read for the preview, and the records their lookups resolve to."""
        with timed_read(self.database.engine, "the preview's samples") as conn:
            samples = store.sample_pairs(conn, pair.crm_type, pair.outreach_type, search)
            references = {
                "crm": {"organisation": store.records_of(conn, "crm", "organisation")},
                "outreach": {"account": store.records_of(conn, "outreach", "account")},
            }
        return samples, references

    async def samples_async(
        self, pair: ObjectPair, search: str
    ) -> tuple[list[SamplePair], dict[str, Any]]:
        return await asyncio.to_thread(self.samples, pair, search)

    # -- the remotes -----------------------------------------------------------------------------

    def _remotes(self) -> Any:
        remotes = getattr(self._sync, "remotes", None)
        if remotes is None:
            raise NothingToReadError(
                "No Outreach or CRM address is configured (and no sandbox is running), so there "
                "is nothing to refresh.",
                "Set the base URLs in the configuration file.",
            )
        return remotes

    async def refresh_sources(self) -> RefreshReport:
        """Read every configured source (stages, statuses, fields) into the cache."""
        if (desktop := watching(self._sync)) is not None:
            done = await ask(desktop, "refresh_sources", {}, doing="Refreshing the values")
            return RefreshReport(
                dict(done.answer.get("read") or {}), dict(done.answer.get("errors") or {})
            )
        remotes = self._remotes()
        try:
            return await refresh_sources(
                source_remotes(remotes), self._sync.config, self.database.engine
            )
        except ConnectorError as exc:
            raise RemoteError(exc) from exc

    async def create_stage(self, name: str) -> Stage:
        """Create a stage in Outreach (a name already there is refused before anything is sent)."""
        if (desktop := watching(self._sync)) is not None:
            done = await ask(desktop, "create_stage", {"name": name}, doing="Creating the stage")
            a = done.answer
            return Stage(int(a["id"]), str(a["name"]), a.get("order"))
        try:
            return await create_stage(source_remotes(self._remotes()), self.database.engine, name)
        except ConnectorError as exc:
            raise RemoteError(exc) from exc

    async def read_samples(self) -> int:
        """Read linked people and their prospects into the cache for the preview (writes
        nothing remotely); returns how many were read."""
        if (desktop := watching(self._sync)) is not None:
            done = await ask(desktop, "read_samples", {}, doing="Reading sample records")
            return int(done.answer.get("count", 0))
        remotes = self._remotes()
        if not (remotes.workbooks_base_url and remotes.outreach_base_url):
            raise UserFacingError(
                "Outreach and Workbooks must both be configured to read sample records.",
                "Set both base URLs in the configuration file.",
            )
        try:
            async with (
                WorkbooksClient(remotes.workbooks_base_url, remotes.workbooks_api_key) as wb,
                source_remotes(remotes).outreach_client() as outreach,
            ):
                return await read_samples(wb, outreach, self.database.engine, self._sync.config)
        except ConnectorError as exc:
            raise RemoteError(exc) from exc
