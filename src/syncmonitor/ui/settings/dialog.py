"""Settings: connections, schedules, notifications, start at login, where the logs are.

Shown with open() (never exec() inside an async slot: a nested loop would run other tasks
re-entrantly). Every value is checked before anything is written: a bad address or an interval
out of bounds is refused with the reason, and secrets go to the OS keyring or nowhere.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from syncmonitor.app.config import (
    FULL_MINUTES_BOUNDS,
    INBOUND_MINUTES_BOUNDS,
    Config,
    ConfigError,
    check_base_url,
)
from syncmonitor.app.credentials import (
    NoSecureStoreError,
    Secret,
    get_secret,
    keyring_available,
    store_secret,
)
from syncmonitor.app.errors import UserFacingError
from syncmonitor.app.settings_store import save_settings
from syncmonitor.engine.connection_check import CheckResult, check_outreach, check_workbooks
from syncmonitor.engine.runs.notices import NoticeLevel
from syncmonitor.engine.runs.notify_policy import EVENT_TYPES, NotificationPolicy
from syncmonitor.ui.autostart import Autostart
from syncmonitor.ui.settings.appearance import AppearanceBox
from syncmonitor.ui.style import bg, fg
from syncmonitor.ui.widgets import named

log = logging.getLogger(__name__)

NO_KEYRING = (
    "This system has no secure password store (keyring), so tokens cannot be saved here. "
    "Sync Monitor never keeps them in a plain file. Install and unlock GNOME Keyring or KWallet, "
    "or set SYNCMONITOR_OUTREACH_TOKEN and SYNCMONITOR_WORKBOOKS_API_KEY in the environment."
)
LABEL_WIDTH = 130
RATE_LIMIT_NOTE = (
    "Inbound: {0}–{1} min. Full: {2}–{3} min. The lower bounds keep well inside Outreach's and "
    "Workbooks' rate limits; Sync now works at any time."
)


class _Remote(QWidget):
    """An address, a secret and a Test button for one remote."""

    def __init__(
        self,
        name: str,
        url: str | None,
        secret: Secret,
        check: Callable[[str, str], Awaitable[CheckResult]],
        secure: bool,
    ) -> None:
        super().__init__()
        self.name = name
        self.secret = secret
        self._check = check
        self._task: asyncio.Task[None] | None = None
        self.url = named(QLineEdit(url or ""), f"{secret.value}_url")
        self.url.setPlaceholderText("https://… (empty: not used)")
        self.token = named(QLineEdit(), secret.value)
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        saved = get_secret(secret) is not None
        self.token.setPlaceholderText(
            "Saved (type to replace)" if saved else f"Paste the {secret.label}"
        )
        self.token.setEnabled(secure)
        self.test_button = QPushButton("Test connection")
        self.test_button.clicked.connect(self.start_test)
        self.result = named(QLabel(), "testResult")
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form = QFormLayout(self)
        labels = [QLabel(f"{name} address"), QLabel(secret.label)]
        for label in labels:
            label.setMinimumWidth(LABEL_WIDTH)  # both remotes' fields line up
        form.addRow(labels[0], self.url)
        form.addRow(labels[1], self.token)
        row = QHBoxLayout()
        row.addWidget(self.test_button)
        row.addWidget(self.result, 1)
        form.addRow("", row)

    def secret_value(self) -> str:
        return self.token.text().strip() or (get_secret(self.secret) or "")

    def start_test(self) -> None:
        self.test_button.setEnabled(False)
        self.result.setText("Testing…")
        self._task = asyncio.get_running_loop().create_task(self._test())

    async def _test(self) -> None:
        try:
            result = await self._check(self.url.text().strip(), self.secret_value())
        except Exception as exc:  # a bug: say so rather than leave "Testing…" forever
            log.exception("Test connection failed")
            result = CheckResult(False, "The test itself failed", f"{type(exc).__name__}: {exc}")
        if not isValid(self):
            return
        self.test_button.setEnabled(True)
        colour = fg("#2e7d32" if result.ok else "#ae2a19")
        mark = "✓" if result.ok else "✗"
        self.result.setText(
            f"<span style='color:{colour}'>{mark} <b>{_html(result.title)}</b> "
            f"{_html(result.message)}</span>"
        )
        self.last_result = result


class SettingsDialog(QDialog):
    """Connections, schedules, notifications and start at login; `saved` carries the new config."""

    saved = Signal(object)  # Config

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
        self.outreach = _Remote(
            "Outreach",
            self.config.outreach.base_url,
            Secret.OUTREACH_TOKEN,
            check_outreach,
            self.secure,
        )
        self.workbooks = _Remote(
            "Workbooks",
            self.config.workbooks.base_url,
            Secret.WORKBOOKS_API_KEY,
            check_workbooks,
            self.secure,
        )
        layout.addWidget(self.outreach)
        layout.addWidget(self.workbooks)
        if self.config.salesforce.base_url:
            # Salesforce feeds the status mapping editors only; its token is not renewed.
            self.salesforce_note = named(
                QLabel(
                    f"Salesforce ({self.config.salesforce.base_url}), for the status mappings: "
                    "the access token comes from the keyring (salesforce_token) or "
                    "SYNCMONITOR_SALESFORCE_TOKEN. It lasts as long as the org's session "
                    "timeout, two hours by default, and Sync Monitor does not renew it: when "
                    "Salesforce refuses it, the status mapping page says it has expired; put a "
                    "new one there."
                ),
                "hint",
            )
            self.salesforce_note.setWordWrap(True)
            layout.addWidget(self.salesforce_note)
        note = named(
            QLabel(
                "With both addresses empty Sync Monitor runs against its built-in sandbox. "
                "New addresses and credentials are used from the next start."
            ),
            "hint",
        )
        note.setWordWrap(True)
        layout.addWidget(note)
        layout.addStretch(1)
        return page

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
        urls = {}
        for remote, section in ((self.outreach, "outreach"), (self.workbooks, "workbooks")):
            text = remote.url.text().strip()
            urls[section] = check_base_url(text, f"The {remote.name} address") if text else None
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
            "outreach": {"base_url": urls["outreach"]},
            "workbooks": {"base_url": urls["workbooks"]},
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
            for remote in (self.outreach, self.workbooks):
                if remote.token.text().strip():
                    store_secret(remote.secret, remote.token.text().strip())
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
        for remote in (self.outreach, self.workbooks):
            remote.token.clear()
        self.queue_statuses.save()
        self.config = config
        self.saved.emit(config)
        self.accept()

    def show_error(self, title: str, message: str) -> None:
        self.error.setText(f"<b>{_html(title)}</b>: {_html(message)}")
        self.error.show()


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
