"""Settings: connections (every remote, with Test), the connection doctor, schedules,
notifications, start at login, where the logs are.

Shown with open() (never exec() inside an async slot: a nested loop would run other tasks
re-entrantly). Every value is checked before anything is written: a bad address or an interval
out of bounds is refused with the reason, and secrets go to the OS keyring or nowhere.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QLabel,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from syncmonitor.app.config import (
    FULL_MINUTES_BOUNDS,
    INBOUND_MINUTES_BOUNDS,
    Config,
    ConfigError,
)
from syncmonitor.app.credentials import NoSecureStoreError, keyring_available
from syncmonitor.app.errors import UserFacingError
from syncmonitor.app.settings_store import save_settings
from syncmonitor.engine.connections.doctor import Diagnosis, diagnose
from syncmonitor.engine.outreach_sign_in import save_refresh_token
from syncmonitor.engine.runs.notices import NoticeLevel
from syncmonitor.engine.runs.notify_policy import EVENT_TYPES, NotificationPolicy
from syncmonitor.ui.autostart import Autostart
from syncmonitor.ui.settings.appearance import AppearanceBox
from syncmonitor.ui.settings.connections import (
    SERVICES,
    ServiceBox,
    form_config,
    form_remotes,
    html,
    service_check,
)
from syncmonitor.ui.settings.doctor_view import DoctorView
from syncmonitor.ui.style import bg, fg
from syncmonitor.ui.widgets import named

log = logging.getLogger(__name__)

NO_KEYRING = (
    "This system has no secure password store (keyring), so tokens cannot be saved here. "
    "Sync Monitor never keeps them in a plain file. Install and unlock GNOME Keyring or KWallet, "
    "or set them in the environment: SYNCMONITOR_OUTREACH_TOKEN, SYNCMONITOR_WORKBOOKS_API_KEY, "
    "SYNCMONITOR_SPOTLER_CONSUMER_KEY and _SECRET, SYNCMONITOR_SALESFORCE_TOKEN, "
    "SYNCMONITOR_SALESMATE_TOKEN."
)
LABEL_WIDTH = 130
RATE_LIMIT_NOTE = (
    "Inbound: {0}–{1} min. Full: {2}–{3} min. The lower bounds keep well inside Outreach's and "
    "Workbooks' rate limits; Sync now works at any time."
)


class SettingsDialog(QDialog):
    """Connections, schedules, notifications and start at login; `saved` carries the new config."""

    saved = Signal(object)  # Config
    # An OAuth Test renewed Outreach's sign-in (the new refresh token is in the keyring, the old
    # one no longer works): the running app must resolve its remotes again.
    remotes_changed = Signal()
    review_first_sync = Signal()  # show the first two-way sync's plan again

    def __init__(
        self,
        config: Config,
        config_path: Path,
        policy: NotificationPolicy,
        *,
        log_dir: Path | None = None,
        autostart: Autostart | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setMinimumWidth(560)
        self.config = config
        self.config_path = config_path
        self.policy = policy
        self.autostart = autostart or Autostart()
        self.secure = keyring_available()
        tabs = QTabWidget()
        tabs.addTab(self._connections(), "Connections")
        self.doctor = DoctorView(self._diagnose)
        tabs.addTab(self.doctor, "Test connections")
        tabs.addTab(self._schedule(), "Schedule")
        tabs.addTab(self._notifications(), "Notifications")
        tabs.addTab(self._general(log_dir), "General")
        from syncmonitor.ui.settings.queue_statuses import section  # the queue helper's section

        self.queue_statuses = section(self)
        tabs.addTab(self.queue_statuses, "Queue statuses")
        self.tabs = tabs
        self.error = named(QLabel(), "settingsError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {fg('#ae2a19')};")
        self.error.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(tabs)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

    # Tabs ---------------------------------------------------------------------------------------

    def _connections(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.keyring_warning = named(QLabel(NO_KEYRING), "keyringWarning")
        self.keyring_warning.setWordWrap(True)
        self.keyring_warning.setStyleSheet(
            f"background: {bg('#fff7e0')}; color: {fg('#5c4400')}; padding: 8px; "
            "border-radius: 4px;"
        )
        self.keyring_warning.setVisible(not self.secure)
        layout.addWidget(self.keyring_warning)
        self.remotes: dict[str, ServiceBox] = {}
        for name in SERVICES:
            check = service_check(name, self._form_config, self.remotes, self._rotated)
            self.remotes[name] = ServiceBox(name, self.config, self.secure, check)
            layout.addWidget(self.remotes[name])
        self.outreach, self.workbooks = self.remotes["Outreach"], self.remotes["Workbooks"]
        self.outreach.signed_in.connect(self.remotes_changed.emit)  # the next run signs in anew
        # Salesforce feeds the status mapping editors only; its token is not renewed.
        self.salesforce_note = named(
            QLabel(
                "Salesforce's access token lasts as long as the org's session timeout, two hours "
                "by default, and Sync Monitor does not renew it: when Salesforce refuses it, the "
                "status mapping page says it has expired; paste a new one here."
            ),
            "hint",
        )
        self.salesforce_note.setWordWrap(True)
        if "Salesforce" in self.remotes:  # right under the Salesforce box
            layout.insertWidget(
                layout.indexOf(self.remotes["Salesforce"]) + 1, self.salesforce_note
            )
        else:
            layout.addWidget(self.salesforce_note)
        note = named(
            QLabel(
                "With the Outreach and Workbooks addresses empty Sync Monitor runs against its "
                "built-in sandbox. Saved addresses and credentials are used from the next sync, "
                "no restart needed; a sync under way finishes with the old ones."
            ),
            "hint",
        )
        note.setWordWrap(True)
        layout.addWidget(note)
        if self.config.sandbox_mode:
            first = QLabel(
                "Sandbox mode: the first two-way sync is not previewed, as it writes only to the "
                "built-in sandbox. Against real accounts it shows its plan and asks first."
            )
        else:
            first = QLabel(
                "Against real accounts the first two-way sync shows what it would write and "
                "waits for your confirmation; until then syncs only read."
            )
        first.setWordWrap(True)
        layout.addWidget(named(first, "hint"))
        self.review_button = named(QPushButton("Review the first two-way sync…"), "reviewFirst")
        self.review_button.setEnabled(not self.config.sandbox_mode)
        self.review_button.clicked.connect(self.review_first_sync.emit)
        layout.addWidget(self.review_button)
        layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(page)
        return scroll

    def _form_config(self) -> Config:
        return form_config(self.config, self.remotes)

    def _rotated(self, token: str) -> None:
        """An OAuth Test renewed the sign-in: keep the new refresh token, tell the app."""
        save_refresh_token(token, os.environ)
        self.remotes_changed.emit()

    async def _diagnose(self) -> Diagnosis:
        remotes, salesmate = form_remotes(self.remotes, self._rotated)
        return await diagnose(self._form_config(), remotes, salesmate)

    def _schedule(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.inbound = QSpinBox()
        self.inbound.setRange(1, 10_000)  # out of bounds is refused with the reason at Save
        self.inbound.setSuffix(" min")
        self.inbound.setMaximumWidth(120)
        self.inbound.setValue(self.config.schedule.inbound_minutes)
        self.full = QSpinBox()
        self.full.setRange(1, 10_000)
        self.full.setSuffix(" min")
        self.full.setMaximumWidth(120)
        self.full.setValue(self.config.schedule.full_minutes)
        form.addRow("Inbound sync (remote changes in) every", self.inbound)
        form.addRow("Full sync (both ways) every", self.full)
        note = named(
            QLabel(RATE_LIMIT_NOTE.format(*INBOUND_MINUTES_BOUNDS, *FULL_MINUTES_BOUNDS)), "hint"
        )
        note.setWordWrap(True)
        form.addRow(note)
        return page

    def _notifications(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.toggles: dict[str, QCheckBox] = {}
        # Errors last: they cannot be switched off, the choices come first.
        ordered = sorted(
            EVENT_TYPES.items(),
            key=lambda item: (item[1].level is NoticeLevel.ERROR, item[1].label),
        )
        for event, kind in ordered:
            error = kind.level is NoticeLevel.ERROR
            box = QCheckBox(f"{kind.label} (always shown)" if error else kind.label)
            box.setChecked(self.policy.is_enabled(event))
            if error:
                box.setEnabled(False)
                box.setToolTip("Errors are always shown: syncing has stopped until it is fixed.")
            self.toggles[event] = box
            layout.addWidget(box)
        note = named(
            QLabel(
                "Several notices from one run arrive as one summary. Snooze them from the tray."
            ),
            "hint",
        )
        layout.addWidget(note)
        layout.addStretch(1)
        return page

    def _general(self, log_dir: Path | None) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.start_at_login = QCheckBox("Start Sync Monitor when I log in (in the tray)")
        self.start_at_login.setChecked(self.autostart.is_enabled())
        self.start_at_login.setToolTip(self.autostart.location)
        layout.addWidget(self.start_at_login)
        self.appearance = AppearanceBox(self.config)
        layout.addWidget(self.appearance)
        if log_dir is not None:
            link = named(QLabel(f'Logs: <a href="{log_dir.as_uri()}">{log_dir}</a>'), "logLink")
            link.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
            link.linkActivated.connect(lambda url: QDesktopServices.openUrl(QUrl(url)))
            layout.addWidget(link)
            self.log_link = link
        layout.addWidget(named(QLabel(f"Settings file: {self.config_path}"), "hint"))
        # Read-only: [cache] url in the settings file chooses it (docs/team-mode.md).
        layout.addWidget(named(QLabel(f"Store: {self.config.cache.describe()}"), "storeInUse"))
        layout.addStretch(1)
        return page

    # Saving -------------------------------------------------------------------------------------

    def changes(self) -> dict[str, dict[str, Any]]:
        """What the form says, checked; raises ConfigError naming the bad field."""
        sections = {box.section: box.config_changes() for box in self.remotes.values()}
        for box, (low, high), what in (
            (self.inbound, INBOUND_MINUTES_BOUNDS, "The inbound interval"),
            (self.full, FULL_MINUTES_BOUNDS, "The full sync interval"),
        ):
            if not low <= box.value() <= high:
                raise ConfigError(
                    f"{what} is {box.value()} min, outside {low} to {high} min.",
                    "Shorter intervals would run into the remotes' rate limits; use Sync now "
                    "for an extra sync.",
                )
        on = sorted(e for e, b in self.toggles.items() if b.isEnabled() and b.isChecked())
        off = sorted(e for e, b in self.toggles.items() if b.isEnabled() and not b.isChecked())
        return {
            **sections,
            "schedule": {
                "inbound_minutes": self.inbound.value(),
                "full_minutes": self.full.value(),
            },
            "notifications": {"on": on or None, "off": off or None},
            **self.appearance.changes(),
        }

    def save(self) -> None:
        try:
            changes = self.changes()
            for box in self.remotes.values():
                box.store_secrets()
            config = save_settings(self.config_path, changes)
            if self.start_at_login.isChecked() != self.autostart.is_enabled():
                if self.start_at_login.isChecked():
                    self.autostart.enable()
                else:
                    self.autostart.disable()
        except ConfigError as exc:  # a field of this form, not "the configuration file"
            self.show_error("This setting cannot be saved", exc.message)
            return
        except (UserFacingError, NoSecureStoreError) as exc:
            self.show_error(exc.title, exc.message)
            return
        except OSError as exc:
            self.show_error(
                "The settings could not be saved", f"{self.config_path}: {exc.strerror or exc}."
            )
            return
        for box in self.remotes.values():
            box.clear_secrets()
        self.queue_statuses.save()
        self.config = config
        self.saved.emit(config)
        self.accept()

    def show_error(self, title: str, message: str) -> None:
        self.error.setText(f"<b>{html(title)}</b>: {html(message)}")
        self.error.show()
