"""The main window: a sidebar of pages, Sync now in the toolbar, sync status at the bottom."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TypeVar, cast

from PySide6.QtCore import QEvent, QSettings, QSize, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSizePolicy,
    QStackedWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from syncmonitor import APP_NAME
from syncmonitor.engine.runs.events import RunOutcome, RunResult
from syncmonitor.engine.runs.targets import Target
from syncmonitor.ui.page import Page
from syncmonitor.ui.page_stack import PageStack
from syncmonitor.ui.problem_banner import ProblemBanner
from syncmonitor.ui.resources import icon
from syncmonitor.ui.salesmate.import_action import install_salesmate_import
from syncmonitor.ui.service_protocols import ServicesLike
from syncmonitor.ui.startup_probe import after_first_paint
from syncmonitor.ui.status_bar import SyncStatusBar
from syncmonitor.ui.sync_controller import Phase, SyncController
from syncmonitor.ui.widgets import named
from syncmonitor.ui.window_menu import (
    CANCEL_KEYS,
    QUIT_KEYS,
    REDO_KEYS,
    SAVE_KEYS,
    SETTINGS_KEYS,
    UNDO_KEYS,
    build_menu_bar,
    key_text,
    request_cancel,
    set_keys,
    show_shortcuts,
)
from syncmonitor.ui.window_pages import ISSUES_TITLE, add_window_pages

if TYPE_CHECKING:  # the pages other than People load on their first visit (ui/page_stack.py)
    from syncmonitor.ui.issues.page import IssuesPage
    from syncmonitor.ui.log.page import LogPage
    from syncmonitor.ui.mappings.editor_page import MappingEditorPage
    from syncmonitor.ui.people.page import PeoplePage
    from syncmonitor.ui.queue.page import QueuePage
    from syncmonitor.ui.runs.page import RunsPage
    from syncmonitor.ui.salesmate.import_dialog import SalesmateImportDialog
    from syncmonitor.ui.sandbox_menu import SandboxMenu

PageT = TypeVar("PageT", bound=Page)

SANDBOX_TEXT = (
    "Sandbox: simulated Outreach, Workbooks, GatorMail, Salesforce and Salesmate data, no real "
    "records are touched. The Sandbox menu plays what goes wrong in real life."
)


class MainWindow(QMainWindow):
    """The app's window. With a tray, closing it hides it; without one, closing it quits."""

    close_requested = Signal()  # closed while it is the app (no tray): the app should quit
    hidden_to_tray = Signal()  # closed while the tray keeps the app running
    pause_toggled = Signal(bool)  # the person paused (True) or resumed scheduled syncs
    start_page_shown = Signal()  # the page shown at start is built and painted
    pages_built = Signal()  # pages built late (first visit): their buttons exist from now on
    # The menus build_menu_bar (window_menu.py) adds.
    sync_menu: QMenu
    sandbox_menu: SandboxMenu
    help_menu: QMenu
    salesmate_import_dialog: SalesmateImportDialog  # the last one opened (salesmate/)

    def __init__(
        self, controller: SyncController, *, sandbox_mode: bool, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.controller = controller
        self.hide_on_close = False
        self.setWindowTitle(APP_NAME)
        self.setWindowIcon(icon("app"))
        self.setMinimumSize(800, 480)
        self._default_size()

        self.cancel_question: QMessageBox | None = None
        self.shortcuts_box: QMessageBox | None = None
        self.sync_action = QAction(icon("sync"), "Sync now", self)
        self.sync_action.setShortcut(QKeySequence(Qt.Key.Key_F5))
        self.sync_action.triggered.connect(self._sync_now)
        # Never Esc: Esc clears a search or closes a popup, and must not stop a sync by surprise.
        self.cancel_action = QAction(icon("cancel"), "Cancel sync", self)
        set_keys(self.cancel_action, CANCEL_KEYS)
        self.cancel_action.triggered.connect(lambda: request_cancel(self))
        self.pause_action = QAction("Pause", self)
        self.pause_action.setToolTip("Stop scheduled syncs until you resume (Sync now still works)")
        self.pause_action.triggered.connect(self._toggle_pause)
        self.sync_person_action = QAction("Sync this person", self)
        self.sync_person_action.triggered.connect(self._sync_person)
        self.settings_action = QAction(icon("settings"), "Settings…", self)
        set_keys(self.settings_action, SETTINGS_KEYS)
        self.settings_action.setToolTip(
            f"Connections, schedule, notifications ({key_text(SETTINGS_KEYS)})"
        )
        self.quit_action = QAction("Quit", self)
        set_keys(self.quit_action, QUIT_KEYS)
        self.undo_action = QAction("Undo", self)
        set_keys(self.undo_action, UNDO_KEYS)
        self.undo_action.triggered.connect(lambda: self._edit("undo"))
        self.redo_action = QAction("Redo", self)
        set_keys(self.redo_action, REDO_KEYS)
        self.redo_action.triggered.connect(lambda: self._edit("redo"))
        self.save_mappings_action = QAction("Save mappings", self)
        set_keys(self.save_mappings_action, SAVE_KEYS)
        self.save_mappings_action.triggered.connect(lambda: self._edit("save"))
        self.find_action = QAction("Find a person", self)
        self.find_action.setShortcut(QKeySequence.StandardKey.Find)
        self.find_action.triggered.connect(self._find_person)
        self.shortcuts_action = QAction("Keyboard shortcuts", self)
        self.shortcuts_action.triggered.connect(lambda: show_shortcuts(self))
        self.page_actions: list[QAction] = []
        toolbar = named(QToolBar("Sync", self), "mainToolbar")
        toolbar.setMovable(False)
        toolbar.setFloatable(False)
        toolbar.setIconSize(QSize(18, 18))
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        toolbar.toggleViewAction().setEnabled(False)  # never lose Sync now to a stray right-click
        toolbar.addAction(self.sync_action)
        toolbar.addAction(self.cancel_action)
        toolbar.addAction(self.pause_action)
        toolbar.addSeparator()
        toolbar.addAction(self.sync_person_action)
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        toolbar.addWidget(spacer)
        # The two-way sync's scope: which Workbooks people the full sync sends to Outreach.
        self.scope_action = QAction("Sync scope", self)
        self.scope_action.setToolTip("Choose which Workbooks people sync to Outreach")
        self.scope_action.triggered.connect(self._open_scope)
        toolbar.addAction(self.scope_action)
        toolbar.addAction(self.settings_action)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, toolbar)
        self.toolbar = toolbar
        # The buttons whose text changes keep the width of their longest text: nothing to their
        # right moves when a sync starts, is queued or is cancelled.
        self._steady_width(self.sync_action, ("Sync now", "Sync queued", "Retry start"))
        self._steady_width(self.cancel_action, ("Cancel sync", "Cancelling…"))
        self._steady_width(self.pause_action, ("Pause", "Resume"))

        self.banner = named(QFrame(), "sandboxBanner")
        banner_text = named(QLabel(SANDBOX_TEXT), "sandboxText")
        banner_text.setToolTip(
            "No Outreach or Workbooks address is configured, so Sync Monitor runs against its "
            "built-in sandbox. To sync real data, enter the Outreach and Workbooks addresses in "
            "Settings > Connections (or [outreach] and [workbooks] base_url in the configuration "
            "file) and start Sync Monitor again."
        )
        banner_layout = QHBoxLayout(self.banner)
        banner_layout.setContentsMargins(14, 6, 14, 6)
        banner_text.setWordWrap(True)  # two lines at 1024 px rather than a cut sentence
        banner_layout.addWidget(banner_text)
        self.banner_label = banner_text

        self.sidebar = named(QListWidget(), "sidebar")
        self.sidebar.setFixedWidth(136)
        self.sidebar.setIconSize(QSize(18, 18))
        self.sidebar.setFrameShape(QFrame.Shape.NoFrame)
        self.pages = QStackedWidget()
        self.page_stack = PageStack(self.pages, self._pages_built)
        self._state_settings: QSettings | None = None  # where restore_geometry read from
        self.sidebar.currentRowChanged.connect(self._on_sidebar_row)

        body = QWidget()
        body_layout = QHBoxLayout(body)
        body_layout.setContentsMargins(0, 0, 0, 0)
        body_layout.setSpacing(0)
        # The sidebar's column: the pages, then the named People views under them.
        self.sidebar_column = named(QWidget(), "sidebarColumn")
        column_layout = QVBoxLayout(self.sidebar_column)
        column_layout.setContentsMargins(0, 0, 0, 0)
        column_layout.setSpacing(0)
        column_layout.addWidget(self.sidebar, 0, Qt.AlignmentFlag.AlignTop)
        self._sidebar_column_layout = column_layout  # the People views join it (show_people_views)
        body_layout.addWidget(self.sidebar_column)
        body_layout.addWidget(self.pages, 1)
        central = QWidget()
        central_layout = QVBoxLayout(central)
        central_layout.setContentsMargins(0, 0, 0, 0)
        central_layout.setSpacing(0)
        central_layout.addWidget(self.banner)
        central_layout.addWidget(body, 1)
        # A long problem (a damaged cache, a broken config) whole, under the pages.
        self.problem_banner = ProblemBanner()
        central_layout.addWidget(self.problem_banner)
        self.setCentralWidget(central)

        self.status = SyncStatusBar(controller, self)
        self.setStatusBar(self.status)
        self.status.details_requested.connect(self.problem_banner.show_problem)
        self.status.error_cleared.connect(self.problem_banner.hide)
        controller.services_failed.connect(self.problem_banner.show_problem)
        controller.run_finished.connect(self._show_cache_fault)

        # Every page is built on its first visit (page_stack.py); the one shown at start just
        # after the window's first paint. A later page: a line in window_pages.py, a property.
        add_window_pages(self)
        self.export_people_action = QAction("Export People as CSV…", self)
        self.export_people_action.setObjectName("exportPeople")
        self.export_people_action.setShortcut(QKeySequence("Ctrl+Shift+E"))
        self.export_people_action.triggered.connect(self._export_people)
        self.import_salesmate_action = install_salesmate_import(self)
        self.sidebar.setCurrentRow(0)
        self._add_page_actions()
        build_menu_bar(self)
        self._fit_sidebar_height()
        self.sidebar.currentRowChanged.connect(lambda _row: self.update_edit_actions())
        self.update_edit_actions()

        self.set_sandbox_mode(sandbox_mode)
        controller.phase_changed.connect(self.update_sync_action)
        controller.services_ready.connect(self._on_services)
        controller.run_finished.connect(self._on_run_finished)
        controller.issues_changed.connect(self._show_issue_count)
        self.sidebar.currentRowChanged.connect(lambda _row: self.update_sync_action())
        for page in self.built_pages():
            page.set_waiting(controller.starting_message)
        self.update_sync_action()

    # Pages --------------------------------------------------------------------------------------

    def add_page(self, page: PageT) -> PageT:
        """Add a page, built now, to the sidebar and the stack."""
        self.page_stack.add_page(page)
        self._add_sidebar_item(page.title, page.icon_name)
        return page

    def add_lazy(
        self, group: str, rows: Sequence[tuple[str, str]], build: Callable[[], Sequence[Page]]
    ) -> None:
        """Add rows (title, icon name) whose pages `build` makes on their first visit."""
        self.page_stack.add_group(group, rows, build)
        for title, icon_name in rows:
            self._add_sidebar_item(title, icon_name)

    def _add_sidebar_item(self, title: str, icon_name: str) -> None:
        item = QListWidgetItem(icon(icon_name), title)
        item.setSizeHint(QSize(0, 34))
        self.sidebar.addItem(item)
        self._fit_sidebar()

    @property
    def people(self) -> PeoplePage:
        return cast("PeoplePage", self.page_stack.group("people")[0])

    @property
    def mapping_pages(self) -> list[MappingEditorPage]:
        return cast("list[MappingEditorPage]", self.page_stack.group("mappings"))

    @property
    def queue(self) -> QueuePage:
        return cast("QueuePage", self.page_stack.group("queue")[0])

    @property
    def runs(self) -> RunsPage:
        return cast("RunsPage", self.page_stack.group("runs")[0])

    @property
    def issues(self) -> IssuesPage:
        return cast("IssuesPage", self.page_stack.group("issues")[0])

    @property
    def log_view(self) -> LogPage:
        return cast("LogPage", self.page_stack.group("log")[0])

    def _pages_built(self, pages: Sequence[Page]) -> None:
        """Pages built late catch up: their saved state, then the services or the wait."""
        controller = self.controller
        for page in pages:
            page.restore_state(self._state_settings or QSettings())
            if controller.services is not None:
                page.set_services(controller.services)
            elif controller.phase is Phase.START_FAILED and controller.start_error:
                page.set_waiting(f"{controller.start_error[0]}: see the message below")
            else:
                page.set_waiting(controller.starting_message)
        self.pages_built.emit()

    def _steady_width(self, action: QAction, texts: tuple[str, ...]) -> None:
        button = self.toolbar.widgetForAction(action)
        if button is None:
            return
        current = action.text()
        widest = 0
        for text in texts:
            action.setText(text)
            widest = max(widest, button.sizeHint().width())
        action.setText(current)
        button.setFixedWidth(widest)

    def _add_page_actions(self) -> None:
        """Ctrl+1 … Ctrl+8 show the pages in sidebar order (View menu)."""
        for row, entry in enumerate(self.page_stack.entries):
            action = QAction(entry.title, self)
            action.setObjectName(f"showPage{row + 1}")
            if row < 9:
                action.setShortcut(QKeySequence(f"Ctrl+{row + 1}"))
            action.triggered.connect(lambda _checked=False, r=row: self.sidebar.setCurrentRow(r))
            self.page_actions.append(action)

    def _editor_page(self) -> MappingEditorPage | None:
        row = self.pages.currentIndex()
        if row < 0 or self.page_stack.entries[row].group != "mappings":
            return None
        return cast("MappingEditorPage", self.page_stack.page_at(row))

    def _edit(self, what: str) -> None:
        page = self._editor_page()
        if page is not None:
            getattr(page.workspace, what)()

    def update_edit_actions(self) -> None:
        """Undo, Redo and Save act on the mapping page shown, and say what they would do."""
        page = self._editor_page()
        history = page.workspace.history if page is not None else None
        self.undo_action.setEnabled(bool(history and history.can_undo))
        self.redo_action.setEnabled(bool(history and history.can_redo))
        self.undo_action.setText(
            f"Undo {history.undo_label}" if history and history.can_undo else "Undo"
        )
        self.redo_action.setText(
            f"Redo {history.redo_label}" if history and history.can_redo else "Redo"
        )
        workspace = page.workspace if page is not None else None
        self.save_mappings_action.setEnabled(
            bool(workspace and workspace.dirty and not workspace.busy)
        )

    def _find_person(self) -> None:
        self.show_page(self.people)
        self.people.focus_search()

    def show_people_views(self, page: PeoplePage) -> None:
        """The People page's named views, under the pages in the sidebar (once it is built)."""
        self._sidebar_column_layout.addWidget(page.views_list, 1)
        page.views_list.open_view.connect(lambda _view: self.show_page(self.people))

    def _export_people(self) -> None:
        """File > Export People as CSV…: the People page's filtered list."""
        self.show_page(self.people)
        self.people.export.ask()

    def _fit_sidebar_height(self) -> None:
        """The pages' list as tall as its pages, so the People views fit under it."""
        rows = sum(self.sidebar.sizeHintForRow(i) for i in range(self.sidebar.count()))
        spacing = self.sidebar.spacing() * 2 * self.sidebar.count()
        self.sidebar.setFixedHeight(rows + spacing + 2 * self.sidebar.frameWidth() + 8)

    def _fit_sidebar(self) -> None:
        """Wide enough for the longest page name (plus a count such as "(12)"): never elided."""
        metrics = self.sidebar.fontMetrics()
        texts = [self.sidebar.item(i).text() for i in range(self.sidebar.count())]
        widest = max((metrics.horizontalAdvance(t + " (000)") for t in texts), default=0)
        # icon, its gap, the item's and the list's padding (style.py), the scroll bar's room
        chrome = self.sidebar.iconSize().width() + 8 + 2 * 8 + 2 * 6 + 6
        self.sidebar.setFixedWidth(max(136, widest + chrome))

    def _on_sidebar_row(self, row: int) -> None:
        """Switch pages, unless the page being left keeps the person (unsaved edits)."""
        if row < 0:
            return
        if not self.isVisible() and not self.page_stack.is_built(row):
            self.pages.setCurrentIndex(row)  # built once the window shows (showEvent)
            return
        current = self.pages.currentWidget()
        target = self.page_stack.page_at(row)  # built now, on its first visit
        next_page = target if isinstance(target, Page) else None
        if isinstance(current, Page) and current is not target and not current.can_leave(next_page):
            self.sidebar.blockSignals(True)
            self.sidebar.setCurrentRow(self.pages.currentIndex())
            self.sidebar.blockSignals(False)
            return
        self.pages.setCurrentIndex(row)

    def all_pages(self) -> list[Page]:
        """Every page in sidebar order (building those not visited yet)."""
        return self.page_stack.all_pages()

    def built_pages(self) -> list[Page]:
        """The pages built so far: the ones to tell what happens."""
        return self.page_stack.built_pages()

    def _on_services(self, services: ServicesLike) -> None:
        service = self.controller.service
        if service is not None:
            self.set_sandbox_mode(service.sandbox_mode)
        for page in self.built_pages():
            page.set_services(services)
        if service is not None:  # the GatorMail queue is watched while the window lives
            from syncmonitor.ui.queue.watch import attach_queue

            attach_queue(self.queue, services, self.controller.notices)
            self.queue.offer_to_scheduler(self.controller)

    def settings_applied(self) -> None:
        """The services have taken saved Settings (`Services.reconfigure`): what the window holds
        of the old ones follows (the queue's monitor; the rest reads the services each time)."""
        services, service = self.controller.services, self.controller.service
        if services is not None and service is not None:
            from syncmonitor.ui.queue.watch import queue_settings_changed

            self.set_sandbox_mode(service.sandbox_mode)  # real addresses set: no sandbox banner
            self.sandbox_menu.offer()  # and no Sandbox menu (its stories drive the sandbox)
            queue_settings_changed(self.queue, services, self.controller.notices)

    def _on_run_finished(self, result: RunResult) -> None:
        for page in self.built_pages():
            page.sync_finished(result)

    # Sync now / Cancel --------------------------------------------------------------------------

    def _show_cache_fault(self, result: RunResult) -> None:
        """A run stopped by the cache (damaged, read-only, a full disk): the whole message, with
        the copy kept and what to do, not only the status bar's line."""
        if result.outcome is RunOutcome.FAILED and result.error_kind == "cache":
            self.problem_banner.show_problem(
                result.error_title or "The local cache cannot be used", result.error_message or ""
            )

    def set_sandbox_mode(self, sandbox: bool) -> None:
        self.banner.setVisible(sandbox)
        self.setWindowTitle(f"{APP_NAME} (sandbox)" if sandbox else APP_NAME)

    def _open_scope(self) -> None:
        import asyncio

        from syncmonitor.ui.settings.scope_dialog import open_scope_dialog

        self._scope_task = asyncio.ensure_future(open_scope_dialog(self, self.controller))

    def _sync_now(self) -> None:
        self.controller.sync_now()

    def _toggle_pause(self) -> None:
        if self.controller.scheduler.paused:
            self.controller.resume()
        else:
            self.controller.pause()
        self.pause_toggled.emit(self.controller.scheduler.paused)

    def _sync_person(self) -> None:
        selected = self.people.selected_person()
        if selected is None:
            return
        label = self.people.detail.name_label.text()
        self.controller.force(Target.person(selected[1], label))

    def _show_issue_count(self, count: int) -> None:
        item = self.sidebar.item(self.page_stack.rows("issues")[0])
        if item is not None:
            item.setText(f"{ISSUES_TITLE} ({count})" if count else ISSUES_TITLE)

    def show_page(self, page: Page) -> None:
        self.sidebar.setCurrentRow(self.pages.indexOf(page))

    def update_sync_action(self) -> None:
        controller = self.controller
        phase = controller.phase
        queued = bool(controller.queued)
        texts = {
            Phase.STARTING: ("Sync now", controller.starting_message),
            Phase.START_FAILED: ("Retry start", "Try to start syncing again"),
            Phase.IDLE: ("Sync now", "Read Outreach and Workbooks and sync them now (F5)"),
            Phase.SYNCING: ("Sync now", "Sync again as soon as this sync ends (F5)"),
            Phase.CANCELLING: ("Sync now", "Sync again as soon as this sync ends (F5)"),
            Phase.STOPPED: ("Sync now", "Sync Monitor is quitting"),
        }
        text, tip = texts[phase]
        if queued:
            text, tip = "Sync queued", "A sync runs as soon as this one ends; Cancel drops it"
        self.sync_action.setText(text)
        self.sync_action.setToolTip(tip)
        self.sync_action.setEnabled(
            phase in (Phase.START_FAILED, Phase.IDLE, Phase.SYNCING) and not queued
        )
        # Cancel stays in its place and is only disabled while idle, so the buttons beside it
        # never move under the pointer when a sync starts or ends.
        self.cancel_action.setEnabled(
            (controller.running or queued) and phase is not Phase.CANCELLING
        )
        self.cancel_action.setText("Cancelling…" if phase is Phase.CANCELLING else "Cancel sync")
        keys = key_text(CANCEL_KEYS)
        self.cancel_action.setToolTip(
            f"Stop this sync after the current page and drop queued syncs ({keys})"
            if controller.running or queued
            else f"No sync is running ({keys} cancels one)"
        )
        on_people = self.sidebar.currentRow() == 0 and self.page_stack.is_built(0)
        person = self.people.selected_person() if on_people else None
        self.sync_person_action.setEnabled(
            controller.service is not None
            and phase in (Phase.IDLE, Phase.SYNCING)
            and on_people
            and person is not None
        )
        self.sync_person_action.setToolTip(
            "Re-read the selected person's Outreach sequence states and update their Workbooks "
            "record now"
            if on_people and person is not None
            else "Select a person on the People page first"
        )
        paused = controller.service is not None and controller.scheduler.paused
        self.pause_action.setText("Resume" if paused else "Pause")
        self.pause_action.setEnabled(controller.service is not None)
        if phase is Phase.STARTING:
            for page in self.built_pages():
                page.set_waiting(self.controller.starting_message)
        elif phase is Phase.START_FAILED and self.controller.start_error:
            title, _message = self.controller.start_error
            for page in self.built_pages():
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
        self._state_settings = settings  # pages built later restore from here too
        geometry = settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        for page in self.built_pages():
            page.restore_state(settings)

    def save_geometry(self, settings: QSettings | None = None) -> None:
        settings = settings or QSettings()
        settings.setValue("window/geometry", self.saveGeometry())
        for page in self.built_pages():  # a page never built keeps what it saved last time
            page.save_state(settings)

    def may_quit(self) -> bool:
        """Quit from the tray: unsaved edits on the page shown are asked about first, with the
        window brought forward so the question is not asked from nowhere."""
        current = self.pages.currentWidget()
        if not isinstance(current, Page) or not current.has_unsaved_changes():
            return True
        self.bring_to_front()
        return current.can_leave(None)

    def bring_to_front(self) -> None:
        self.show()
        self.setWindowState(self.windowState() & ~Qt.WindowState.WindowMinimized)
        self.raise_()
        self.activateWindow()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self.page_stack.is_built(max(self.pages.currentIndex(), 0)):
            after_first_paint(self, self.build_shown_page)  # shown at login from the tray

    def build_shown_page(self) -> None:
        """Build the page on screen if it is still a placeholder (the start's first paint)."""
        row = self.pages.currentIndex()
        if row < 0 or self.page_stack.is_built(row):
            return
        page = self.page_stack.page_at(row)
        after_first_paint(page, self.start_page_shown.emit)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.ApplicationPaletteChange:
            self.refresh_icons()  # the look changed (Settings, or the system went dark)

    def refresh_icons(self) -> None:
        """Redraw the sidebar's and toolbar's icons for the look in use."""
        for row, entry in enumerate(self.page_stack.entries):
            item = self.sidebar.item(row)
            if item is not None:
                item.setIcon(icon(entry.icon_name))
        self.settings_action.setIcon(icon("settings"))
        self.sync_action.setIcon(icon("sync"))
        self.cancel_action.setIcon(icon("cancel"))

    def closeEvent(self, event: QCloseEvent) -> None:
        current = self.pages.currentWidget()
        if isinstance(current, Page) and not current.can_leave(None):
            event.ignore()
            return
        self.save_geometry()
        if self.hide_on_close:
            event.ignore()
            self.hide()
            self.hidden_to_tray.emit()
            return
        event.accept()
        self.close_requested.emit()
