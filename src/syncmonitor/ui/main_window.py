"""The main window: a sidebar of pages, Sync now in the toolbar, sync status at the bottom."""

from __future__ import annotations

from typing import TypeVar

from PySide6.QtCore import QSettings, QSize, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QStackedWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from syncmonitor import APP_NAME
from syncmonitor.engine.events import RunResult
from syncmonitor.store.database import Database
from syncmonitor.ui.page import Page
from syncmonitor.ui.people_page import PeoplePage
from syncmonitor.ui.queue_page import QueuePage, attach_queue
from syncmonitor.ui.resources import icon
from syncmonitor.ui.status_bar import SyncStatusBar
from syncmonitor.ui.style import STYLE_SHEET
from syncmonitor.ui.sync_controller import Phase, SyncController
from syncmonitor.ui.widgets import named

PageT = TypeVar("PageT", bound=Page)

SANDBOX_TEXT = "Sandbox: simulated Outreach and Workbooks data, no real records are touched"


class MainWindow(QMainWindow):
    """The app's window. With a tray, closing it hides it; without one, closing it quits."""

    close_requested = Signal()  # closed while it is the app (no tray): the app should quit
    hidden_to_tray = Signal()  # closed while the tray keeps the app running

    def __init__(
        self, controller: SyncController, *, sandbox_mode: bool, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.controller = controller
        self.hide_on_close = False
        self.setWindowTitle(APP_NAME)
        self.setWindowIcon(icon("app"))
        self.setStyleSheet(STYLE_SHEET)
        self.setMinimumSize(800, 480)
        self._default_size()

        self.sync_action = QAction(icon("sync"), "Sync now", self)
        self.sync_action.setShortcut(QKeySequence(Qt.Key.Key_F5))
        self.sync_action.triggered.connect(self._sync_or_cancel)
        toolbar = named(QToolBar("Sync", self), "mainToolbar")
        toolbar.setMovable(False)
        toolbar.setFloatable(False)
        toolbar.setIconSize(QSize(18, 18))
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        toolbar.toggleViewAction().setEnabled(False)  # never lose Sync now to a stray right-click
        toolbar.addAction(self.sync_action)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, toolbar)
        self.toolbar = toolbar

        self.banner = named(QFrame(), "sandboxBanner")
        banner_text = named(QLabel(SANDBOX_TEXT), "sandboxText")
        banner_text.setToolTip(
            "No Outreach or Workbooks address is configured, so Sync Monitor runs against its "
            "built-in sandbox. Set [outreach] and [workbooks] base_url in the configuration file "
            "to sync real data."
        )
        banner_layout = QHBoxLayout(self.banner)
        banner_layout.setContentsMargins(14, 6, 14, 6)
        banner_layout.addWidget(banner_text)
        self.banner_label = banner_text

        self.sidebar = named(QListWidget(), "sidebar")
        self.sidebar.setFixedWidth(136)
        self.sidebar.setIconSize(QSize(18, 18))
        self.sidebar.setFrameShape(QFrame.Shape.NoFrame)
        self.pages = QStackedWidget()
        self.sidebar.currentRowChanged.connect(self.pages.setCurrentIndex)

        body = QWidget()
        body_layout = QHBoxLayout(body)
        body_layout.setContentsMargins(0, 0, 0, 0)
        body_layout.setSpacing(0)
        body_layout.addWidget(self.sidebar)
        body_layout.addWidget(self.pages, 1)
        central = QWidget()
        central_layout = QVBoxLayout(central)
        central_layout.setContentsMargins(0, 0, 0, 0)
        central_layout.setSpacing(0)
        central_layout.addWidget(self.banner)
        central_layout.addWidget(body, 1)
        self.setCentralWidget(central)

        self.status = SyncStatusBar(controller, self)
        self.setStatusBar(self.status)

        self.people = self.add_page(PeoplePage())
        self.queue = self.add_page(QueuePage())
        # Later pages: one line each, e.g. self.add_page(RunsPage()).
        self.sidebar.setCurrentRow(0)

        self.set_sandbox_mode(sandbox_mode)
        controller.phase_changed.connect(self._update_sync_action)
        controller.services_ready.connect(self._on_database)
        controller.run_finished.connect(self._on_run_finished)
        for page in self.all_pages():
            page.set_waiting(controller.starting_message)
        self._update_sync_action()

    # Pages --------------------------------------------------------------------------------------

    def add_page(self, page: PageT) -> PageT:
        """Add a page to the sidebar and the stack."""
        item = QListWidgetItem(icon(page.icon_name), page.title)
        item.setSizeHint(QSize(0, 34))
        self.sidebar.addItem(item)
        self.pages.addWidget(page)
        return page

    def all_pages(self) -> list[Page]:
        return [p for i in range(self.pages.count()) if isinstance(p := self.pages.widget(i), Page)]

    def _on_database(self, database: Database) -> None:
        service = self.controller.service
        if service is not None:
            self.set_sandbox_mode(service.sandbox_mode)
        for page in self.all_pages():
            page.set_database(database)
        if service is not None:  # the GatorMail queue is watched while the window lives
            attach_queue(self.queue, service, database, lambda: self.controller.notifier)

    def _on_run_finished(self, result: RunResult) -> None:
        for page in self.all_pages():
            page.sync_finished(result)

    # Sync now / Cancel --------------------------------------------------------------------------

    def set_sandbox_mode(self, sandbox: bool) -> None:
        self.banner.setVisible(sandbox)
        self.setWindowTitle(f"{APP_NAME} (sandbox)" if sandbox else APP_NAME)

    def _sync_or_cancel(self) -> None:
        if self.controller.phase is Phase.SYNCING:
            self.controller.cancel()
        else:
            self.controller.sync_now()

    def _update_sync_action(self) -> None:
        phase = self.controller.phase
        texts = {
            Phase.STARTING: ("Sync now", self.controller.starting_message),
            Phase.START_FAILED: ("Retry start", "Try to start syncing again"),
            Phase.IDLE: ("Sync now", "Read Outreach and update Workbooks now (F5)"),
            Phase.SYNCING: ("Cancel sync", "Stop this sync after the current page (F5)"),
            Phase.CANCELLING: ("Cancelling…", "Stopping after the current page"),
            Phase.STOPPED: ("Sync now", "Sync Monitor is quitting"),
        }
        text, tip = texts[phase]
        self.sync_action.setText(text)
        self.sync_action.setToolTip(tip)
        self.sync_action.setIcon(icon("cancel" if self.controller.running else "sync"))
        self.sync_action.setEnabled(phase in (Phase.START_FAILED, Phase.IDLE, Phase.SYNCING))
        if phase is Phase.STARTING:
            for page in self.all_pages():
                page.set_waiting(self.controller.starting_message)
        elif phase is Phase.START_FAILED and self.controller.start_error:
            title, _message = self.controller.start_error
            for page in self.all_pages():
                page.set_waiting(f"{title}: see the message below")

    # Window -------------------------------------------------------------------------------------

    def _default_size(self) -> None:
        """Roomy on a large screen, never larger than most of a small one."""
        screen = self.screen().availableGeometry() if self.screen() else None
        width, height = 1440, 900
        if screen is not None:
            width = min(width, int(screen.width() * 0.9))
            height = min(height, int(screen.height() * 0.9))
        self.resize(max(width, 800), max(height, 480))

    def restore_geometry(self, settings: QSettings | None = None) -> None:
        settings = settings or QSettings()
        geometry = settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        for page in self.all_pages():
            page.restore_state(settings)

    def save_geometry(self, settings: QSettings | None = None) -> None:
        settings = settings or QSettings()
        settings.setValue("window/geometry", self.saveGeometry())
        for page in self.all_pages():
            page.save_state(settings)

    def bring_to_front(self) -> None:
        self.show()
        self.setWindowState(self.windowState() & ~Qt.WindowState.WindowMinimized)
        self.raise_()
        self.activateWindow()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_geometry()
        if self.hide_on_close:
            event.ignore()
            self.hide()
            self.hidden_to_tray.emit()
            return
        event.accept()
        self.close_requested.emit()
