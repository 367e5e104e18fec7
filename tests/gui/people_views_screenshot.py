"""The People page's filters, views and export message, as PNGs (light and dark, two sizes).

    xvfb-run -a python tests/gui/people_views_screenshot.py [output folder]

Not collected by pytest. Open every picture: nothing clipped at 1024 x 700, counts readable.
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
from render_pages import save, settle, until

from syncmonitor.app.config import Config
from syncmonitor.domain.people_filter import PeopleFilter
from syncmonitor.domain.states import CanonicalState
from syncmonitor.engine.people.views import PeopleViews
from syncmonitor.ui import style
from syncmonitor.ui.app import SyncMonitorApp, make_application
from syncmonitor.ui.notifier import RecordingNotifier


async def shoot(out: Path, folder: Path) -> None:
    db = build_cache(folder / "cache.sqlite3", people=200, transitions=6)
    service = FakeSyncService(db, sandbox_mode=True)
    service.previous = succeeded_run()
    app = QApplication.instance()
    assert isinstance(app, QApplication)

    def services() -> FakeServices:
        made = FakeServices(service)
        made.people.views = PeopleViews(folder / "people-views.json")
        return made

    gui = SyncMonitorApp(Config(), services, use_tray=False, notifier=RecordingNotifier())
    window = gui.window
    window.show()
    gui.controller.start()
    page = window.people
    await until(lambda: page.model.rowCount() > 0)
    page.people_service.views.save(
        "Finished or opted out (Q3 webinar)",
        PeopleFilter(states=frozenset({CanonicalState.FINISHED, CanonicalState.OPTED_OUT})),
    )
    page.views_list.reload()
    for theme in ("light", "dark"):
        style.apply_look(app, theme)
        for width, height in ((1024, 700), (1600, 1000)):
            window.resize(width, height)
            tag = f"{theme}-{width}x{height}"
            page.open_view(page.people_service.views.all()[-1])
            await settle()
            await settle()
            save(window, out / f"{tag}-people-view.png")
            page.tell(
                f"Wrote 1,234 people to {folder}/people-finished-2026-12-01.csv. "
                '<a href="file:///tmp">Open the folder</a>'
            )
            menu = page.filters.state_button.menu_
            menu.popup(
                page.filters.state_button.mapToGlobal(page.filters.state_button.rect().bottomLeft())
            )
            await settle()
            save(window, out / f"{tag}-people-message.png")
            save(menu, out / f"{tag}-people-state-menu.png")
            menu.hide()
            page.filters.clear()
            page.message.setVisible(False)
            await settle()
    gui.request_quit()
    await gui.shutdown()
    db.close()


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/syncmonitor-people-views")
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
