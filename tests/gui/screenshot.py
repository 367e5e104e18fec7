"""Look at the People page: build a sample cache, open the window on a fake service, save PNGs.

    python tests/gui/screenshot.py [output.png]

Not collected by pytest (no test_ prefix). Also writes `<output>-syncing.png` (a run in progress)
and `<output>-error.png` (a failed run) beside the main picture.
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
from gui_cache import PersonSpec, Transition, build_cache
from gui_fakes import FakeServices, FakeSyncService, succeeded_run
from PySide6.QtCore import QItemSelectionModel, QSettings

from syncmonitor.app.config import Config
from syncmonitor.ui.app import SyncMonitorApp, make_application
from syncmonitor.ui.notifier import RecordingNotifier

SHOWCASE = PersonSpec(
    id=9001,
    name="Amelia Hartley-Richardson",
    email="amelia.hartley-richardson@northwind-logistics.example.com",
    history={
        1: [
            Transition("pending", 1),
            Transition("active", 1),
            Transition("active", 2),
            Transition("paused", 2, pause_reason="ooo"),
            Transition("active", 3),
        ],
        2: [
            Transition("active", 1),
            Transition("active", 4),
            Transition("finished", 5, reply_count=1),
        ],
        3: [Transition("active", 1), Transition("scheduled_to_finish", 2)],
    },
)


async def until(condition: object, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():  # type: ignore[operator]
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("the window did not get there")
        await asyncio.sleep(0.02)


async def shoot(out: Path, folder: Path) -> None:
    db = build_cache(folder / "cache.sqlite3", people=200, transitions=6, extra=[SHOWCASE])
    service = FakeSyncService(db, sandbox_mode=True)
    service.previous = succeeded_run()  # synced a moment ago: no catch-up run while we pose
    gui = SyncMonitorApp(
        Config(), lambda: FakeServices(service), use_tray=False, notifier=RecordingNotifier()
    )
    window = gui.window
    window.resize(1440, 900)  # the default size on a 1920 x 1080 screen
    window.show()
    gui.controller.start()
    page = window.people
    await until(lambda: page.model.rowCount() > 0)
    page.search.setText("amelia")
    await until(lambda: page.model.search_text == "amelia")
    row = page.model.row_for("outreach", SHOWCASE.id)
    assert row is not None
    page.table.selectionModel().setCurrentIndex(
        page.model.index(row, 0),
        QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
    )
    page.search.setText("")
    await until(lambda: page.model.search_text == "" and page.model.rowCount() > 50)
    await asyncio.sleep(0.2)
    window.grab().save(str(out))

    service.hold = True
    gui.controller.sync_now()
    await service.reached_page.wait()
    await asyncio.sleep(0.2)
    window.grab().save(str(out.with_name(out.stem + "-syncing.png")))
    service.release()
    await until(lambda: not gui.controller.running)

    service.hold = False
    service.fail_with = (
        "Outreach refused the token",
        "The Outreach token was rejected (401). Sign in to Outreach again in Settings.",
    )
    gui.controller.sync_now()
    await until(lambda: bool(window.status.error_text))
    await asyncio.sleep(0.2)
    window.grab().save(str(out.with_name(out.stem + "-error.png")))
    gui.request_quit()
    await gui.shutdown()
    db.close()


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/people.png")
    app = make_application()
    with tempfile.TemporaryDirectory() as tmp:
        # Window geometry goes to the temporary folder, not the user's settings.
        QSettings.setDefaultFormat(QSettings.Format.IniFormat)
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tmp)
        with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
            runner.run(shoot(out, Path(tmp)))
    print(f"Saved {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
