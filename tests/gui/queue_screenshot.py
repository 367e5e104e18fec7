"""Look at the Queue page with a blocked queue: a real sandbox, a real cache, save PNGs.

    python tests/gui/queue_screenshot.py [output.png]

Not collected by pytest. Also writes `<output>-dialog.png` (the Fix name dialog), `-fixed.png`
(after the fix: the copy selected where it was queued) and `-statuses.png` (Settings > Queue
statuses).
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

from gui_fakes import services_over

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import httpx
import qasync
from PySide6.QtWidgets import QApplication

from syncmonitor.app.config import MailshotSettings
from syncmonitor.engine.mailshots.monitor import QueueMonitor
from syncmonitor.engine.runs.service import Remotes
from syncmonitor.sandbox.process import SandboxProcess
from syncmonitor.store.database import open_database
from syncmonitor.ui.queue.page import QueuePage
from syncmonitor.ui.style import STYLE_SHEET, apply_look

LONG = (
    "Autumn 2026 Customer Newsletter for all UK and Ireland accounts including partners, "
    "resellers and the new Benelux distribution network"
)


async def until(condition: object, timeout: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():  # type: ignore[operator]
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("the page did not get there")
        await asyncio.sleep(0.05)


async def shoot(out: Path, folder: Path) -> None:
    with SandboxProcess(seed=3, people=20, tick=0) as sandbox:
        ep = sandbox.endpoints
        admin = httpx.Client(base_url=ep.admin_url)
        admin.put(
            "/gatormail",
            json={"seconds_per_mailshot": 0.5, "seconds_per_record": 0.0008, "new_every": 0},
        )
        admin.post("/gatormail/mailshots", json={"count": 2})
        db = open_database(folder / "cache.sqlite3")
        remotes = Remotes(
            None,
            None,
            ep.workbooks_base_url,
            ep.workbooks_api_key,
            spotler_base_url=ep.spotler_base_url,
            spotler_consumer_key=ep.spotler_consumer_key,
            spotler_consumer_secret=ep.spotler_consumer_secret,
        )
        monitor = QueueMonitor(db, remotes, settings=MailshotSettings(1, 10))
        page = QueuePage()
        page.setStyleSheet(STYLE_SHEET + page.styleSheet())
        page.resize(1400, 760)
        page.set_services(services_over(db))
        page.show()
        poller = page.attach(monitor)
        await until(lambda: poller.polls >= 1)
        await until(lambda: page.model.rowCount() > 0 and poller.last_result.snapshot.throughput)
        admin.post("/gatormail/mailshots", json={"name": LONG})
        admin.post("/gatormail/mailshots", json={"count": 3})
        await until(lambda: page._snapshot is not None and page._snapshot.blocked_by is not None)
        page.select_mailshot(page._snapshot.blocked_by.id)
        await asyncio.sleep(0.5)
        page.grab().save(str(out))
        page._fix_blocker()
        await asyncio.sleep(0.3)
        assert page.dialog is not None
        page.dialog.grab().save(str(out.with_name(out.stem + "-dialog.png")))
        page.dialog.edit.setText(page.dialog.edit.text() + " ✨🎉")
        page.dialog.grab().save(str(out.with_name(out.stem + "-dialog-emoji.png")))
        page.dialog.edit.setText("Autumn 2026 Customer Newsletter – UK, Ireland and Benelux")
        page.dialog._confirm()
        await until(lambda: "queued at position" in page.detail.outcome.text(), timeout=60)
        await asyncio.sleep(0.3)
        page.grab().save(str(out.with_name(out.stem + "-fixed.png")))
        from syncmonitor.ui.settings.queue_statuses import section

        statuses = section()
        statuses.resize(560, 360)
        statuses.show()
        await asyncio.sleep(0.2)
        statuses.grab().save(str(out.with_name(out.stem + "-statuses.png")))
        await poller.stop()
        db.close()


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/i3-queue.png")
    app = QApplication.instance() or QApplication([])
    apply_look(app)  # type: ignore[arg-type]
    loop = qasync.QEventLoop(app)
    with tempfile.TemporaryDirectory() as folder, loop:
        loop.run_until_complete(shoot(out, Path(folder)))
    print(out)


if __name__ == "__main__":
    main()
