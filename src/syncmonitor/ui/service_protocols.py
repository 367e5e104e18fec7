"""What the GUI needs of the engine's services (the real ones, or the tests' fakes).

The window reaches the engine only through these: the sync service runs syncs, and the facade's
services (`syncmonitor.engine.services`) read and change everything else. The tests' fakes
replace the sync service and keep the real facade services over a real cache.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from syncmonitor.engine.runs.events import CancelToken, ProgressCallback, RunResult
from syncmonitor.engine.runs.kinds import SyncKind
from syncmonitor.engine.runs.notices import NoticeSink

if TYPE_CHECKING:  # the services (and the store and clients behind them) load after the window
    from syncmonitor.engine.services.imports import ImportsService
    from syncmonitor.engine.services.issues import IssuesService
    from syncmonitor.engine.services.mappings import MappingsService
    from syncmonitor.engine.services.people import PeopleService
    from syncmonitor.engine.services.queue import QueueService
    from syncmonitor.engine.services.runs import RunsService
    from syncmonitor.engine.services.two_way import TwoWayService


class SyncServiceLike(Protocol):
    """What the GUI uses of `syncmonitor.engine.runs.service.SyncService`."""

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

    @property
    def runs(self) -> RunsService: ...

    @property
    def people(self) -> PeopleService: ...

    @property
    def issues(self) -> IssuesService: ...

    @property
    def two_way(self) -> TwoWayService: ...

    @property
    def mappings(self) -> MappingsService: ...

    @property
    def queue(self) -> QueueService: ...

    @property
    def imports(self) -> ImportsService: ...

    def close(self) -> None: ...


ServicesStarter = Callable[[], ServicesLike]
