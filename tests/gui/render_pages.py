"""Render every page and the main dialogs at 1024 x 700 and 1600 x 1000, light and dark, as PNGs.

    python tests/gui/render_pages.py [output folder]     (default /tmp/syncmonitor-pages)

Not collected by pytest (no test_ prefix) and not run in CI: it takes about a minute. Open the
pictures and look at every one before calling a layout or a colour done. The window runs on the
same fake service as the GUI tests, over a sample cache with 200 people.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import qasync
from gui_cache import build_cache
from gui_fakes import FakeServices, FakeSyncService, succeeded_run
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QTabWidget, QWidget

from syncmonitor.app.config import Config
from syncmonitor.ui import style
from syncmonitor.ui.app import SyncMonitorApp, make_application
from syncmonitor.ui.notifier import RecordingNotifier
from syncmonitor.ui.window_menu import show_shortcuts

SIZES = ((1024, 700), (1600, 1000))
THEMES = ("light", "dark")


async def until(condition: Callable[[], object], timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("the window did not get there")
        await asyncio.sleep(0.02)


async def settle() -> None:
    await asyncio.sleep(0.25)
    QApplication.processEvents()


def save(widget: QWidget, path: Path) -> None:
    widget.grab().save(str(path))
    print(path)


async def shoot(out: Path, folder: Path) -> None:
    db = build_cache(folder / "cache.sqlite3", people=200, transitions=6)
    service = FakeSyncService(db, sandbox_mode=True)
    service.previous = succeeded_run()
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    gui = SyncMonitorApp(
        Config(), lambda: FakeServices(service), use_tray=False, notifier=RecordingNotifier()
    )
    window = gui.window
    window.show()
    gui.controller.start()
    await until(lambda: window.people.model.rowCount() > 0)
    window.people.table.selectRow(3)
    for theme in THEMES:
        style.apply_look(app, theme)
        for width, height in SIZES:
            window.resize(width, height)
            await settle()
            tag = f"{theme}-{width}x{height}"
            for number, page in enumerate(window.all_pages(), start=1):
                window.show_page(page)
                await settle()
                name = page.title.lower().replace(" ", "-")
                save(window, out / f"{tag}-{number}-{name}.png")
            window.show_page(window.people)
            await settle()
            await dialogs(gui, out, tag)
    gui.request_quit()
    await gui.shutdown()
    db.close()


async def dialogs(gui: SyncMonitorApp, out: Path, tag: str) -> None:
    window = gui.window
    gui.open_settings()
    await settle()
    dialog = gui.settings_dialog
    if dialog is not None:
        save(dialog, out / f"{tag}-dialog-settings.png")
        tabs = dialog.findChild(QTabWidget)
        if tabs is not None:
            tabs.setCurrentIndex(tabs.count() - 1)  # General: start at login, the look
            await settle()
            save(dialog, out / f"{tag}-dialog-settings-general.png")
        dialog.reject()
        await settle()
    show_shortcuts(window)
    await settle()
    if window.shortcuts_box is not None:
        save(window.shortcuts_box, out / f"{tag}-dialog-shortcuts.png")
        window.shortcuts_box.done(0)
    window.import_salesmate_action.trigger()
    await settle()
    salesmate = getattr(window, "salesmate_import_dialog", None)
    if salesmate is not None:
        save(salesmate, out / f"{tag}-dialog-salesmate.png")
        salesmate.reject()
    page = window.mapping_pages[0]
    window.show_page(page)
    await settle()
    opener = getattr(page, "open_dialog", None)
    if opener is not None:
        rule_dialog = opener(None)
        await settle()
        if rule_dialog is not None:
            save(rule_dialog, out / f"{tag}-dialog-mapping-rule.png")
            rule_dialog.close()
    window.show_page(window.people)
    await settle()


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/syncmonitor-pages")
    out.mkdir(parents=True, exist_ok=True)
    app = make_application("light")
    with tempfile.TemporaryDirectory() as tmp:
        QSettings.setDefaultFormat(QSettings.Format.IniFormat)
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tmp)
        with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
            runner.run(shoot(out, Path(tmp)))
    print(f"Saved the pictures in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
