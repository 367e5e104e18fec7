"""Importing a Salesmate sequence enrolment export: load the file, check every row (against the
cache, and Salesmate's API for emails the cache lacks), write all or nothing."""

from __future__ import annotations

import asyncio
from datetime import tzinfo
from pathlib import Path

from syncmonitor.connectors.salesmate import SalesmateAccess
from syncmonitor.domain.export_dates import DateOrder
from syncmonitor.domain.salesmate_export import Column
from syncmonitor.engine.runs.notices import NoticeSink
from syncmonitor.engine.runs.workers import in_writer
from syncmonitor.engine.salesmate.imports import (
    ImportOutcome,
    LoadedExport,
    Preview,
    load_export,
    post_outcome,
    prepare,
    write_import,
)
from syncmonitor.store.database import Database
from syncmonitor.store.salesmate_store import ContactInfo

__all__ = ["ImportOutcome", "ImportsService", "LoadedExport", "Preview"]


class ImportsService:
    """`salesmate` is Salesmate's API (None: rows are matched against the cache only)."""

    def __init__(self, database: Database, salesmate: SalesmateAccess | None = None) -> None:
        self.database = database
        self.salesmate = salesmate

    @property
    def asks_salesmate(self) -> bool:
        return self.salesmate is not None

    @staticmethod
    def load(path: Path) -> LoadedExport:
        """Read and parse the export (blocking; needs no cache)."""
        return load_export(path)

    async def load_async(self, path: Path) -> LoadedExport:
        return await asyncio.to_thread(load_export, path)

    async def check(
        self,
        export: LoadedExport,
        *,
        mapping: dict[Column, int | None] | None = None,
        date_order: DateOrder = DateOrder.AUTO,
        zone: tzinfo,
        contacts: dict[str, ContactInfo] | None = None,
        use_salesmate: bool = True,
    ) -> Preview:
        """Check every row; `contacts` from an earlier preview skips asking Salesmate again."""
        return await prepare(
            self.database.engine,
            export,
            mapping=mapping,
            date_order=date_order,
            zone=zone,
            salesmate=self.salesmate if use_salesmate else None,
            contacts=contacts,
        )

    def write(
        self, preview: Preview, *, skip_invalid_rows: bool = False, dry_run: bool = False
    ) -> ImportOutcome:
        """Write the rows in one transaction (blocking; refuses with ImportRefusedError)."""
        return write_import(
            self.database.engine, preview, skip_invalid_rows=skip_invalid_rows, dry_run=dry_run
        )

    async def write_async(self, preview: Preview, *, skip_invalid_rows: bool) -> ImportOutcome:
        """Write on the cache-writer thread."""
        return await in_writer(
            write_import, self.database.engine, preview, skip_invalid_rows=skip_invalid_rows
        )

    @staticmethod
    def tell(sink: NoticeSink | None, outcome: ImportOutcome, name: str) -> None:
        """Post the import's outcome as a notice."""
        post_outcome(sink, outcome, name)
