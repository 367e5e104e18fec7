"""Look at the mapping pages: a cache with sources and samples, pages rendered offscreen to PNGs.

    python tests/gui/mapping_screenshot.py [folder]

Not collected by pytest (no test_ prefix).
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import qasync
from mapping_cache import mapping_cache, offline_service
from PySide6.QtWidgets import QApplication

from syncmonitor.domain.mappings.statuses import StatusRule
from syncmonitor.domain.mappings.values import StatusKind
from syncmonitor.engine.services.mappings import MappingsService
from syncmonitor.ui.mappings.field_page import FieldMappingPage
from syncmonitor.ui.mappings.status_page import StatusMappingPage
from syncmonitor.ui.mappings.workspace import MappingWorkspace
from syncmonitor.ui.style import STYLE_SHEET, apply_look


async def shoot(out: Path, folder: Path) -> None:
    db = mapping_cache(folder / "cache.sqlite3")
    workspace = MappingWorkspace()
    workspace.set_service(MappingsService(db, offline_service(db)))
    await workspace.wait_idle()
    lead = workspace.mappings.status[StatusKind.LEAD]
    rules = (
        StatusRule("New", "New", 1),
        StatusRule("Contacted", "Approaching", 2),
        StatusRule("Qualified", "Replied", 3),
        StatusRule("working", "Unresponsive", 4),  # a near miss, flagged
    )
    workspace.apply(workspace.mappings.with_status(type(lead)(lead.kind, rules)), "example")
    page = StatusMappingPage(workspace, StatusKind.LEAD)
    page.setStyleSheet(STYLE_SHEET)
    page.resize(1200, 640)
    page.show()
    await asyncio.sleep(0.2)
    page.grab().save(str(out / "mappings-lead.png"))
    dialog = page.open_dialog(None, "Nurturng")
    dialog.stage.setCurrentText("Replied")
    await asyncio.sleep(0.2)
    dialog.grab().save(str(out / "mappings-dialog.png"))
    dialog.reject()
    fields = FieldMappingPage(workspace)
    fields.setStyleSheet(STYLE_SHEET)
    fields.resize(1300, 760)
    fields.show()
    fields.table.selectRow(0)
    await asyncio.sleep(0.2)
    fields.grab().save(str(out / "mappings-fields.png"))
    preview = page.open_preview()
    await asyncio.sleep(0.5)
    preview.grab().save(str(out / "mappings-preview.png"))
    preview.close()
    await workspace.wait_idle()
    await window_shot(out, db)
    db.close()


async def window_shot(out: Path, db: object) -> None:
    """The whole window on the Lead Status page, with the sidebar."""
    from gui_fakes import FakeServices, FakeSyncService, succeeded_run

    from syncmonitor.app.config import Config
    from syncmonitor.ui.app import SyncMonitorApp
    from syncmonitor.ui.notifier import RecordingNotifier

    service = FakeSyncService(db)  # type: ignore[arg-type]
    service.previous = succeeded_run(minutes_ago=2)
    services = FakeServices(service)
    gui = SyncMonitorApp(Config(), lambda: services, use_tray=False, notifier=RecordingNotifier())
    gui.start()
    await asyncio.sleep(1.0)
    gui.window.resize(1280, 720)
    gui.window.sidebar.setCurrentRow(1)
    await asyncio.sleep(0.5)
    gui.window.grab().save(str(out / "mappings-window.png"))
    await gui.shutdown()


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/tmp")
    app = QApplication.instance() or QApplication([])
    apply_look(app)  # type: ignore[arg-type]
    loop = qasync.QEventLoop(app)
    with tempfile.TemporaryDirectory() as folder, loop:
        loop.run_until_complete(shoot(out, Path(folder)))


if __name__ == "__main__":
    main()
