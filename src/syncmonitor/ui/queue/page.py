"""The Queue page: the GatorMail mailshot queue, live, with what blocks it and how to fix it."""

from __future__ import annotations

import asyncio
import html
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, QSettings, Qt, QTimer
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from syncmonitor.app.errors import UserFacingError
from syncmonitor.domain.durations import duration_text
from syncmonitor.domain.mailshots.queue import QueueSnapshot
from syncmonitor.domain.mailshots.rules import format_date
from syncmonitor.domain.timestamps import utc_now
from syncmonitor.engine.mailshots.monitor import PollResult, QueueMonitor
from syncmonitor.engine.mailshots.recorded import ServerQueue
from syncmonitor.engine.mailshots.report import FIGURE_SOURCES
from syncmonitor.engine.mailshots.runs import MAILSHOT, mailshot_run_result
from syncmonitor.engine.runs.events import RunResult
from syncmonitor.engine.runs.targets import RunRequest, Target
from syncmonitor.ui.acts import acts
from syncmonitor.ui.models.mailshot_queue import QueueTableModel
from syncmonitor.ui.page import Page
from syncmonitor.ui.queue.check_dialog import CheckDialog
from syncmonitor.ui.queue.detail import MailshotDetailPane
from syncmonitor.ui.queue.fix_name_dialog import FixNameDialog
from syncmonitor.ui.queue.poller import QueuePoller
from syncmonitor.ui.style import fg
from syncmonitor.ui.widgets import AdaptiveSplitter, compact_table, empty_state, named

if TYPE_CHECKING:
    from syncmonitor.ui.service_protocols import ServicesLike
    from syncmonitor.ui.sync_controller import SyncController

# The banner's, the summary's and the error's colours are in ui/style.py (light and dark).

# A server reading older than this is said to be old: its daemon reads at least every idle
# interval (a minute by default), so five minutes means it has probably stopped.
STALE_SERVER_READING_S = 300


class QueuePage(Page):
    """Live table of the queue, a banner when it is stuck, and the selected mailshot's detail."""

    title = "Queue"
    icon_name = "sync"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.poller: QueuePoller | None = None
        self._force: Callable[[Target], object] | None = None  # the scheduler, once offered
        self.dialog: FixNameDialog | None = None
        self._selected: int | None = None
        self._snapshot: QueueSnapshot | None = None
        self._read_at: float | None = None
        self.stopping: asyncio.Future[None] | None = None  # a poller Settings switched off

        self.banner = named(QFrame(), "queueBanner")
        self.banner_text = named(QLabel(), "queueBannerText")
        self.banner_text.setWordWrap(True)
        self.banner_text.setTextFormat(Qt.TextFormat.RichText)
        self.banner_fix = named(QPushButton("Fix name…"), "bannerFix")
        acts(self.banner_fix)
        self.banner_fix.clicked.connect(self._fix_blocker)
        banner_layout = QHBoxLayout(self.banner)
        banner_layout.setContentsMargins(12, 8, 12, 8)
        banner_layout.addWidget(self.banner_text, 1)
        banner_layout.addWidget(self.banner_fix, 0, Qt.AlignmentFlag.AlignVCenter)
        self.banner.hide()

        self.summary = named(QLabel(), "queueSummary")
        self.summary.setWordWrap(True)
        self.freshness = named(QLabel(), "queueFreshness")
        self.read_now = named(QPushButton("Read now"), "readNow")
        self.read_now.setToolTip(
            "Read the queue from Workbooks and Spotler now. It is read by itself every "
            "few seconds while mailshots move, and about once a minute when the queue is empty."
        )
        self.read_now.setEnabled(False)
        self.read_now.clicked.connect(self._read_now)
        self.record_check = named(QPushButton("Record a check…"), "recordCheck")
        self.record_check.setToolTip(
            "The API key and 'Integration running' cannot be read through any API: record what "
            "you saw in Workbooks and GatorMail."
        )
        self.record_check.clicked.connect(self.open_check_dialog)
        acts(self.record_check)
        self.check_dialog: CheckDialog | None = None
        self.error = named(QLabel(), "queueError")
        self.error.setWordWrap(True)
        self.error.hide()
        # What this poll could not read or tell, one line each (stale figures, guesses, values
        # never seen): the rows above it are from the same poll.
        self.notes = named(QLabel(), "queueNotes")
        self.notes.setWordWrap(True)
        self.notes.setTextFormat(Qt.TextFormat.RichText)
        self.notes.hide()
        # What saving Settings changed for the queue (new settings taken, switched on or off).
        self.settings_note = named(QLabel(), "queueSettingsNote")
        self.settings_note.setWordWrap(True)
        self.settings_note.hide()

        self.model = QueueTableModel(self)
        self.table = compact_table(self.model)
        for column, width in ((0, 36), (1, 240), (2, 76), (3, 82), (4, 72), (5, 116)):
            self.table.setColumnWidth(column, width)
        self.table.horizontalHeader().setSectionResizeMode(
            QueueTableModel.NOTE, QHeaderView.ResizeMode.Stretch
        )
        self.table.selectionModel().currentRowChanged.connect(self._on_current_changed)
        self.model.modelReset.connect(self._reselect)
        self.empty = empty_state("Starting…")
        self.list_stack = QStackedWidget()
        self.list_stack.addWidget(self.empty)
        self.list_stack.addWidget(self.table)

        self.detail = MailshotDetailPane()
        self.detail.fix_requested.connect(self.open_fix_dialog)
        self.detail.retry_requested.connect(self._retry)
        self.detail.cancel_requested.connect(self._confirm_cancel)
        self.detail.refresh_requested.connect(self._refresh_one)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(12, 12, 12, 12)
        left_layout.setSpacing(8)
        # Above the banner, so a banner never moves Read now. How fresh the reading is goes under
        # the summary: beside it, a watching desktop's "read by the team server (name) ... ago"
        # squeezed the summary into five lines next to the two buttons.
        texts = QVBoxLayout()
        texts.setSpacing(2)
        texts.addWidget(self.summary)
        texts.addWidget(self.freshness)
        top = QHBoxLayout()
        top.addLayout(texts, 1)
        top.addWidget(self.record_check, 0, Qt.AlignmentFlag.AlignTop)
        top.addWidget(self.read_now, 0, Qt.AlignmentFlag.AlignTop)
        left_layout.addLayout(top)
        left_layout.addWidget(self.banner)
        left_layout.addWidget(self.error)
        left_layout.addWidget(self.notes)
        left_layout.addWidget(self.settings_note)
        left_layout.addWidget(self.list_stack, 1)
        # Side by side from 1100 px; below, the detail goes under the queue, which keeps its
        # State, In queue and ETA columns in view.
        self.splitter = AdaptiveSplitter(wide_from=1100)
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)
        left.setMinimumWidth(420)
        self.detail.setMinimumWidth(360)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)

        self._clock = QTimer(self)  # keeps "read 5 s ago" honest between polls
        self._clock.setInterval(1000)
        self._clock.timeout.connect(self._update_freshness)

    # Page ---------------------------------------------------------------------------------------

    def set_waiting(self, message: str) -> None:
        if self.poller is None:
            self.empty.set_text(message)
            self.list_stack.setCurrentWidget(self.empty)

    def set_services(self, services: ServicesLike | None) -> None:
        self.detail.set_service(services.queue if services else None)
        if self.poller is not None:
            self.poller.service = self.detail.service

    def attach(self, monitor: QueueMonitor | ServerQueue) -> QueuePoller:
        """Start watching the queue through `monitor` (in the background, whatever page shows);
        a ServerQueue on a desktop watching a team store: the server's readings, from the
        store."""
        self.poller = QueuePoller(monitor, self)
        self.poller.service = self.detail.service  # a watching desktop's actions: requests
        self.poller.polled.connect(self.show_result)
        self.poller.action_started.connect(lambda text: self.detail.set_busy(True, text))
        self.poller.action_finished.connect(self._action_finished)
        self.poller.action_failed.connect(self._action_failed)
        self.poller.copy_made.connect(self._select_copy)
        from syncmonitor.ui.settings.queue_statuses import register_source

        register_source(self.poller)
        self.poller.set_visible(self.isVisible())
        if self.poller.watching:
            self.empty.set_text(
                "Reading the team server's record of the GatorMail queue…",
                "The server's daemon reads Workbooks and Spotler; this desktop shows its readings.",
            )
            # What an admin saw is recorded by the team server, where the queue is read (a
            # request, like Fix name): the button stays.
            self.read_now.setText("Show latest")
            self.read_now.setToolTip(
                "Show the team server's latest reading of the queue now. The server's daemon "
                "reads Workbooks and Spotler; this desktop looks at its readings every few "
                "seconds and needs no credentials of its own."
            )
        else:
            self.empty.set_text(
                "Reading the GatorMail queue…", "Workbooks mailshots and Spotler campaigns"
            )
        self.poller.start()
        self.read_now.setEnabled(True)
        self._clock.start()
        return self.poller

    def offer_to_scheduler(self, controller: SyncController) -> None:
        """Make "sync this mailshot now" a scheduler target: one run at a time with the syncs,
        coalesced when pressed twice, shown on the Sync button like any forced sync."""

        async def run(request: RunRequest, progress: object, cancel: object) -> RunResult:
            poller = self.poller  # the one watching now (Settings may have started or stopped it)
            if poller is None:
                raise UserFacingError(
                    "The mailshot queue is not being read, so the mailshot cannot be read again.",
                    "Set up Workbooks and Spotler in Settings > Connections.",
                )
            started = utc_now()
            poll = await poller.refresh_and_wait(int(request.target.key))
            return mailshot_run_result(poll, started, utc_now())

        controller.scheduler.register(MAILSHOT, run, "mailshot")
        self._force = controller.force

    def unavailable(self, title: str, message: str) -> None:
        """The queue cannot be watched (not configured): say why on the page."""
        self.empty.set_text(title, message)
        self.list_stack.setCurrentWidget(self.empty)

    def detach(self, title: str, message: str) -> None:
        """Stop watching (Settings switched Workbooks or Spotler off): a read under way finishes,
        no new one starts, and the page says why in place of the table."""
        poller, self.poller = self.poller, None
        if poller is not None:  # a stopped poller is no source for Settings > Queue statuses
            poller.polled.disconnect(self.show_result)
            self.stopping = asyncio.ensure_future(poller.stop())
        self._clock.stop()
        self.read_now.setEnabled(False)
        self.banner.hide()
        self.notes.hide()
        self.settings_note.hide()
        self.summary.setText("")
        self.freshness.setText("")
        self._snapshot = None
        self._selected = None
        self.detail.show_item(None)
        self.unavailable(title, message)

    def tell_settings(self, text: str) -> None:
        self.settings_note.setText(text)
        self.settings_note.show()

    def save_state(self, settings: QSettings) -> None:
        settings.setValue("queue/splitter", self.splitter.saveState())

    def restore_state(self, settings: QSettings) -> None:
        state = settings.value("queue/splitter")
        if state is not None:
            self.splitter.restoreState(state)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.poller is not None:
            self.poller.set_visible(True)

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        if self.poller is not None:
            self.poller.set_visible(False)

    # showing the queue --------------------------------------------------------------------------

    def show_result(self, result: PollResult) -> None:
        snapshot = result.snapshot
        self._snapshot = snapshot
        self._read_at = time.monotonic() if result.error is None else self._read_at
        self.error.hide()  # a failed read is one line among the notes, with what it leaves stale
        notes = [
            n for n in snapshot.notes if n.code not in ("key_unreadable", "integration_unreadable")
        ]
        if notes:
            self.notes.setText(
                "<br>".join(f"• {html.escape(n.message, quote=False)}" for n in notes)
            )
            self.notes.show()
        else:
            self.notes.hide()
        self.model.set_snapshot(snapshot)
        if snapshot.items:
            self.list_stack.setCurrentWidget(self.table)
        elif self.poller is not None and self.poller.watching and not snapshot.reads:
            self.empty.set_text(
                "The team server has not read the GatorMail queue yet",
                "Its daemon reads it once Workbooks and Spotler are set up in the server's "
                "configuration; this page shows the readings as they come.",
            )
        else:
            self.empty.set_text(
                "No GatorMail mailshots yet",
                "Mailshots appear here as soon as someone presses Synchronise in Workbooks.",
            )
            self.list_stack.setCurrentWidget(self.empty)
        self._show_banner(snapshot)
        self._show_summary(snapshot)
        if self._selected is not None:
            item = snapshot.item(self._selected)
            if item is not None and item != self.detail.item:
                self.detail.show_item(
                    item, reload_timeline=item.state != getattr(self.detail.item, "state", None)
                )
        elif snapshot.items and self.table.currentIndex().row() < 0:
            self.table.selectRow(0)
        self._update_freshness()

    def _show_banner(self, snapshot: QueueSnapshot) -> None:
        problem = snapshot.queue_problem
        if problem is None:
            self.banner.hide()
            return
        heading = {
            "blocked": "The GatorMail queue is blocked",
            "api_key": "The GatorMail API key is the problem",
            "integration_stopped": "The GatorMail integration is not running",
            "stalled": "The integration has probably stopped (inferred)",
        }.get(problem.code, "The GatorMail queue is stuck")
        self.banner_text.setText(f"<b>{heading}</b><br>{html.escape(problem.message)}")
        self.banner_fix.setVisible(snapshot.blocked_by is not None and problem.code == "blocked")
        self.banner.show()

    def _show_summary(self, snapshot: QueueSnapshot) -> None:
        queued = len(snapshot.in_queue)
        parts = [f"<b>{queued}</b> mailshot{'s' if queued != 1 else ''} in the queue"]
        if snapshot.throughput:
            parts.append(f"~{snapshot.throughput:,.0f} records/s <i>(inferred)</i>")
        red = f"<span style='color:{fg('#ae2a19')}'>{{}}</span>"
        key = snapshot.key
        if key is None:
            parts.append("API key: <i>not readable by API</i>")
        elif key.problem(snapshot.taken_at):
            parts.append(red.format("API key: not usable"))
        elif key.valid_until is not None:
            parts.append(f"API key: until {format_date(key.valid_until)} <i>({key.source})</i>")
        else:
            parts.append(f"API key: no Until date <i>({key.source})</i>")
        integration = snapshot.integration
        if integration is None:
            parts.append("Integration: <i>not readable by API</i>")
        elif integration.running is False:
            parts.append(red.format("Integration: stopped"))
        elif integration.running:
            parts.append("Integration: running")
        else:
            parts.append(f"Integration: <i>{integration.source}</i>")
        self.summary.setText("  ·  ".join(parts))
        tips = [f"{name}: {source}" for name, source in FIGURE_SOURCES.items()]
        tips += [f"{r.name}: {'ok' if r.ok else 'FAILED'}" for r in snapshot.reads]
        self.summary.setToolTip("\n".join(tips))

    def _update_freshness(self) -> None:
        if self.poller is not None and self.poller.watching:
            self.freshness.setText(self._server_freshness())
            return
        if self._read_at is None or self.poller is None:
            self.freshness.setText("")
            return
        ago = int(time.monotonic() - self._read_at)
        text = "read just now" if ago < 2 else f"read {ago} s ago"
        following = self.poller.next_poll_in()
        if following is not None:
            text += f", next in {int(following) + 1} s"
        self.freshness.setText(text)

    def _server_freshness(self) -> str:
        """Whose reading this is and how old (the server reads; this desktop only shows)."""
        assert self.poller is not None
        monitor = self.poller.monitor
        if not isinstance(monitor, ServerQueue) or monitor.snapshot is None:
            return "the team server has not read the queue yet"
        taken = monitor.snapshot.taken_at
        ago = max(0, int((utc_now() - taken).total_seconds()))
        by = f" ({monitor.recorded_by})" if monitor.recorded_by else ""
        when = f"{taken.astimezone():%H:%M:%S}"
        if ago >= STALE_SERVER_READING_S:
            return (
                f"read by the team server{by} at {when}, {duration_text(ago)} ago: is its daemon "
                "running?"
            )
        return f"read by the team server{by} {duration_text(ago)} ago, at {when}"

    # selection ----------------------------------------------------------------------------------

    def _on_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        item = self.model.item_at(current.row()) if current.isValid() else None
        self._selected = item.id if item else None
        self.detail.show_item(item)

    def _reselect(self) -> None:
        if self._selected is None:
            return
        row = self.model.row_of(self._selected)
        if row is not None:
            self.table.selectRow(row)

    def select_mailshot(self, mailshot_id: int) -> None:
        row = self.model.row_of(mailshot_id)
        if row is not None:
            self.table.selectRow(row)
            self.table.scrollTo(self.model.index(row, 0))

    # actions ------------------------------------------------------------------------------------

    def _fix_blocker(self) -> None:
        blocker = self._snapshot.blocked_by if self._snapshot else None
        if blocker is not None:
            self.select_mailshot(blocker.id)
            self.open_fix_dialog(blocker.id, blocker.facts.name)

    def open_check_dialog(self) -> None:
        dialog = CheckDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        if self.poller is not None:
            dialog.key_checked.connect(self.poller.record_key_check)
            dialog.integration_checked.connect(self.poller.record_integration_check)
        self.check_dialog = dialog
        dialog.open()

    def open_fix_dialog(self, mailshot_id: int, name: str) -> None:
        item = self._snapshot.item(mailshot_id) if self._snapshot else None
        dialog = FixNameDialog(
            mailshot_id,
            name,
            self,
            subject=item.facts.subject if item else None,
            audience=item.facts.audience if item else None,
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.confirmed.connect(lambda new_name: self._fix(mailshot_id, new_name))
        self.dialog = dialog
        dialog.open()

    def _fix(self, mailshot_id: int, new_name: str) -> None:
        if self.poller is not None:
            self.poller.fix_name(mailshot_id, new_name)

    def _retry(self, mailshot_id: int) -> None:
        if self.poller is not None:
            self.poller.retry(mailshot_id)

    def _read_now(self) -> None:
        if self.poller is not None:
            self.poller.poll_now()

    def _refresh_one(self, mailshot_id: int) -> None:
        item = self._snapshot.item(mailshot_id) if self._snapshot else None
        if self._force is not None:
            label = item.facts.name if item is not None else f"mailshot {mailshot_id}"
            self._force(Target(MAILSHOT, str(mailshot_id), label=f"“{label}”"))
        elif self.poller is not None:
            self.poller.refresh_one(mailshot_id)

    def _confirm_cancel(self, mailshot_id: int) -> None:
        item = self._snapshot.item(mailshot_id) if self._snapshot else None
        if item is None or self.poller is None:
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Cancel the sync?",
            f"Take “{item.facts.name}” out of the GatorMail queue? Its status in Workbooks goes "
            "back to New; the mailshot itself is not deleted, and you can synchronise it again "
            "later.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            self,
        )
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setDefaultButton(QMessageBox.StandardButton.No)
        poller = self.poller

        def answered(button: QAbstractButton) -> None:
            if box.standardButton(button) == QMessageBox.StandardButton.Yes:
                poller.cancel(mailshot_id)

        box.buttonClicked.connect(answered)
        self.cancel_box = box
        box.open()

    def _select_copy(self, copy_id: int) -> None:
        """The copy Fix name made: selected and scrolled to, where it really is in the queue."""
        self._selected = copy_id
        self.select_mailshot(copy_id)

    def _action_finished(self, message: str) -> None:
        self.detail.set_busy(False)
        self.detail.show_outcome(message)

    def _action_failed(self, title: str, message: str, half_done: bool) -> None:
        self.detail.set_busy(False)
        self.detail.show_outcome(f"{title}: {message}", error=True)
