"""What the GUI needs of the engine's services (the real ones, or the tests' fakes)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from syncmonitor.engine.runs.events import CancelToken, ProgressCallback, RunResult
from syncmonitor.engine.runs.kinds import SyncKind
from syncmonitor.engine.runs.notices import NoticeSink
from syncmonitor.store.database import Database


class SyncServiceLike(Protocol):
    """What the GUI uses of `syncmonitor.engine.runs.service.SyncService`."""

    database: Database
    sandbox_mode: bool
    notices: NoticeSink | None

    @property
    def running(self) -> bool: ...

    async def sync_once(
        self,
        *,
        trigger: str = "forced",
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
        kind: SyncKind | str = SyncKind.FULL,
        person: int | None = None,
    ) -> RunResult: ...

    def last_run(self) -> RunResult | None: ...

    def last_finished_by_kind(self) -> dict[SyncKind, datetime | None]: ...


class ServicesLike(Protocol):
    """What the GUI uses of `syncmonitor.engine.bootstrap.Services`."""

    @property
    def service(self) -> SyncServiceLike: ...

    def close(self) -> None: ...


ServicesStarter = Callable[[], ServicesLike]
