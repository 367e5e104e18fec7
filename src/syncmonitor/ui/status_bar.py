"""The status bar: what the sync is doing now, the last error, and when it ran and runs next.

Relative times ("3 min ago", "in 27 min") are re-rendered every 30 seconds so they never go stale,
and "next sync" never shows a time in the past.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QStatusBar, QToolButton, QWidget

from syncmonitor.domain.timestamps import utc_now
from syncmonitor.engine.runs.events import RunOutcome, RunResult, SyncProgress
from syncmonitor.ui.status_text import last_sync_text, next_sync_text
from syncmonitor.ui.sync_controller import Phase, SyncController
from syncmonitor.ui.widgets import named

REFRESH_MS = 30_000


class SyncStatusBar(QStatusBar):
    """Progress while a sync runs, a dismissible error after a failed one, last and next sync.

    An error is shown in its short form, the title, with a Details button: the whole message
    (what happened, the copy kept, what to do) is several sentences and a path, which a status
    bar line would cut off; `details_requested` asks the window to show it whole."""

    details_requested = Signal(str, str)  # title, message
    error_cleared = Signal()

    def __init__(self, controller: SyncController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizeGripEnabled(False)
        self.setContentsMargins(8, 2, 4, 2)
        self._controller = controller

        self.activity = named(QLabel(), "activity")
        self.progress = named(QProgressBar(), "syncProgress")
        self.progress.setFixedWidth(160)
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(12)
        self.progress.hide()

        self.error_box = named(QWidget(), "errorBox")
        self.error_label = named(QLabel(), "errorText")
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details_button = named(QToolButton(), "errorDetails")
        self.details_button.setText("Details…")
        self.details_button.setToolTip("Show the whole message: what happened and what to do")
        self.details_button.clicked.connect(self._ask_details)
        self.dismiss_button = named(QToolButton(), "dismissError")
        self.dismiss_button.setText("Dismiss")
        self.dismiss_button.setToolTip("Hide this message (the next sync reports again)")
        self.dismiss_button.clicked.connect(self.dismiss_error)
        error_layout = QHBoxLayout(self.error_box)
        error_layout.setContentsMargins(8, 0, 4, 0)
        error_layout.setSpacing(8)
        error_layout.addWidget(self.error_label, 1)
        error_layout.addWidget(self.details_button)
        error_layout.addWidget(self.dismiss_button)
        self.error_box.hide()

        self.last_label = named(QLabel(), "lastSync")
        self.next_label = named(QLabel(), "nextSync")
        self.addWidget(self.progress)
        self.addWidget(self.activity, 1)
        self.addWidget(self.error_box, 3)
        self.addPermanentWidget(self.last_label)
        self.addPermanentWidget(self.next_label)

        self._pending: SyncProgress | None = None
        self._error: tuple[str, str] = ("", "")
        self._clock = QTimer(self)
        self._clock.setInterval(REFRESH_MS)
        self._clock.timeout.connect(self.refresh_times)
        self._clock.start()
        controller.phase_changed.connect(self._on_phase)
        controller.progress.connect(self._on_progress)
        controller.run_finished.connect(self._on_finished)
        controller.services_failed.connect(self.show_error)
        controller.message.connect(self.show_message)
        self._on_phase()

    # Progress -----------------------------------------------------------------------------------

    def _on_phase(self) -> None:
        phase = self._controller.phase
        running = self._controller.running
        self.progress.setVisible(running)
        if phase is Phase.STARTING:
            self.dismiss_error()  # a retry: the old start error no longer applies
            self.activity.setText(self._controller.starting_message)
            self.progress.setRange(0, 0)
            self.progress.show()
        elif phase is Phase.SYNCING and not self.activity.text().startswith("Syncing"):
            self.dismiss_error()  # the new run reports again when it ends
            self.progress.setRange(0, 0)
            self.activity.setText("Syncing…")
        elif phase is Phase.IDLE and self.activity.text() == self._controller.starting_message:
            self.activity.setText("Ready")
        self.refresh_times()

    def _on_progress(self, report: SyncProgress) -> None:
        # An engine can report thousands of times a second; paint at most every 50 ms.
        first = self._pending is None
        self._pending = report
        if first:
            QTimer.singleShot(50, self, self._show_progress)

    def _show_progress(self) -> None:
        report, self._pending = self._pending, None
        if report is None or not self._controller.running:
            return
        if report.total is None or report.total <= 0:
            self.progress.setRange(0, 0)  # busy: the engine cannot say how much is left
            count = f" ({report.done:,})" if report.done else ""
        else:
            self.progress.setRange(0, report.total)
            self.progress.setValue(min(report.done, report.total))
            count = f" ({report.done:,} of {report.total:,})"
        self.activity.setText(f"Syncing: {report.message}{count}")

    def _on_finished(self, result: RunResult) -> None:
        self._pending = None
        self.progress.hide()
        self.activity.setText(result.summary if result.outcome is not RunOutcome.FAILED else "")
        if result.outcome is RunOutcome.FAILED:
            self.show_error(result.error_title or "The sync failed", result.error_message or "")
        else:
            self.dismiss_error()
        self.refresh_times()

    def show_message(self, text: str) -> None:
        """A short note from the controller ("Queued: …", "Cancelling …")."""
        if self._controller.running:
            self._pending = None
        self.activity.setText(text)

    # Errors -------------------------------------------------------------------------------------

    def show_error(self, title: str, message: str) -> None:
        """The title here; the whole message in the tooltip and one click away (Details)."""
        self._error = (title, message)
        self.error_label.setText(title)
        self.error_label.setToolTip(self._full_text())
        self.details_button.setVisible(bool(message))
        self.error_box.show()
        self.activity.setVisible(False)

    def dismiss_error(self) -> None:
        self.error_box.hide()
        self.error_label.clear()
        self._error = ("", "")
        self.activity.setVisible(True)
        self.error_cleared.emit()

    def _ask_details(self) -> None:
        self.details_requested.emit(*self._error)

    def _full_text(self) -> str:
        title, message = self._error
        return f"{title}. {message}".strip() if message else title

    @property
    def error_text(self) -> str:
        """The whole error (title and message) while one is shown, else empty."""
        return self._full_text() if self.error_box.isVisibleTo(self) else ""

    # Times --------------------------------------------------------------------------------------

    def refresh_times(self) -> None:
        now = utc_now()
        self.last_label.setText(last_sync_text(self._controller, now))
        self.next_label.setText(next_sync_text(self._controller, now))
        last = self._controller.last_result
        self.last_label.setToolTip(last.summary if last else "")
