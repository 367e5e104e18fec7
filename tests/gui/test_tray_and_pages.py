"""The tray menu driven like a person would, and the Runs, Issues and Log pages."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from gui_fakes import FakeServices, FakeSyncService, eventually, succeeded_run
from pytestqt.qtbot import QtBot

from syncmonitor.app.config import Config
from syncmonitor.domain.timestamps import utc_now
from syncmonitor.engine.runs.notices import Notice, NoticeLevel
from syncmonitor.store.database import Database
from syncmonitor.store.issues import RecordIssue, record_issues
from syncmonitor.store.runs import finish_run, start_run
from syncmonitor.ui.app import SyncMonitorApp
from syncmonitor.ui.log.page import LogPage
from syncmonitor.ui.notifier import RecordingNotifier
from syncmonitor.ui.single_instance import SingleInstance, server_name
from syncmonitor.ui.sync_controller import Phase

pytestmark = pytest.mark.asyncio


def add_issues(db: Database, count: int) -> None:
    with db.engine.begin() as conn:
        record_issues(
            conn,
            [
                RecordIssue(
                    "workbooks.push",
                    "person",
                    str(1000 + i),
                    f"Person {i} <p{i}@example.com>",
                    "No Workbooks person has this Outreach id or email.",
                    "Check the email in Workbooks, then press Retry.",
                )
                for i in range(count)
            ],
            None,
        )


def add_runs(db: Database) -> None:
    now = utc_now()
    with db.engine.begin() as conn:
        for i, (kind, trigger, outcome, seconds, read) in enumerate(
            [
                ("full", "scheduled", "succeeded", 12.0, 900),
                ("inbound", "catch-up", "succeeded", 3.5, 120),
                ("full", "forced", "failed", 1.2, 0),
                ("full", "scheduled", "cancelled", 6.0, 300),
            ]
        ):
            started = now - timedelta(hours=4 - i)
            run_id = start_run(conn, kind, trigger, started)
            finish_run(
                conn,
                run_id,
                outcome=outcome,
                finished=started + timedelta(seconds=seconds),
                duration_s=seconds,
                records_read={"sequence_states": read, "prospects": read // 3},
                records_written={"transitions": read // 10, "workbooks_people": read // 20},
                error_title="Outreach refused the access token" if outcome == "failed" else None,
                error_message="Sign in again in Settings." if outcome == "failed" else None,
            )


@pytest_asyncio.fixture
async def app(
    qtbot: QtBot, make_cache: Callable[..., Database]
) -> AsyncIterator[tuple[SyncMonitorApp, FakeSyncService, RecordingNotifier]]:
    db = make_cache(people=5)
    add_issues(db, 3)
    add_runs(db)
    service = FakeSyncService(db)
    service.previous = succeeded_run(minutes_ago=3)
    notifier = RecordingNotifier()
    gui = SyncMonitorApp(Config(), lambda: FakeServices(service), use_tray=False, notifier=notifier)
    gui.start()
    await eventually(lambda: gui.controller.phase is Phase.IDLE)
    await eventually(lambda: gui.controller.issue_count == 3)
    yield gui, service, notifier
    await gui.shutdown()
    gui.window.deleteLater()


async def test_the_tray_menu_works_without_a_system_tray(app) -> None:  # type: ignore[no-untyped-def]
    gui, _service, notifier = app
    tray = gui.tray
    assert not tray.isVisible()  # offscreen has no tray; the object and its menu still work
    texts = [a.text() for a in tray.menu.actions() if not a.isSeparator()]
    assert texts[:2] == ["3 issues to review · Last sync 3 min ago", "Sync now"]
    assert "Pause syncing" in texts and "Show issues (3)" in texts
    assert "Open Sync Monitor" in texts and "Quit Sync Monitor" in texts
    assert [a.text() for a in tray.snooze_actions] == ["30 minutes", "1 hour", "8 hours"]
    assert tray.state == "attention"
    assert "Last sync 3 min ago" in tray.toolTip() and "Next full sync in 27 min" in tray.toolTip()

    tray.issues_action.trigger()
    assert gui.window.isVisible()
    assert gui.window.pages.currentWidget() is gui.window.issues

    tray.pause_action.trigger()
    assert gui.controller.scheduler.paused and tray.state == "paused"
    assert tray.pause_action.text() == "Resume syncing"
    assert gui.window.status.next_label.text() == "Syncing paused"
    tray.pause_action.trigger()
    assert not gui.controller.scheduler.paused

    tray.snooze_actions[0].trigger()
    assert gui.policy.snoozed
    assert tray.snooze_menu.title().startswith("Notifications snoozed until")
    gui.policy.post(Notice("people.opted_out", NoticeLevel.ISSUE, "Opted out", "x", "1"))
    gui.policy.post(Notice("sync.failed", NoticeLevel.ERROR, "Broken", "y", "k"))
    assert [n.title for n in notifier.sent] == ["Broken"]  # errors always come through
    tray.unsnooze_action.trigger()
    assert not gui.policy.snoozed and tray.snooze_menu.title() == "Snooze notifications"


async def test_sync_now_during_a_sync_is_queued_once_and_cancel_says_so(app) -> None:  # type: ignore[no-untyped-def]
    gui, service, _ = app
    window, tray = gui.window, gui.tray
    service.hold = True
    tray.sync_action.trigger()
    await eventually(lambda: service.reached_page.is_set())
    assert tray.state == "syncing" and tray.cancel_action.isVisible()

    window.sync_action.trigger()  # a second Sync now while it runs
    assert window.sync_action.text() == "Sync queued" and not window.sync_action.isEnabled()
    assert tray.sync_action.text() == "Sync queued"
    assert "Queued" in window.status.activity.text()
    tray.sync_action.trigger()  # and again from the tray: still one queued run
    assert len(gui.controller.queued) == 1

    window.cancel_action.trigger()
    assert window.status.activity.text().startswith(
        "Cancelling the full sync; 1 queued sync dropped"
    )
    await eventually(lambda: not gui.controller.running)
    assert service.runs == ["forced"]  # the queued one never ran
    assert window.sync_action.text() == "Sync now" and window.sync_action.isEnabled()


async def test_a_queued_sync_runs_after_the_running_one(app) -> None:  # type: ignore[no-untyped-def]
    gui, service, _ = app
    service.hold = True
    gui.window.sync_action.trigger()
    await eventually(lambda: service.reached_page.is_set())
    gui.window.sync_action.trigger()
    service.hold = False
    service.release()
    await eventually(lambda: len(service.runs) == 2 and not gui.controller.running)
    assert service.runs == ["forced", "forced"]


async def test_tray_icon_states_follow_what_happens(app) -> None:  # type: ignore[no-untyped-def]
    gui, service, _ = app
    service.fail_with = ("Outreach cannot be reached", "Check the connection.")
    gui.window.sync_action.trigger()
    await eventually(lambda: not gui.controller.running and service.runs)
    assert gui.tray.state == "error"
    assert gui.window.status.next_label.text() == "Retrying in 2 min"

    service.fail_kind = "offline"  # no answer at all: offline, not an error of the remote's
    gui.window.sync_action.trigger()
    await eventually(lambda: not gui.controller.running and len(service.runs) == 2)
    assert gui.tray.state == "offline"
    assert gui.controller.scheduler.failures == 2
    assert gui.window.status.next_label.text() == "Retrying in 4 min"  # backing off

    service.fail_with = service.fail_kind = None
    gui.window.sync_action.trigger()
    await eventually(lambda: not gui.controller.running and len(service.runs) == 3)
    assert gui.tray.state == "attention"  # synced; the 3 issues still want a look
    assert gui.window.status.next_label.text() == "Next full sync in 30 min"


async def test_the_issues_page_groups_by_cause_and_acts_on_a_group_or_a_record(app) -> None:  # type: ignore[no-untyped-def]
    gui, service, _ = app
    page = gui.window.issues
    gui.window.show_page(page)
    await eventually(lambda: page.model.rowCount() == 1 and not page.model.loading)
    group = page.model.index(0, 0)
    page.tree.expand(group)
    assert page.model.rowCount(group) == 3  # one cause, its three records under it
    assert page.count_label.text() == "3 open issues, 1 cause"
    assert "3 people" in group.data()
    assert not page.retry_button.isEnabled()

    page.select_group(0)
    assert (
        page.retry_button.text() == "Retry all 3" and page.dismiss_button.text() == "Dismiss all 3"
    )
    assert "What to do (once for all 3):" in page.detail.text()
    page.retry_button.click()  # several people: a full sync tries each again
    await eventually(lambda: service.requests and not gui.controller.running)
    assert service.requests[-1][2] is None

    page.select_record(0, 0)
    assert page.retry_button.text() == "Retry"
    assert "What to do:" in page.detail.text() and "Person 2" in page.detail.text()
    page.retry_button.click()
    await eventually(lambda: len(service.requests) == 2 and not gui.controller.running)
    assert service.requests[-1] == ("forced", "full", 1002)  # one person, by prospect id

    page.select_record(0, 0)
    page.dismiss_button.click()  # one record of the group
    await eventually(
        lambda: page.model.rowCount(page.model.index(0, 0)) == 2 and gui.controller.issue_count == 2
    )
    page.select_group(0)
    page.dismiss_button.click()  # the rest of the group at once
    await eventually(lambda: page.model.rowCount() == 0 and gui.controller.issue_count == 0)
    assert page.stack.currentWidget() is page.empty
    page.show_dismissed.setChecked(True)
    await eventually(lambda: page.model.rowCount() == 1 and not page.model.loading)
    assert "(dismissed)" in page.model.index(0, 0).data()
    page.tree.expand(page.model.index(0, 0))
    assert page.model.rowCount(page.model.index(0, 0)) == 3


async def test_the_runs_page_shows_every_run_and_the_chart(app) -> None:  # type: ignore[no-untyped-def]
    gui, _service, _ = app
    page = gui.window.runs
    gui.window.show_page(page)
    await eventually(lambda: page.model.rowCount() == 4)
    cells = [page.model.index(r, c).data() for r in range(4) for c in (1, 2, 6)]
    assert cells[:3] == ["Full", "Scheduled", "Cancelled"]
    assert cells[3:6] == ["Full", "Forced", "Failed: Outreach refused the access token"]
    assert cells[6:9] == ["Inbound", "Catch up", "Succeeded"]
    assert page.model.index(3, 3).data() == "12 s"  # as `syncmonitor runs` prints it
    assert [r.id for r in page.chart.runs] == [1, 2, 3, 4]  # oldest on the left
    image = page.chart.grab().toImage()
    assert image.width() > 100
    page.table.selectRow(1)
    assert "Outreach refused the access token" in page.detail.text()
    assert "900 sequence states" not in page.detail.text()
    page.table.selectRow(3)
    assert "900 sequence states, 300 prospects" in page.detail.text()


async def test_the_log_page_filters_by_level(qtbot: QtBot, tmp_path: Path) -> None:
    log_file = tmp_path / "syncmonitor.log"
    log_file.write_text(
        "2026-11-22 09:00:00,001 INFO a: started\n"
        "2026-11-22 09:00:01,001 WARNING a: slow\n"
        "2026-11-22 09:00:02,001 ERROR a: broken\nTraceback: x\n"
    )
    page = LogPage(log_file)
    qtbot.addWidget(page)
    page.show()
    await eventually(
        lambda: "3 of 3" in page.count_label.text() or "2 of 3" in page.count_label.text()
    )
    page.level.setCurrentIndex(3)  # errors only
    assert page.text.toPlainText() == "2026-11-22 09:00:02,001 ERROR a: broken\nTraceback: x"
    page.level.setCurrentIndex(0)
    assert page.text.toPlainText().count("\n") == 3
    page.find.setText("BROKEN a")  # every word, in any case
    assert page.text.toPlainText() == "2026-11-22 09:00:02,001 ERROR a: broken\nTraceback: x"
    assert page.count_label.text().startswith("1 of 3 entries")
    page.find.clear()
    assert page.text.lineWrapMode() is page.text.LineWrapMode.WidgetWidth  # long lines wrap
    page.wrap.setChecked(False)
    assert page.text.lineWrapMode() is page.text.LineWrapMode.NoWrap


async def test_a_second_launch_brings_the_running_window_forward(
    qtbot: QtBot, tmp_path: Path
) -> None:
    name = server_name(str(tmp_path))
    first = SingleInstance(name)
    assert not first.ask_running_instance()  # nobody is running yet
    assert first.listen()
    asked: list[bool] = []
    first.activate_requested.connect(lambda: asked.append(True))
    second = SingleInstance(name)
    answered = second.ask_running_instance()  # connects through the OS; no loop needed
    assert answered
    await eventually(lambda: asked == [True])
    first.close()


async def test_sync_this_person_forces_the_selected_person(app) -> None:  # type: ignore[no-untyped-def]
    gui, service, _ = app
    window = gui.window
    window.show_page(window.people)
    assert window.sync_person_action.isVisible() and not window.sync_person_action.isEnabled()
    await eventually(lambda: window.people.model.rowCount() > 0)
    window.people.table.selectRow(0)
    await eventually(lambda: window.sync_person_action.isEnabled())
    window.sync_person_action.trigger()
    await eventually(lambda: service.requests and not gui.controller.running)
    selected = window.people.selected_person()
    assert selected is not None
    assert service.requests[-1] == ("forced", "full", selected[1])
    window.show_page(window.runs)  # stays in its place (nothing moves), disabled, saying why
    assert window.sync_person_action.isVisible() and not window.sync_person_action.isEnabled()
    assert "People page" in window.sync_person_action.toolTip()
