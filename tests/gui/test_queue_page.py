"""The Queue page on the real engine and a real sandbox, driven the way a person would."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from gui_fakes import eventually, services_over
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

import loopback_http
from recording_sink import RecordingSink
from store_backends import open_sqlite
from syncmonitor.app.config import MailshotSettings
from syncmonitor.connectors.http.retry import RetryPolicy
from syncmonitor.domain.mailshots.queue import QueueState
from syncmonitor.engine.mailshots.monitor import QueueMonitor
from syncmonitor.engine.runs.notices import Notice, NoticeLevel
from syncmonitor.engine.runs.notify_policy import EVENT_TYPES, NotificationPolicy
from syncmonitor.engine.runs.service import Remotes
from syncmonitor.sandbox.process import SandboxProcess
from syncmonitor.store.database import Database
from syncmonitor.ui.notifier import RecordingNotifier
from syncmonitor.ui.queue.page import QueuePage
from syncmonitor.ui.queue.poller import QueuePoller

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(90)]
LONG = "Autumn 2026 Customer Newsletter for all UK and Ireland accounts including partners and resellers"  # noqa: E501
LONG += " in Benelux"
QUICK = RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.01)
SETTINGS = MailshotSettings(busy_poll_seconds=0.2, idle_poll_seconds=30.0)


@dataclass
class Sandbox:
    admin: httpx.Client
    remotes: Remotes

    def put(self, **switches: Any) -> None:
        self.admin.put("/gatormail", json=switches).raise_for_status()

    def create(self, **fields: Any) -> list[int]:
        response = self.admin.post("/gatormail/mailshots", json=fields)
        response.raise_for_status()
        return list(response.json()["ids"])

    def mailshot(self, mailshot_id: int) -> dict[str, Any]:
        return dict(self.admin.get(f"/gatormail/mailshots/{mailshot_id}").json())


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with SandboxProcess(seed=9, people=10, tick=0) as process:
        ep = process.endpoints
        with loopback_http.client(base_url=ep.admin_url, timeout=30) as admin:
            box = Sandbox(
                admin,
                Remotes(
                    None,
                    None,
                    ep.workbooks_base_url,
                    ep.workbooks_api_key,
                    spotler_base_url=ep.spotler_base_url,
                    spotler_consumer_key=ep.spotler_consumer_key,
                    spotler_consumer_secret=ep.spotler_consumer_secret,
                ),
            )
            box.put(seconds_per_mailshot=0.05, seconds_per_record=0.00005, new_every=0)
            deadline = time.monotonic() + 10  # the world starts with two queued mailshots
            while queue := admin.get("/gatormail").json()["queue"]:
                assert time.monotonic() < deadline, f"the sandbox queue never drained: {queue}"
                time.sleep(0.05)
            yield box


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    db = open_sqlite(tmp_path / "cache.sqlite3")
    yield db
    db.close()


@pytest.fixture
def page(qtbot: QtBot, sandbox: Sandbox, database: Database) -> QueuePage:
    """The page, on screen, watching the sandbox once the test starts it with `watching()`."""
    queue_page = QueuePage()
    qtbot.addWidget(queue_page)
    queue_page.resize(1300, 700)
    queue_page.set_services(services_over(database))
    queue_page.show()
    queue_page.test_monitor = QueueMonitor(  # type: ignore[attr-defined]
        database, sandbox.remotes, settings=SETTINGS, sink=RecordingSink(), policy=QUICK
    )
    queue_page.test_monitor.status_every = 0  # type: ignore[attr-defined]
    return queue_page


@asynccontextmanager
async def watching(page: QueuePage) -> AsyncIterator[QueuePoller]:
    """Polling starts and stops inside the test's own run of the event loop (a poll begun in a
    fixture would be resumed by pytest-qt's event processing outside the loop)."""
    poller = page.attach(page.test_monitor)  # type: ignore[attr-defined]
    try:
        yield poller
    finally:
        await poller.stop()


def state_in_table(page: QueuePage, mailshot_id: int) -> QueueState | None:
    row = page.model.row_of(mailshot_id)
    item = page.model.item_at(row) if row is not None else None
    return item.state if item else None


async def test_fixing_a_blocking_name_end_to_end(
    qtbot: QtBot, page: QueuePage, sandbox: Sandbox
) -> None:
    async with watching(page):
        (long_id,) = sandbox.create(name=LONG, audience=40)
        behind = sandbox.create(count=2)
        await eventually(lambda: page.banner.isVisible(), timeout=15)
        assert "The GatorMail queue is blocked" in page.banner_text.text()
        assert "2 mailshots are waiting behind" in page.banner_text.text()
        assert f"its name has {len(LONG)} characters and GatorMail accepts at most 100" in (
            page.banner_text.text()
        )
        assert state_in_table(page, long_id) is QueueState.BLOCKED

        qtbot.mouseClick(page.banner_fix, Qt.MouseButton.LeftButton)
        dialog = page.dialog
        assert dialog is not None and dialog.isVisible()
        assert page.detail.item is not None and page.detail.item.id == long_id
        assert "Subject (kept as it is)" in dialog.subject.text()
        assert dialog.counter.text().endswith("/ 100</span>")
        dialog.edit.clear()
        qtbot.keyClicks(dialog.edit, "x" * 101)
        assert "101 / 100" in dialog.counter.text()
        assert not dialog.ok_button.isEnabled()
        assert "101 characters" in dialog.message.text()
        dialog.edit.clear()
        assert not dialog.ok_button.isEnabled()  # empty
        qtbot.keyClicks(dialog.edit, "Autumn newsletter ")
        dialog.edit.insert("🍂")  # QTest cannot type a character outside the BMP; as if pasted
        assert "20 / 100" in dialog.counter.text()  # the emoji counts 2
        assert dialog.ok_button.isEnabled()
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)

        try:
            await eventually(lambda: "queued at position" in page.detail.outcome.text(), timeout=15)
        except AssertionError:
            raise AssertionError(page.detail.outcome.text()) from None

        assert "took the place" not in page.detail.outcome.text()
        # The copy is in the table at once, in the queue, selected (review-ux.md 2, bug 1).
        copy_id = page.poller.monitor.known_row(long_id)["replaced_by"]  # type: ignore[union-attr,index]
        assert page.detail.item is not None and page.detail.item.id == copy_id
        assert page.model.row_of(copy_id) is not None
        await eventually(lambda: not page.banner.isVisible(), timeout=15)
        await eventually(
            lambda: all(state_in_table(page, i) is QueueState.ARRIVED for i in behind), timeout=15
        )
        assert sandbox.mailshot(long_id)["is_deleted"] is True
        assert state_in_table(page, long_id) is QueueState.REMOVED
        page.select_mailshot(long_id)
        await eventually(
            lambda: any(
                "Replaced by the shorter copy" in page.detail.timeline.item(r).text()
                for r in range(page.detail.timeline.count())
            )
        )
        assert not page.detail.fix_button.isVisible()


async def test_a_failed_delete_mid_fix_says_what_is_left(
    qtbot: QtBot, page: QueuePage, sandbox: Sandbox
) -> None:
    async with watching(page):
        (long_id,) = sandbox.create(name=LONG)
        await eventually(lambda: page.banner.isVisible(), timeout=15)
        sandbox.put(fail_next_delete=5)
        page.select_mailshot(long_id)
        qtbot.mouseClick(page.detail.fix_button, Qt.MouseButton.LeftButton)
        assert page.dialog is not None
        page.dialog.edit.setText("Short")
        qtbot.mouseClick(page.dialog.ok_button, Qt.MouseButton.LeftButton)
        await eventually(lambda: "half done" in page.detail.outcome.text(), timeout=20)
        assert "could not be deleted" in page.detail.outcome.text()
        assert page.banner.isVisible()
        assert sandbox.mailshot(long_id)["is_deleted"] is False


async def test_retry_and_cancel_from_the_detail_pane(
    qtbot: QtBot, page: QueuePage, sandbox: Sandbox
) -> None:
    async with watching(page):
        sandbox.put(fail_next=1)
        (failed,) = sandbox.create()
        await eventually(lambda: state_in_table(page, failed) is QueueState.FAILED, timeout=15)
        page.select_mailshot(failed)
        assert page.detail.retry_button.isVisible() and not page.detail.cancel_button.isVisible()
        qtbot.mouseClick(page.detail.retry_button, Qt.MouseButton.LeftButton)
        await eventually(lambda: state_in_table(page, failed) is QueueState.ARRIVED, timeout=15)

        sandbox.create(name=LONG)
        (waiting,) = sandbox.create()
        # Idle, the page reads every 30 s here; the person asks for a look now.
        qtbot.mouseClick(page.read_now, Qt.MouseButton.LeftButton)
        await eventually(lambda: state_in_table(page, waiting) is QueueState.WAITING, timeout=15)
        page.select_mailshot(waiting)
        assert page.detail.cancel_button.isVisible()
        qtbot.mouseClick(page.detail.cancel_button, Qt.MouseButton.LeftButton)
        box = page.cancel_box
        assert isinstance(box, QMessageBox) and box.isVisible()
        qtbot.mouseClick(box.button(QMessageBox.StandardButton.Yes), Qt.MouseButton.LeftButton)
        await eventually(lambda: state_in_table(page, waiting) is QueueState.CANCELLED, timeout=15)
        assert sandbox.mailshot(waiting)["status"] == "Draft"


async def test_watched_at_the_idle_rate_while_another_page_shows(
    page: QueuePage, sandbox: Sandbox
) -> None:
    async with watching(page) as poller:
        sandbox.put(running=False)
        sandbox.create(count=2)
        await eventually(
            lambda: poller.last_result is not None and poller.last_result.snapshot.in_queue
        )
        await eventually(lambda: poller.next_poll_in() is not None)
        assert poller.next_poll_in() <= 0.6  # type: ignore[operator]  # on screen: the stalled rate
        page.hide()
        polls = poller.polls
        await eventually(lambda: poller.polls > polls and poller.next_poll_in() is not None)
        assert poller.next_poll_in() > 20  # type: ignore[operator]  # hidden: the idle rate
        page.show()  # back on screen: looks at once, then at the quick rate again
        await eventually(lambda: poller.next_poll_in() is not None and poller.next_poll_in() < 1)


async def test_queue_notices_go_through_the_notification_policy() -> None:
    notifier = RecordingNotifier()
    policy = NotificationPolicy(notifier.notify)
    policy.set_enabled("mailshot.arrived", False)  # the person switched arrivals off
    policy.snooze(timedelta(hours=1))  # and snoozed: errors still come through
    policy.post(Notice("queue.blocked", NoticeLevel.ERROR, "Blocked", "3 waiting", "k"))
    policy.post(Notice("apikey.expiring", NoticeLevel.ISSUE, "Key", "expires", "k"))
    policy.post(Notice("mailshot.arrived", NoticeLevel.INFO, "Arrived", "Spring", "1"))
    assert [(n.level, n.title) for n in notifier.sent] == [(NoticeLevel.ERROR, "Blocked")]
    assert {"mailshot.arrived", "queue.blocked", "apikey.expiring", "integration.stopped"} <= set(
        EVENT_TYPES
    )  # registered: Settings > Notifications lists them with their own switches


async def test_the_key_and_the_integration_are_not_readable_and_can_be_recorded(
    qtbot: QtBot, page: QueuePage
) -> None:
    async with watching(page):
        await eventually(lambda: page.poller is not None and page.poller.polls >= 1)
        summary = page.summary.text()
        assert "API key: <i>not readable by API</i>" in summary
        assert "Integration: <i>not readable by API</i>" in summary
        assert "Start &gt; Configuration &gt; Automation &gt; API Keys" in page.notes.text()
        assert "Tools &gt; Integration &gt; General" in page.notes.text()
        qtbot.mouseClick(page.record_check, Qt.MouseButton.LeftButton)
        dialog = page.check_dialog
        assert dialog is not None and dialog.isVisible()
        dialog.until.setDate(dialog.until.date().currentDate().addDays(3))
        dialog.running.setChecked(True)
        dialog._save()
        await eventually(lambda: "recorded by an admin" in page.summary.text(), timeout=10)
        await eventually(lambda: "checked running on" in page.summary.text(), timeout=10)
        assert "not readable" not in page.notes.text()


async def test_settings_asks_once_what_each_status_means(qtbot: QtBot, page: QueuePage) -> None:
    from syncmonitor.domain.mailshots.statuses import StatusRole
    from syncmonitor.ui.settings.queue_statuses import section

    async with watching(page) as poller:
        await eventually(lambda: poller.polls >= 1)
        assert "Sync Monitor guessed" in page.notes.text()
        widget = section()
        qtbot.addWidget(widget)
        combo = widget.combos["Queued"]
        assert widget.answer()["Queued"] is StatusRole.QUEUED  # prefilled with the guess
        assert combo.currentText() == StatusRole.QUEUED.label
        assert any("a guess" in label.text() for label in widget.findChildren(type(page.summary)))
        widget.save()
        await eventually(lambda: "Sync Monitor guessed" not in page.notes.text(), timeout=10)
        assert poller.monitor.status_meanings().values["Queued"].confirmed


async def test_a_status_never_seen_is_shown_raw_in_the_table_and_the_detail(qtbot: QtBot) -> None:
    from datetime import UTC, datetime

    from syncmonitor.domain.mailshots.queue import MailshotFacts, Throughput, build_snapshot
    from syncmonitor.domain.mailshots.statuses import StatusRole
    from syncmonitor.ui.models.mailshot_queue import QueueTableModel
    from syncmonitor.ui.queue.detail import MailshotDetailPane

    now = datetime(2026, 12, 1, 12, tzinfo=UTC)
    odd = MailshotFacts(7, "Odd", "Held for review", 1, 10, now, role=StatusRole.UNKNOWN)
    snapshot = build_snapshot(
        [odd],
        now=now,
        key=None,
        integration=None,
        throughput=Throughput(),
        syncing_since={},
        previous={7: QueueState.WAITING},
    )
    model = QueueTableModel()
    model.set_snapshot(snapshot)
    row = model.row_of(7)
    assert row is not None
    assert model.index(row, QueueTableModel.STATE).data() == "“Held for review”"
    pane = MailshotDetailPane()
    qtbot.addWidget(pane)
    pane.show_item(snapshot.item(7))
    assert "Held for review" in pane.state.text()
    assert "new to Sync Monitor" in pane.problems.text()
