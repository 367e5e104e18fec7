"""The Issues page over a cache with the causes a real first week has, as PNGs.

    python tests/gui/issues_screenshot.py [output folder]    (default /tmp/syncmonitor-issues)

Twelve people no Workbooks record matches, two refusals with one answer, one with another, a
missing Outreach scope, and Sean O'Brien deleted in Workbooks while his prospect lives on (the
delete hazard and, before issue 17, a second "no Workbooks person" issue for the same deletion).
Not collected by pytest. Renders light and dark at 1024 x 700 and 1600 x 1000.
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
from sqlalchemy import insert

from syncmonitor.app.config import Config
from syncmonitor.engine.issues import person_issue
from syncmonitor.engine.two_way.outbound.writes import hazard_problem, hazard_todo
from syncmonitor.store import two_way as two_way_store
from syncmonitor.store.database import Database
from syncmonitor.store.issues import RecordIssue, record_issues
from syncmonitor.store.schema import sequence_states
from syncmonitor.ui import style
from syncmonitor.ui.app import SyncMonitorApp, make_application
from syncmonitor.ui.notifier import RecordingNotifier

UNMATCHED = (
    "No Workbooks person or sales lead has this Outreach id or email address (main email or "
    "Contact Details). Kept: it is written once a record with the address exists."
)


def add_issues(db: Database) -> None:
    hazard = two_way_store.Hazard("person", 10070, 70, "Sean O'Brien", "crm", "2026-11-30T10:00Z")
    with db.engine.begin() as conn:
        record_issues(
            conn,
            [
                person_issue(
                    ("outreach", 100 + i),
                    f"Person {i} <p{i}@example.com>",
                    UNMATCHED,
                    unmatched=True,
                )
                for i in range(12)
            ]
            + [
                person_issue(
                    ("outreach", 70), "Sean O'Brien <sean@example.com>", UNMATCHED, unmatched=True
                ),
                person_issue(
                    ("outreach", 200),
                    "Ada Lovelace <ada@example.com>",
                    "Field 'cf_person_sequence_state' is not a known field",
                    unmatched=False,
                ),
                person_issue(
                    ("outreach", 201),
                    "Bob Stone <bob@example.com>",
                    "Field 'cf_person_sequence_step' is not a known field",
                    unmatched=False,
                ),
            ],
            None,
        )
        record_issues(
            conn,
            [
                RecordIssue(
                    "outreach.accounts",
                    "permission",
                    "outreach.accounts",
                    "Outreach accounts (needs accounts.read)",
                    "Outreach refused: the token has no accounts.read scope.",
                    "Grant Sync Monitor the accounts.read permission in Outreach and sign in "
                    "again in Settings.",
                ),
                RecordIssue(
                    "outreach.prospects",
                    "person",
                    "workbooks:10070",
                    "Sean O'Brien",
                    hazard_problem(hazard),
                    hazard_todo(hazard),
                ),
            ],
            None,
        )
        two_way_store.note_hazards(conn, [hazard])
        conn.execute(
            insert(sequence_states),
            [
                {"provider": "outreach", "id": 9000 + n, "prospect_id": 70, "state": "active"}
                for n in range(3)
            ],
        )


async def settle() -> None:
    await asyncio.sleep(0.4)
    QApplication.processEvents()


async def shoot(out: Path, folder: Path) -> None:
    db = build_cache(folder / "cache.sqlite3", people=20, transitions=2)
    add_issues(db)
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
    page = window.issues
    window.show_page(page)
    for _ in range(50):
        await settle()
        if getattr(page, "ready", lambda: page.model.rowCount() > 0)():
            break
    select = getattr(page, "select_for_screenshot", None)
    for theme in ("light", "dark"):
        style.apply_look(app, theme)
        for width, height in ((1024, 700), (1600, 1000)):
            window.resize(width, height)
            if select is not None:
                select()
            else:
                page.table.selectRow(0)
            await settle()
            path = out / f"issues-{theme}-{width}x{height}.png"
            window.grab().save(str(path))
            print(path)
    gui.request_quit()
    await gui.shutdown()
    db.close()


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/syncmonitor-issues")
    out.mkdir(parents=True, exist_ok=True)
    app = make_application("light")
    with tempfile.TemporaryDirectory() as tmp:
        QSettings.setDefaultFormat(QSettings.Format.IniFormat)
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tmp)
        with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
            runner.run(shoot(out, Path(tmp)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
