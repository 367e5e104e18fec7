"""Look at the cache-fault messages in the window at 1024 x 700, light and dark, and save PNGs.

    xvfb-run -a python tests/gui/cache_fault_screenshot.py [output-folder]

Not collected by pytest (no test_ prefix). For each theme: a damaged cache at start (a real file
with pages overwritten), a read-only data folder at start, a full disk during a run, and the
Salesmate import dialog with a long message. Writes `<folder>/<theme>-<case>.png`.
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
from gui_cache import build_cache
from gui_fakes import FakeServices, FakeSyncService, succeeded_run
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
from test_cache_faults_window import damaged_cache

from syncmonitor.app.config import Config
from syncmonitor.engine.services.imports import ImportsService
from syncmonitor.store import cache_faults
from syncmonitor.store.database import open_database
from syncmonitor.ui.app import SyncMonitorApp, make_application
from syncmonitor.ui.notifier import RecordingNotifier
from syncmonitor.ui.salesmate.import_dialog import SalesmateImportDialog
from syncmonitor.ui.style import apply_look


async def until(condition: object, timeout: float = 20) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():  # type: ignore[operator]
        if loop.time() > deadline:
            raise TimeoutError("the window never showed it")
        await asyncio.sleep(0.05)


async def window_case(out: Path, start: object, fail_run: tuple[str, str] | None = None) -> None:
    gui = SyncMonitorApp(Config(), start, use_tray=False, notifier=RecordingNotifier())  # type: ignore[arg-type]
    window = gui.window
    window.resize(1024, 700)
    window.show()
    gui.controller.start()
    if fail_run is not None:
        await until(lambda: gui.controller.services is not None)
        service = gui.controller.services.service  # type: ignore[union-attr]
        service.fail_with = fail_run
        service.fail_kind = "cache"
        gui.controller.sync_now()
    await until(lambda: bool(window.status.error_text))
    await asyncio.sleep(0.4)
    window.grab().save(str(out))
    gui.request_quit()
    await gui.shutdown()


async def shoot(folder: Path, tmp: Path) -> None:
    app = QApplication.instance()
    for theme in ("light", "dark"):
        apply_look(app, theme)  # type: ignore[arg-type]
        broken = damaged_cache(tmp / f"{theme}-damaged")
        await window_case(folder / f"{theme}-damaged.png", lambda b=broken: open_database(b))

        ro = tmp / f"{theme}-ro" / "data" / "cache.sqlite3"

        def read_only(path: Path = ro) -> FakeServices:
            raise cache_faults.read_only(path, "attempt to write a readonly database")

        await window_case(folder / f"{theme}-read-only.png", read_only)

        db = build_cache(tmp / f"{theme}-full.sqlite3", people=40, transitions=3)
        service = FakeSyncService(db, sandbox_mode=False)
        service.previous = succeeded_run()
        full = cache_faults.disk_full(tmp / "home" / "data" / "cache.sqlite3")
        await window_case(
            folder / f"{theme}-disk-full.png",
            lambda s=service: FakeServices(s),
            (full.title, f"{full.what} {full.todo}"),
        )
        db.close()

        # The import dialog on a 3,000-row export with a repeated header and unknown people.
        db = build_cache(tmp / f"{theme}-import.sqlite3", people=40, transitions=3)
        export = tmp / f"{theme}-export.csv"
        lines = ["Email,Sequence,Status,Status,Date"]
        lines += [
            f"p{n}@example.com,Sequence {n % 5},{'Active' if n % 3 else 'Hibernating'},x,"
            f"2026-03-{1 + n % 28:02d} 10:00"
            for n in range(3000)
        ]
        export.write_text("\n".join(lines) + "\n", encoding="utf-8")
        dialog = SalesmateImportDialog(ImportsService(db))
        dialog.resize(1024, 700)
        dialog.show()
        dialog.load_file(export)
        await until(lambda d=dialog: d.preview is not None)
        await dialog.wait_idle()
        await asyncio.sleep(0.4)
        dialog.grab().save(str(folder / f"{theme}-import.png"))
        dialog.close()
        db.close()


def main() -> int:
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/cache-faults")
    folder.mkdir(parents=True, exist_ok=True)
    app = make_application()
    with tempfile.TemporaryDirectory() as tmp:
        QSettings.setDefaultFormat(QSettings.Format.IniFormat)
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tmp)
        with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
            runner.run(shoot(folder, Path(tmp)))
    print(f"Saved in {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
