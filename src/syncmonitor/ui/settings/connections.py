"""Settings > Connections: every remote (Outreach, Workbooks, Spotler, Salesforce, Salesmate) with
its address, its credentials (saved to the OS keyring, never a file) and a Test button.

Test asks the connection doctor about that remote with what the form says now (typed secrets, or
the saved ones): every resource the enabled features need, so a token without one scope fails the
test instead of the next sync.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
)
from shiboken6 import isValid

from syncmonitor.app.config import Config, ConfigError, check_base_url
from syncmonitor.app.credentials import Secret, get_secret, store_secret
from syncmonitor.app.errors import UserFacingError
from syncmonitor.engine.connection_check import CheckResult, check_service, summary
from syncmonitor.engine.connections.forms import SalesmateAccess, remotes_from_form
from syncmonitor.engine.outreach_sign_in import redirect_uri, sign_in_in_browser
from syncmonitor.engine.runs.jobs import Remotes
from syncmonitor.ui.widgets import named

log = logging.getLogger(__name__)
LABEL_WIDTH = 150
TOKEN, OAUTH = "token", "oauth"


@dataclass(frozen=True)
class Field:
    """One input of a remote: a config value (`key` in its section) or a secret."""

    key: str
    label: str
    secret: Secret | None = None
    placeholder: str = ""


SERVICES: dict[str, tuple[str, tuple[Field, ...]]] = {
    # name: (config section, fields)
    "Outreach": (
        "outreach",
        (
            Field("base_url", "Outreach address", placeholder="https://api.outreach.io/api/v2"),
            Field("outreach_token", "Access token", Secret.OUTREACH_TOKEN),
            Field("oauth_client_id", "OAuth client id", placeholder="The OAuth app's client id"),
            Field("outreach_client_secret", "OAuth client secret", Secret.OUTREACH_CLIENT_SECRET),
            Field("outreach_refresh_token", "Refresh token", Secret.OUTREACH_REFRESH_TOKEN),
        ),
    ),
    "Workbooks": (
        "workbooks",
        (
            Field("base_url", "Workbooks address", placeholder="https://secure.workbooks.com/"),
            Field("workbooks_api_key", "API key", Secret.WORKBOOKS_API_KEY),
        ),
    ),
    "Spotler": (
        "spotler",
        (
            Field(
                "base_url",
                "Spotler Mail+ address",
                placeholder="https://restapi.mailplus.nl/integrationservice-1.1.0",
            ),
            Field("spotler_consumer_key", "Consumer key", Secret.SPOTLER_CONSUMER_KEY),
            Field("spotler_consumer_secret", "Consumer secret", Secret.SPOTLER_CONSUMER_SECRET),
        ),
    ),
    "Salesforce": (
        "salesforce",
        (
            Field("base_url", "Instance address", placeholder="https://yourorg.my.salesforce.com"),
            Field("salesforce_token", "Access token", Secret.SALESFORCE_TOKEN),
        ),
    ),
    "Salesmate": (
        "salesmate",
        (
            Field("base_url", "Salesmate address", placeholder="https://yourname.salesmate.io"),
            Field(
                "linkname",
                "Link name",
                placeholder="yourname.salesmate.io (empty: from the address)",
            ),
            Field("salesmate_token", "Access key", Secret.SALESMATE_TOKEN),
        ),
    ),
}
OAUTH_FIELDS = ("oauth_client_id", "outreach_client_secret", "outreach_refresh_token")

Check = Callable[[dict[str, str]], Awaitable[CheckResult]]


class ServiceBox(QGroupBox):
    """An address, credentials and a Test button for one remote."""

    signed_in = Signal()  # the browser sign-in saved a new Outreach refresh token

    def __init__(self, name: str, config: Config, secure: bool, check: Check) -> None:
        super().__init__(name)
        self.name = name
        self.section, self.fields = SERVICES[name]
        self._check = check
        self._task: asyncio.Task[None] | None = None
        self.last_result: CheckResult | None = None
        values = dataclasses.asdict(getattr(config, self.section))
        self.inputs: dict[str, QLineEdit] = {}
        self.labels: dict[str, QLabel] = {}
        form = QFormLayout(self)
        self.mode: QComboBox | None = None
        if name == "Outreach":
            self.mode = named(QComboBox(), "outreachSignIn")
            self.mode.addItem("Access token", TOKEN)
            self.mode.addItem("OAuth app (renews its own access tokens)", OAUTH)
            self.mode.setCurrentIndex(1 if config.outreach.oauth_client_id else 0)
            self.mode.currentIndexChanged.connect(self._show_mode)
            form.addRow(self._label("Sign in with"), self.mode)
        for f in self.fields:
            edit = named(QLineEdit(), f.key if f.secret else f"{self.section}_{f.key}")
            if f.secret is not None:
                edit.setEchoMode(QLineEdit.EchoMode.Password)
                saved = get_secret(f.secret) is not None
                edit.setPlaceholderText(
                    "Saved (type to replace)" if saved else f"Paste the {_lower_first(f.label)}"
                )
                edit.setEnabled(secure)
            else:
                edit.setText(str(values.get(f.key) or ""))
                edit.setPlaceholderText(f.placeholder or "(empty: not used)")
            self.inputs[f.key] = edit
            self.labels[f.key] = self._label(f.label)
            form.addRow(self.labels[f.key], edit)
        self.sign_in_button: QPushButton | None = None
        if name == "Outreach":  # OAuth: the browser's consent page gives the refresh token
            self.sign_in_button = named(
                QPushButton("Sign in with Outreach…"), "outreachSignInButton"
            )
            self.sign_in_button.setToolTip(
                f"Opens Outreach in the browser. The Outreach OAuth app must list "
                f"{redirect_uri()} as a redirect URI."
            )
            self.sign_in_button.clicked.connect(self.start_sign_in)
            form.addRow("", self.sign_in_button)
        self.test_button = named(QPushButton("Test"), f"test_{self.section}")
        self.test_button.setToolTip(
            f"Reads every {name} resource the enabled features need, with what the form says now"
        )
        self.test_button.clicked.connect(self.start_test)
        self.result = named(QLabel(), "testResult")
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        row = QHBoxLayout()
        row.addWidget(self.test_button)
        row.addWidget(self.result, 1)
        form.addRow("", row)
        self._show_mode()

    @staticmethod
    def _label(text: str) -> QLabel:
        label = QLabel(text)
        label.setMinimumWidth(LABEL_WIDTH)  # every remote's fields line up
        return label

    # The first address and secret fields (the Outreach and Workbooks tests use these names).
    @property
    def url(self) -> QLineEdit:
        return self.inputs["base_url"]

    @property
    def token(self) -> QLineEdit:
        return next(self.inputs[f.key] for f in self.fields if f.secret is not None)

    @property
    def oauth(self) -> bool:
        return self.mode is not None and self.mode.currentData() == OAUTH

    def _show_mode(self) -> None:
        if self.mode is None:
            return
        if self.sign_in_button is not None:
            self.sign_in_button.setVisible(self.oauth)
        for key in (*OAUTH_FIELDS, "outreach_token"):
            shown = (key in OAUTH_FIELDS) == self.oauth
            self.inputs[key].setVisible(shown)
            self.labels[key].setVisible(shown)

    def values(self) -> dict[str, str]:
        """What the form says: typed values, else the saved secrets (for a Test)."""
        found = {}
        for f in self.fields:
            typed = self.inputs[f.key].text().strip()
            found[f.key] = typed or (get_secret(f.secret) or "" if f.secret else "")
        return found

    def config_changes(self) -> dict[str, Any]:
        """The section's non-secret values, checked (raises ConfigError naming the field)."""
        changes: dict[str, Any] = {}
        for f in self.fields:
            if f.secret is not None:
                continue
            text = self.inputs[f.key].text().strip()
            if f.key == "base_url" and text:
                text = check_base_url(text, f"The {self.name} address")
            if f.key == "oauth_client_id" and not self.oauth:
                text = ""
            changes[f.key] = text or None
        return changes

    def store_secrets(self) -> None:
        for f in self.fields:
            text = self.inputs[f.key].text().strip()
            if f.secret is not None and text and not self.inputs[f.key].isHidden():
                store_secret(f.secret, text)

    def clear_secrets(self) -> None:
        for f in self.fields:
            if f.secret is not None and self.inputs[f.key].text():
                self.inputs[f.key].clear()
                self.inputs[f.key].setPlaceholderText("Saved (type to replace)")

    def start_sign_in(self) -> None:
        """OAuth in the browser: the refresh token (and client secret) go to the keyring."""
        values = self.values()
        if not (
            values["base_url"] and values["oauth_client_id"] and values["outreach_client_secret"]
        ):
            self._show(
                CheckResult(
                    False,
                    "Not enough to sign in",
                    "Enter the Outreach address, the OAuth client id and the client secret first.",
                )
            )
            return
        assert self.sign_in_button is not None
        self.sign_in_button.setEnabled(False)
        self.result.setText("Waiting for Outreach in the browser…")
        self._task = asyncio.get_running_loop().create_task(self._sign_in(values))

    async def _sign_in(self, values: dict[str, str]) -> None:
        try:
            await sign_in_in_browser(
                values["base_url"],
                values["oauth_client_id"],
                values["outreach_client_secret"],
                lambda url: QDesktopServices.openUrl(QUrl(url)),
            )
            result = CheckResult(True, "Signed in to Outreach", "The sign-in is in the keyring.")
        except UserFacingError as exc:
            result = CheckResult(False, exc.title, exc.message)
        if not isValid(self):
            return
        assert self.sign_in_button is not None
        self.sign_in_button.setEnabled(True)
        if result.ok:
            self.inputs["outreach_refresh_token"].setPlaceholderText("Saved (type to replace)")
            self.signed_in.emit()
        self._show(result)

    def start_test(self) -> None:
        self.test_button.setEnabled(False)
        self.result.setText("Testing…")
        self._task = asyncio.get_running_loop().create_task(self._test())

    async def _test(self) -> None:
        try:
            result = await self._check(self.values())
        except Exception as exc:  # a bug: say so rather than leave "Testing…" forever
            log.exception("Test connection failed")
            result = CheckResult(False, "The test itself failed", f"{type(exc).__name__}: {exc}")
        if not isValid(self):
            return
        self.test_button.setEnabled(True)
        self._show(result)

    def _show(self, result: CheckResult) -> None:
        colour = "#2e7d32" if result.ok else "#ae2a19"
        mark = "✓" if result.ok else "✗"
        self.result.setText(
            f"<span style='color:{colour}'>{mark} <b>{html(result.title)}</b> "
            f"{html(result.message)}</span>"
        )
        self.last_result = result


def form_config(config: Config, boxes: dict[str, ServiceBox]) -> Config:
    """`config` with the addresses the form holds (unchecked: a Test reports a bad one)."""
    changed = config
    for box in boxes.values():
        values = {
            f.key: box.inputs[f.key].text().strip() or None for f in box.fields if not f.secret
        }
        if box.section == "outreach" and not box.oauth:
            values["oauth_client_id"] = None
        current = getattr(changed, box.section)
        kept = {k: v for k, v in values.items() if hasattr(current, k)}
        changed = dataclasses.replace(
            changed, **{box.section: dataclasses.replace(current, **kept)}
        )
    return changed


def form_remotes(
    boxes: dict[str, ServiceBox], on_rotate: Callable[[str], None] | None = None
) -> tuple[Remotes, SalesmateAccess | None]:
    """The remotes the form describes, with typed secrets or the saved ones."""
    values = {name: box.values() for name, box in boxes.items()}
    return remotes_from_form(values, outreach_oauth=boxes["Outreach"].oauth, on_rotate=on_rotate)


def service_check(
    name: str,
    config: Callable[[], Config],
    boxes: dict[str, ServiceBox],
    on_rotate: Callable[[str], None],
) -> Check:
    """The Test of one remote: the doctor's checks for it, with the form's values."""

    async def check(_values: dict[str, str]) -> CheckResult:
        box = boxes[name]
        address = box.url.text().strip()
        if not address:
            return CheckResult(False, f"No {name} address", f"Enter the {name} address first.")
        try:
            check_base_url(address, f"The {name} address")
        except ConfigError as exc:
            return CheckResult(False, exc.title, exc.message)
        remotes, salesmate = form_remotes(boxes, on_rotate)
        findings = await check_service(name, config(), remotes, salesmate)
        if not findings:
            return CheckResult(
                False,
                f"Nothing to test for {name}",
                "Enter the credentials (and for Workbooks, turn on a feature that uses it).",
            )
        return summary(findings)

    return check


def _lower_first(label: str) -> str:
    """'Access token' -> 'access token', 'API key' stays 'API key'."""
    word = label.split()[0]
    return label if word.isupper() else label[0].lower() + label[1:]


def html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
