"""Look at the pages of issue 5: Runs (with its chart), Issues, Log, Settings, the tray menu.

    python tests/gui/screenshot_sync.py [folder]

Not collected by pytest. Writes runs.png, issues.png, log.png, settings-*.png and tray-menu.png.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import qasync
from gui_cache import build_cache
from gui_fakes import FakeServices, FakeSyncService, succeeded_run
from PySide6.QtCore import QSettings

from syncmonitor.app.config import Config
from syncmonitor.domain.timestamps import utc_now
from syncmonitor.store.issues import RecordIssue, record_issues
from syncmonitor.store.runs import finish_run, start_run
from syncmonitor.ui.app import SyncMonitorApp, make_application
from syncmonitor.ui.notifier import RecordingNotifier
from syncmonitor.ui.settings.dialog import SettingsDialog


def fill(db: object, log_file: Path) -> None:
    rng = random.Random(5)
    now = utc_now()
    with db.engine.begin() as conn:  # type: ignore[attr-defined]
        for i in range(72):
            started = now - timedelta(minutes=30 * (72 - i))
            kind = "inbound" if i % 4 == 1 else "full"
            trigger = "catch-up" if i == 40 else ("forced" if i % 9 == 0 else "scheduled")
            outcome = "failed" if i in (22, 23, 24) else ("cancelled" if i == 50 else "succeeded")
            read = 0 if outcome == "failed" else rng.randint(200, 1600)
            seconds = 1.5 if outcome == "failed" else 4 + read / 120 + rng.random() * 3
            run_id = start_run(conn, kind, trigger, started)
            finish_run(
                conn,
                run_id,
                outcome=outcome,
                finished=started + timedelta(seconds=seconds),
                duration_s=round(seconds, 2),
                records_read={"sequence_states": read, "prospects": read // 3},
                records_written={"transitions": read // 12, "workbooks_people": read // 25},
                error_title="Outreach cannot be reached" if outcome == "failed" else None,
                error_message="No answer from api.outreach.io (connection refused). Check the "
                "internet connection; Sync Monitor tries again in 2 min."
                if outcome == "failed"
                else None,
            )
        record_issues(
            conn,
            [
                RecordIssue(
                    "workbooks.push",
                    "person",
                    str(4000 + i),
                    f"{name} <{name.split()[0].lower()}@northwind.example.com>",
                    problem,
                    todo,
                )
                for i, (name, problem, todo) in enumerate(
                    [
                        (
                            "Amelia Hartley",
                            "No Workbooks person has this Outreach id or email.",
                            "Check that the person exists in Workbooks with this email address, "
                            "or put the Outreach prospect id in their Outreach id field; then "
                            "press Retry.",
                        ),
                        (
                            "Bruno Castell",
                            "cf_person_sequence_state: value is longer than 255 characters",
                            "Fix the value Workbooks names (or the field mapping in Settings), "
                            "then press Retry.",
                        ),
                        (
                            "Chen Wei",
                            "No Workbooks person has this Outreach id or email.",
                            "Check that the person exists in Workbooks with this email "
                            "address; then press Retry.",
                        ),
                    ]
                )
            ],
            None,
        )
    lines = []
    for i in range(40):
        level = "WARNING" if i % 11 == 5 else ("ERROR" if i == 23 else "INFO")
        lines.append(
            f"2026-11-22 09:{i:02d}:00,123 {level} syncmonitor.engine.runs.service: Run {i} "
            f"{'failed: Outreach cannot be reached' if level != 'INFO' else 'succeeded in 6.2 s'}"
        )
    log_file.write_text("\n".join(lines) + "\n")


async def until(condition: object, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():  # type: ignore[operator]
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("the window did not get there")
        await asyncio.sleep(0.02)


async def shoot(out: Path, folder: Path) -> None:
    db = build_cache(folder / "cache.sqlite3", people=50, transitions=3)
    log_file = folder / "syncmonitor.log"
    fill(db, log_file)
    handler = logging.FileHandler(log_file)
    service = FakeSyncService(db, sandbox_mode=True)
    service.previous = succeeded_run(minutes_ago=4)
    gui = SyncMonitorApp(
        Config(), lambda: FakeServices(service), use_tray=False, notifier=RecordingNotifier()
    )
    window = gui.window
    window.resize(1280, 800)
    window.show()
    gui.controller.start()
    await until(lambda: gui.controller.issue_count == 3)
    window.show_page(window.runs)
    await until(lambda: window.runs.model.rowCount() > 0)
    window.runs.table.selectRow(48)
    await asyncio.sleep(0.2)
    window.grab().save(str(out / "runs.png"))
    window.show_page(window.issues)
    await until(lambda: window.issues.ready())
    window.issues.select_for_screenshot()
    await asyncio.sleep(0.2)
    window.grab().save(str(out / "issues.png"))
    logging.getLogger().addHandler(handler)
    window.show_page(window.log_view)
    await until(lambda: "entries" in window.log_view.count_label.text())
    window.log_view.level.setCurrentIndex(2)
    await asyncio.sleep(0.2)
    window.grab().save(str(out / "log.png"))
    logging.getLogger().removeHandler(handler)

    service.hold = True
    gui.controller.sync_now()
    await service.reached_page.wait()
    gui.controller.sync_now()
    await asyncio.sleep(0.2)
    window.grab().save(str(out / "queued.png"))
    gui.tray.update_state()
    gui.tray.menu.adjustSize()
    gui.tray.menu.grab().save(str(out / "tray-menu.png"))
    gui.controller.cancel()
    await until(lambda: not gui.controller.running)

    dialog = SettingsDialog(Config(), folder / "config.toml", gui.policy, log_dir=folder)
    dialog.resize(640, 420)
    dialog.show()
    for index, name in enumerate(("connections", "schedule", "notifications", "general")):
        dialog.tabs.setCurrentIndex(index)
        await asyncio.sleep(0.1)
        dialog.grab().save(str(out / f"settings-{name}.png"))
    dialog.outreach.url.setText("http://api.outreach.io/api/v2")
    dialog.tabs.setCurrentIndex(0)
    dialog.save()
    await asyncio.sleep(0.1)
    dialog.grab().save(str(out / "settings-error.png"))
    dialog.close()
    gui.request_quit()
    await gui.shutdown()
    db.close()


def main() -> int:
    # Icons from this checkout (an installed copy elsewhere may not have the new ones yet).
    from syncmonitor.ui import resources

    resources.icons_dir = lambda: Path(__file__).resolve().parents[2] / "resources" / "icons"
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/sync-pages")
    out.mkdir(parents=True, exist_ok=True)
    app = make_application()
    with tempfile.TemporaryDirectory() as tmp:
        QSettings.setDefaultFormat(QSettings.Format.IniFormat)
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tmp)
        with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
            runner.run(shoot(out, Path(tmp)))
    print(f"Saved to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
