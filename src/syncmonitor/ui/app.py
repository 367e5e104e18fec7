"""The desktop app: QApplication on a qasync loop, the window at once, the engine in the background.

Quitting is orderly and async: a Quit (tray, window close without a tray, Ctrl+C, SIGTERM) sets an
event, and the main coroutine then cancels a running sync, closes the services (which stops the
sandbox) and returns, which ends the loop. Nothing calls QApplication.quit() directly, because that
would stop the loop before the cleanup could run.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import logging.handlers
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import qasync
from PySide6.QtCore import QObject, QSettings
from PySide6.QtWidgets import QApplication

from syncmonitor import APP_ID, APP_NAME
from syncmonitor.app.config import Config
from syncmonitor.app.errors import UserFacingError
from syncmonitor.app.paths import AppPaths, app_paths
from syncmonitor.app.settings_store import save_settings
from syncmonitor.engine.runs.notices import Notice, NoticeLevel
from syncmonitor.engine.runs.notify_policy import NotificationPolicy
from syncmonitor.ui.crash import CrashReporter
from syncmonitor.ui.main_window import MainWindow
from syncmonitor.ui.models.lazy import wait_for_reads
from syncmonitor.ui.notifier import LogNotifier, Notifier, TrayNotifier
from syncmonitor.ui.resources import icon
from syncmonitor.ui.responsiveness import tune_for_interactive_use
from syncmonitor.ui.runs.first_sync import FirstSyncPreview
from syncmonitor.ui.single_instance import SingleInstance, server_name
from syncmonitor.ui.startup_probe import start_after_first_paint
from syncmonitor.ui.style import apply_look
from syncmonitor.ui.sync_controller import ServicesStarter, SyncController, schedule_intervals
from syncmonitor.ui.tray import TrayIcon, tray_available

if TYPE_CHECKING:
    from syncmonitor.ui.service_protocols import ServicesLike
    from syncmonitor.ui.settings.dialog import SettingsDialog
    from syncmonitor.ui.team_watch import TeamWatch

log = logging.getLogger(__name__)


class SyncMonitorApp(QObject):
    """The running app: the sync controller, the window, and the tray where there is one.

    The tray object always exists (its menu works everywhere, tests drive it); it is shown only
    where the desktop has a tray. Without one the window is the app: closing it quits.
    """

    def __init__(
        self,
        config: Config,
        starter: ServicesStarter,
        *,
        use_tray: bool | None = None,
        notifier: Notifier | None = None,
        paths: AppPaths | None = None,
        config_error: UserFacingError | None = None,
        start_hidden: bool = False,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._quit = asyncio.Event()
        self._closed = False
        self.config = config
        self._appearance = config.appearance
        self.paths = paths
        self.config_error = config_error
        self.start_hidden = start_hidden
        self.notifier: Notifier = notifier or LogNotifier()
        self.policy = NotificationPolicy(
            lambda notice: self.notifier.notify(notice), choices=config.notifications.choices()
        )
        starting = "Starting the sandbox…" if config.sandbox_mode else "Opening the local cache…"
        if config.cache.shared:
            starting = "Opening the team store…"
        self.controller = SyncController(
            starter,
            intervals=schedule_intervals(config),
            notices=self.policy,
            starting_message=starting,
            # On a team store the server syncs on its schedule; this desktop asks it (Sync now).
            paused=config.schedule.paused or config.cache.shared,
            parent=self,
        )
        self.window = MainWindow(
            self.controller, sandbox_mode=config.sandbox_mode and not config.cache.shared
        )
        # Only a team store is watched; its module (and the PostgreSQL driver) loads only then.
        self.team_watch: TeamWatch | None = None
        if config.cache.shared:
            from syncmonitor.ui.team_watch import TeamWatch

            self.team_watch = TeamWatch(self.window, self.controller)
        self.has_tray = tray_available() if use_tray is None else use_tray
        self.tray = TrayIcon(
            self.controller,
            self.policy,
            open_window=self.window.bring_to_front,
            show_issues=self.show_issues,
            quit_app=self.quit_from_menu,
            on_pause_changed=self._save_paused,
            parent=self,
        )
        if self.has_tray:
            if notifier is None:
                self.notifier = TrayNotifier(self.tray)
            self.window.hide_on_close = True
        self.settings_dialog: SettingsDialog | None = None
        # The first two-way sync to real remotes: its plan, then Confirm or Not now.
        self.first_sync = FirstSyncPreview(self.controller, self.window)
        self.window.settings_action.triggered.connect(self.open_settings)
        self.window.quit_action.triggered.connect(self.quit_from_menu)
        self.window.pause_toggled.connect(self._save_paused)
        self.window.close_requested.connect(self.request_quit)
        self.window.hidden_to_tray.connect(self._tell_about_tray)

    def show_issues(self) -> None:
        self.window.bring_to_front()
        self.window.show_page(self.window.issues)

    def open_settings(self) -> None:
        """Settings, non-modal-blocking: open() and signals, never exec() in a slot."""
        if self.settings_dialog is not None:
            self.settings_dialog.raise_()
            self.settings_dialog.activateWindow()
            return
        from syncmonitor.ui.settings.dialog import SettingsDialog  # loads on first use

        paths = self.paths or app_paths()
        dialog = SettingsDialog(
            self.config,
            self.config.source or paths.config_file,
            self.policy,
            log_dir=paths.log_dir,
            parent=self.window,
        )
        dialog.saved.connect(self._apply_settings)
        dialog.remotes_changed.connect(self._remotes_changed)
        dialog.review_first_sync.connect(self.first_sync.review)
        dialog.finished.connect(self._settings_closed)
        self.settings_dialog = dialog
        dialog.open()

    def _settings_closed(self, _result: int) -> None:
        if self.settings_dialog is not None:
            self.settings_dialog.deleteLater()
        self.settings_dialog = None

    def _apply_settings(self, config: Config) -> None:
        """What Settings saved takes effect now: intervals and notifications at once, addresses
        and credentials from the next run (a run under way finishes on the old ones)."""
        self.config = config
        self.controller.set_intervals(schedule_intervals(config))
        self.policy.choices = config.notifications.choices()
        app = QApplication.instance()
        if isinstance(app, QApplication) and config.appearance != self._appearance:
            apply_look(app, config.appearance.theme)  # the new look at once, no restart
        self._appearance = config.appearance
        self._remotes_changed()

    def _remotes_changed(self) -> None:
        services = self.controller.services
        reconfigure = getattr(services, "reconfigure", None)
        if reconfigure is not None:  # reads the keyring: off the GUI thread
            self._reconfiguring = asyncio.get_running_loop().create_task(
                self._reconfigure(reconfigure)
            )

    async def _reconfigure(self, reconfigure: Callable[[Config], None]) -> None:
        await asyncio.to_thread(reconfigure, self.config)
        if not self.quitting:  # then the pages holding old settings take the new ones
            self.window.settings_applied()

    def _save_paused(self, paused: bool) -> None:
        if self.paths is None:
            return
        try:
            self.config = save_settings(
                self.config.source or self.paths.config_file, {"schedule": {"paused": paused}}
            )
        except (UserFacingError, OSError) as exc:
            log.warning("Could not remember the pause: %s", exc)

    def start(self) -> None:
        """Show the window at once and start the services behind it."""
        # Quitting goes through request_quit, so a closed or hidden window never ends the loop.
        QApplication.setQuitOnLastWindowClosed(False)
        self.window.restore_geometry()
        if self.has_tray:
            self.tray.show()
        if self.start_hidden and self.has_tray:  # at login: straight to the tray
            self.controller.start()
        else:  # the engine loads once the window is on screen
            self.window.show()
            start_after_first_paint(self.window, self._start_behind_window, self.request_quit)
        if self.config_error is not None:
            error = self.config_error
            self.window.status.show_error(error.title, error.message)
            self.window.problem_banner.show_problem(error.title, error.message)
            self.policy.post(
                Notice("config.broken", NoticeLevel.ERROR, error.title, error.message, key="config")
            )

    def _start_behind_window(self) -> None:
        """After the first paint: the page shown, then the engine (in its worker thread)."""
        self.window.build_shown_page()
        self.controller.start()

    def request_quit(self) -> None:
        self._quit.set()

    def quit_from_menu(self) -> None:
        """The tray's Quit: ask about unsaved edits first (Cancel keeps the app running)."""
        if self.window.may_quit():
            self.request_quit()

    @property
    def quitting(self) -> bool:
        return self._quit.is_set()

    async def run(self) -> int:
        """Run until Quit, then shut down in order."""
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(signum, self.request_quit)
        self.start()
        try:
            await self._quit.wait()
        finally:
            await self.shutdown()
        return 0

    async def shutdown(self) -> None:
        """Cancel a running sync, close the services and the window."""
        if self._closed:
            return
        self._closed = True
        self.window.save_geometry()
        await self.controller.shutdown(before_close=lambda: wait_for_reads(3000))
        self.tray.hide()
        self.window.hide_on_close = False
        self.window.close_requested.disconnect(self.request_quit)
        self.window.close()

    def emergency_close(self) -> None:
        """The session is ending and the loop is gone: stop the sync and the services at once."""
        if self._closed:
            return
        self._closed = True
        self.controller.close_now()

    def _tell_about_tray(self) -> None:
        if self.quitting:
            return
        self.policy.post(
            Notice(
                "app.still_running",
                NoticeLevel.INFO,
                f"{APP_NAME} is still running",
                "It keeps syncing from the tray. Choose Quit in the tray menu to stop it.",
                key="told",  # once per session: the policy de-duplicates it
            )
        )


def _ensure_logging(paths: AppPaths) -> Path | None:
    """Log to the app's log file unless the caller (the CLI) has set logging up already."""
    root = logging.getLogger()
    if root.handlers:
        return paths.log_file
    try:
        paths.ensure()
        handler = logging.handlers.RotatingFileHandler(
            paths.log_file, maxBytes=2_000_000, backupCount=3, encoding="utf-8"
        )
    except OSError:
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    return paths.log_file


def make_application(theme: str = "system") -> QApplication:
    """The QApplication with the app's names, icon and look."""
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv)
    app.setApplicationName(APP_ID)
    app.setApplicationDisplayName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    app.setDesktopFileName(APP_ID)
    app.setWindowIcon(icon("app"))
    app.setQuitOnLastWindowClosed(False)  # quitting goes through SyncMonitorApp.request_quit
    apply_look(app, theme)
    return app


def run_gui(
    config: Config,
    paths: AppPaths,
    starter: ServicesStarter | None = None,
    *,
    config_error: UserFacingError | None = None,
    at_login: bool = False,
) -> int:
    """Run the desktop app until the person quits; returns the exit status."""
    log_file = _ensure_logging(paths)
    app = make_application(config.appearance.theme)
    instance = SingleInstance(server_name(str(paths.data_dir)))
    if instance.ask_running_instance():
        log.info("Sync Monitor is already running: brought its window forward")
        return 0
    instance.listen()
    # Window geometry lives with the config file, so SYNCMONITOR_HOME moves it too.
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(paths.config_dir))
    gui = SyncMonitorApp(
        config,
        starter or _bootstrap(config, paths),
        paths=paths,
        config_error=config_error,
        start_hidden=at_login,
    )
    instance.activate_requested.connect(gui.window.bring_to_front)
    reporter = CrashReporter(
        lambda: gui.window,
        log_file,
        on_interrupt=gui.request_quit,
        cache_file=paths.database_file if paths is not None else None,
    )
    reporter.install()
    app.aboutToQuit.connect(gui.emergency_close)
    tune_for_interactive_use()
    try:
        with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
            return runner.run(gui.run())
    except RuntimeError as exc:
        if "stopped before Future completed" not in str(exc):
            raise
        # The desktop session ended and Qt left its loop under us: clean up what we can.
        log.warning("The event loop stopped early (%s); closing down", exc)
        gui.emergency_close()
        return 0
    finally:
        reporter.uninstall()
        app.aboutToQuit.disconnect(gui.emergency_close)
        instance.close()


def _bootstrap(config: Config, paths: AppPaths) -> ServicesStarter:
    def start() -> ServicesLike:
        # The engine (the store, Alembic, the clients) loads here, in the starter's worker
        # thread once the window is on screen: never before the first paint.
        from syncmonitor.engine.bootstrap import start_services

        return start_services(config, paths)

    return start
