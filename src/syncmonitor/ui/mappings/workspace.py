"""The mapping editors' shared state: the mappings being edited, their undo history, the sources.

One workspace serves the Lead Status, Contact Status and Field mapping pages, so they edit one
`MappingSet` with one undo history and one Save. Everything it reads or writes goes through the
engine's MappingsService: cache work on worker threads, network refreshes as tasks on the qasync
loop, so nothing here blocks the window. Results and failures come back as signals.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from syncmonitor.app.errors import UserFacingError
from syncmonitor.domain.mappings.fields import ObjectPair, check_field_mapping
from syncmonitor.domain.mappings.files import export_bytes, file_format, import_bytes
from syncmonitor.domain.mappings.history import EditHistory
from syncmonitor.domain.mappings.mapping_set import MappingSet, structural_issues
from syncmonitor.domain.mappings.statuses import Issue, check_status_mapping, resolve_stages
from syncmonitor.domain.mappings.values import CrmStatus, Stage, StatusKind
from syncmonitor.domain.timestamps import format_iso, utc_now
from syncmonitor.engine.services.mappings import MappingsService, Sources

__all__ = ["MappingWorkspace", "Sources"]

log = logging.getLogger(__name__)


class MappingWorkspace(QObject):
    """What the mapping pages edit together. `service` is the engine's MappingsService (None
    while the app starts): it reads and writes the cache and asks the remotes."""

    changed = Signal()  # the mappings being edited (or the history) changed
    sources_changed = Signal()
    saved = Signal()
    busy_changed = Signal(str)  # "" when idle
    failed = Signal(str, str)  # title, message
    notice = Signal(str)  # a short success message for the page's status line

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.service: MappingsService | None = None
        self.history: EditHistory[MappingSet] = EditHistory(MappingSet())
        self.sources = Sources()
        self.saved_at: str | None = None
        self.loaded = False
        self.busy = ""
        self._tasks: set[asyncio.Task[None]] = set()

    # -- the value being edited ------------------------------------------------------------------

    @property
    def mappings(self) -> MappingSet:
        return self.history.current

    @property
    def dirty(self) -> bool:
        return self.history.dirty

    def apply(self, mappings: MappingSet, label: str) -> None:
        """Record an edit (one undo step)."""
        self.history.do(mappings, label)
        self.changed.emit()

    def undo(self) -> None:
        self.history.undo()
        self.changed.emit()

    def redo(self) -> None:
        self.history.redo()
        self.changed.emit()

    def revert(self) -> None:
        self.history.revert()
        self.changed.emit()

    # -- checks ----------------------------------------------------------------------------------

    def statuses(self, kind: StatusKind) -> list[CrmStatus] | None:
        return self.sources.statuses.get((self.mappings.crm_source, kind))

    def status_issues(self, kind: StatusKind) -> list[Issue]:
        saved = self.history.saved.status.get(kind)
        return check_status_mapping(
            self.mappings.status[kind], self.statuses(kind), self.sources.stages, saved
        )

    def field_issues(self, pair: ObjectPair) -> list[Issue]:
        return check_field_mapping(
            self.mappings.fields[pair],
            self.sources.crm_fields.get(pair.crm_type),
            self.sources.outreach_fields.get(pair.outreach_type),
        )

    def blocking_issues(self) -> list[str]:
        """Everything that stops a save, as lines a person reads."""
        lines = [
            f"{where} row {(i.row or 0) + 1}: {i.message}"
            for where, i in structural_issues(self.mappings)
        ]
        for kind in StatusKind:
            lines += [
                f"{kind.label} row {(i.row or 0) + 1}: {i.message}"
                for i in self.status_issues(kind)
                if i.is_error
            ]
        for pair in ObjectPair:
            lines += [
                f"{pair.label} row {(i.row or 0) + 1}: {i.message}"
                for i in self.field_issues(pair)
                if i.is_error
            ]
        return list(dict.fromkeys(lines))

    # -- loading, saving, refreshing -------------------------------------------------------------

    def set_service(self, service: MappingsService | None) -> None:
        self.service = service
        if service is not None:
            self._spawn("Reading the mappings…", self._load(reset=True))

    async def _load(self, *, reset: bool) -> None:
        assert self.service is not None
        saved = await self.service.load_async()
        self.sources = saved.sources
        self.saved_at = saved.saved_at
        if reset and not self.dirty:
            self.history.reset(saved.mappings)
            self.changed.emit()
        self.loaded = True
        self.sources_changed.emit()

    def save(self) -> bool:
        """Start saving; False (with the reasons shown) when the mappings cannot be saved."""
        if self.service is None:
            self.failed.emit("Cannot save yet", "The local cache is still opening; try again.")
            return False
        problems = self.blocking_issues()
        if problems:
            shown = "\n".join(f"• {p}" for p in problems[:8])
            more = f"\n…and {len(problems) - 8} more." if len(problems) > 8 else ""
            self.failed.emit(
                "The mappings were not saved",
                f"Fix these first (nothing was saved):\n{shown}{more}",
            )
            return False
        self._spawn("Saving…", self._save())
        return True

    async def _save(self) -> None:
        assert self.service is not None
        stored = await self.service.save_async(self.mappings, self.sources.stages)
        self.history.mark_saved(stored)
        self.saved_at = format_iso(utc_now())
        self.changed.emit()
        self.saved.emit()
        self.notice.emit("Saved. The next sync uses these mappings.")

    def refresh(self) -> None:
        """Read every source from the remotes again."""
        service = self._connected()
        if service is not None:
            self._spawn("Refreshing from Outreach and the CRM…", self._refresh(service))

    async def _refresh(self, service: MappingsService) -> None:
        report = await service.refresh_sources()
        await self._load(reset=False)
        if report.errors:
            self.failed.emit("Some values could not be refreshed", report.summary)
        else:
            self.notice.emit(report.summary)

    def create_stage(self, name: str, then: Callable[[Stage], None] | None = None) -> None:
        service = self._connected()
        if service is not None:
            self._spawn(
                f"Creating stage {name!r} in Outreach…", self._create_stage(service, name, then)
            )

    async def _create_stage(
        self, service: MappingsService, name: str, then: Callable[[Stage], None] | None
    ) -> None:
        stage = await service.create_stage(name)
        await self._load(reset=False)
        self.notice.emit(f"Created stage {stage.name!r} in Outreach.")
        if then is not None:
            then(stage)

    def read_samples(self) -> None:
        service = self._connected()
        if service is not None:
            self._spawn("Reading sample records…", self._read_samples(service))

    async def _read_samples(self, service: MappingsService) -> None:
        count = await service.read_samples()
        self.notice.emit(f"Read {count} linked people for the preview.")
        self.sources_changed.emit()

    # -- files -----------------------------------------------------------------------------------

    def import_file(self, path: Path, fmt: str | None = None) -> None:
        """Replace the edited mappings with a file's (one undo step); nothing on any problem."""
        try:
            data = path.read_bytes()
            mappings = import_bytes(data, file_format(path.name, fmt), source=path.name)
        except OSError as exc:
            self.failed.emit("The file cannot be read", f"{path}: {exc.strerror}.")
            return
        except UserFacingError as exc:
            self.failed.emit(exc.title, exc.message)
            return
        if self.sources.stages is not None:
            for status in mappings.status.values():
                mappings = mappings.with_status(resolve_stages(status, self.sources.stages))
        self.apply(mappings, f"Import {path.name}")
        self.notice.emit(f"Imported {path.name}. Review it, then Save.")

    def export_file(self, path: Path, fmt: str | None = None) -> None:
        try:
            path.write_bytes(export_bytes(self.mappings, file_format(path.name, fmt)))
        except OSError as exc:
            self.failed.emit("The file cannot be written", f"{path}: {exc.strerror}.")
            return
        except UserFacingError as exc:
            self.failed.emit(exc.title, exc.message)
            return
        self.notice.emit(f"Exported to {path.name}.")

    # -- plumbing --------------------------------------------------------------------------------

    def _connected(self) -> MappingsService | None:
        if self.service is None:
            self.failed.emit(
                "Not connected yet", "Sync Monitor is still starting; try again in a moment."
            )
        return self.service

    def _spawn(self, what: str, coro: Coroutine[Any, Any, None]) -> None:
        self.busy = what
        self.busy_changed.emit(what)
        task = asyncio.get_running_loop().create_task(self._guard(coro))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _guard(self, coro: Coroutine[Any, Any, None]) -> None:
        me = asyncio.current_task()  # asked now: in `finally` the loop may be closing
        try:
            await coro
        except UserFacingError as exc:
            self.failed.emit(exc.title, exc.message)
        except Exception as exc:  # a bug: say so, keep the window alive
            log.exception("mapping task failed")
            self.failed.emit("Unexpected error", f"{type(exc).__name__}: {exc}")
        finally:
            if not any(not t.done() for t in self._tasks if t is not me):
                self.busy = ""
                self.busy_changed.emit("")

    async def wait_idle(self) -> None:
        """Wait for every running task (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
