"""When the window's services are ready and the sync has never written to these real remotes,
show the first two-way sync's plan and ask Confirm or Not now (engine.runs.first_sync).

In sandbox mode there is no question (the engine has no write gate there): the Connections
tab of Settings says so. "Not now" leaves the syncs reading only; Settings > Connections >
"Review the first two-way sync" asks again.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QWidget

from syncmonitor.app.errors import UserFacingError

if TYPE_CHECKING:
    from syncmonitor.ui.runs.preview_dialog import FirstSyncDialog

log = logging.getLogger(__name__)


class FirstSyncPreview(QObject):
    """Asks once per start (and on demand) while the remotes' writes wait for confirmation."""

    def __init__(self, controller: Any, window: QWidget) -> None:
        super().__init__(window)
        self.controller = controller
        self.window = window
        self.dialog: FirstSyncDialog | None = None
        self._task: asyncio.Task[None] | None = None  # working out the plan
        self._confirming: asyncio.Task[None] | None = None
        controller.services_ready.connect(lambda _database: self.review())

    def review(self) -> None:
        """Show the plan if the writes wait for a confirmation (else nothing)."""
        if self.dialog is not None:
            self.dialog.raise_()
            return
        service = self.controller.service
        if service is None or not hasattr(service, "writes_held"):
            return
        self._task = asyncio.get_running_loop().create_task(self._review(service))

    async def _review(self, service: Any) -> None:
        held = await asyncio.to_thread(service.writes_held)
        if not held or self.dialog is not None:
            return
        # Loaded here, not with the window: most starts have nothing held.
        from syncmonitor.engine.connections.doctor import diagnose
        from syncmonitor.engine.runs.first_sync import plan_sync
        from syncmonitor.ui.runs.preview_dialog import FirstSyncDialog

        dialog = FirstSyncDialog(sorted(held), parent=self.window)
        dialog.confirmed.connect(lambda: self._confirmed(service))
        dialog.finished.connect(self._closed)
        self.dialog = dialog
        dialog.open()
        try:
            plan, found = await asyncio.gather(
                plan_sync(service), diagnose(service.config, service.remotes)
            )
        except UserFacingError as exc:  # a remote failure ends in the plan's job reports instead
            if self.dialog is dialog:
                dialog.show_error(exc.title, exc.message)
            return
        if self.dialog is dialog:
            dialog.show_plan(plan, found.problems)

    def _confirmed(self, service: Any) -> None:
        async def confirm() -> None:
            await asyncio.to_thread(service.confirm_writes, "window")
            self.controller.sync_now()  # the confirmed writes go out now, not in 30 minutes

        self._confirming = asyncio.get_running_loop().create_task(confirm())

    def _closed(self, _result: int) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()  # Not now: stop reading the remotes for a plan nobody sees
        if self.dialog is not None:
            self.dialog.deleteLater()
        self.dialog = None
