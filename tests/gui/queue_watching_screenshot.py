"""Look at the Queue page on a desktop watching a team store: the server's reading, its age, and
the page after Settings switched Spotler off on a desktop of its own. Saves PNGs.

    python tests/gui/queue_watching_screenshot.py [output.png]

Not collected by pytest. Also writes `<output>-off.png` (the queue switched off in Settings).
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
from syncmonitor.engine.mailshots.recorded import ServerQueue, record_reading
from syncmonitor.engine.runs.service import Remotes
from syncmonitor.sandbox.process import SandboxProcess
from syncmonitor.store.database import open_database
from syncmonitor.ui.queue.page import QueuePage
from syncmonitor.ui.style import STYLE_SHEET, apply_look


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
        admin.put("/gatormail", json={"seconds_per_mailshot": 30, "new_every": 0})
        admin.post("/gatormail/mailshots", json={"name": "N" * 104})
        admin.post("/gatormail/mailshots", json={"count": 2})
        db = open_database(folder / "store.sqlite3")
        remotes = Remotes(
            None,
            None,
            ep.workbooks_base_url,
            ep.workbooks_api_key,
            spotler_base_url=ep.spotler_base_url,
            spotler_consumer_key=ep.spotler_consumer_key,
            spotler_consumer_secret=ep.spotler_consumer_secret,
        )
        server = QueueMonitor(db, remotes, settings=MailshotSettings(1, 10))
        for _ in range(3):
            record_reading(db, (await server.poll_once()).snapshot, "sync-server.example.com")
        page = QueuePage()
        page.setStyleSheet(STYLE_SHEET + page.styleSheet())
        page.resize(1400, 760)
        page.set_services(services_over(db))
        page.show()
        poller = page.attach(ServerQueue(db))
        await until(lambda: page.model.rowCount() > 0)
        await asyncio.sleep(4)
        page._update_freshness()
        page.grab().save(str(out))
        await poller.stop()
        page.poller = None
        page.detach(
            "The mailshot queue is not set up",
            "Spotler is not configured, so arrivals in GatorMail cannot be seen. Set the Spotler "
            "address, consumer key and secret in Settings > Connections. Settings saved at 16:40 "
            "UTC switched it off, so the queue is no longer read; what was read last stays in "
            "the cache.",
        )
        await asyncio.sleep(0.3)
        page.grab().save(str(out.with_name(out.stem + "-off.png")))
        await server.aclose()
        db.close()


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/queue-watching.png")
    app = QApplication.instance() or QApplication([])
    apply_look(app)  # type: ignore[arg-type]
    loop = qasync.QEventLoop(app)
    with tempfile.TemporaryDirectory() as folder, loop:
        loop.run_until_complete(shoot(out, Path(folder)))
    print(out)


if __name__ == "__main__":
    main()
