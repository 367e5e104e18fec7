"""The configuration file (`config.toml`) and what it means.

Every key, with its default, is documented in README.md. Secrets never live here: see secrets.py.
With neither remote configured the app runs against its built-in sandbox.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import logging
import os
import stat
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from syncmonitor.app.errors import UserFacingError


class ConfigError(UserFacingError):
    """The configuration file cannot be used as it is."""

    title = "The configuration file has a problem"


log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutreachSettings:
    base_url: str | None = None
    page_size: int = 1000
    # The OAuth app's client id (not a secret). With it, and the client secret and a refresh
    # token in the keyring or environment, access tokens are renewed as they expire.
    oauth_client_id: str | None = None


@dataclass(frozen=True)
class WorkbooksSettings:
    base_url: str | None = None
    sequence_state_field: str = "cf_person_sequence_state"
    state_updated_at_field: str = "cf_person_sequence_state_updated_at"
    outreach_id_field: str = "cf_person_outreach_id"
    no_email_field: str = "no_email_soliciting"
    push_enabled: bool = True
    # The full sync is two-way (records to Outreach, tasks/calls/steps back); false
    # keeps it to sequence states and mapped values of linked people.
    two_way_enabled: bool = True
    # Seed 001: a prospect also matches a Sales Lead with its address. The guide names no
    # sales-lead email field; this is Workbooks' bracket notation for the lead's person's main
    # email, an inference (docs/remote-contract.md). Empty: sales leads are not searched.
    sales_lead_email_field: str = "person_lead_party[main_location[email]]"


@dataclass(frozen=True)
class SalesforceSettings:
    base_url: str | None = None  # the org's instance URL; unset: statuses from the sandbox
    api_version: str = "v59.0"
    contact_status_field: str = "Contact_Status__c"


@dataclass(frozen=True)
class MappingSettings:
    lead_status_picklist: str = "Lead Status"  # Workbooks picklist names
    contact_status_picklist: str = "Contact Status"
    # Which Workbooks person field each status fills is a field mapping rule (Field mappings
    # page: the LeadStatus and ContactStatus lookups), not a setting: see RETIRED_KEYS.
    sync_enabled: bool = True  # false: the sync never applies the saved mappings


@dataclass(frozen=True)
class SalesmateSettings:
    """Salesmate's REST API (`https://<linkname>.salesmate.io`), used to match imported contacts.

    `linkname` defaults to the first label of the host name; the access token is a secret.
    """

    base_url: str | None = None
    linkname: str = ""

    @property
    def api_url(self) -> str | None:
        return f"{self.base_url}/apis" if self.base_url else None

    @property
    def effective_linkname(self) -> str:
        """The link name set, or the base URL's host (`acme.salesmate.io`): the connector sends
        it as `x-linkname: <name>.salesmate.io`, as Salesmate's public clients do."""
        if self.linkname or not self.base_url:
            return self.linkname
        host = (urlsplit(self.base_url).hostname or "").lower()
        return host if host.endswith(".salesmate.io") else host.split(".")[0]


@dataclass(frozen=True)
class SpotlerSettings:
    """Spotler Mail+ REST (GatorMail), e.g. https://restapi.mailplus.nl/integrationservice-1.1.0."""

    base_url: str | None = None


@dataclass(frozen=True)
class MailshotSettings:
    """How often the GatorMail queue is read: busy while mailshots are in flight, idle otherwise."""

    busy_poll_seconds: float = 5.0
    idle_poll_seconds: float = 60.0


@dataclass(frozen=True)
class SandboxSettings:
    seed: int = 1
    people: int = 500
    states_per_person: float = 3.0
    tick_seconds: float = 3.0
    changes_per_tick: int = 4


@dataclass(frozen=True)
class CacheSettings:
    """[cache]: where the history is kept. Unset: the SQLite file in the data folder (one person).

    `url = "postgresql+psycopg://user@host:5432/db"`: a team store shared by one syncing server
    and many watching desktops (docs/team-mode.md). Its password is a secret (keyring or
    SYNCMONITOR_CACHE_PASSWORD), never written in the URL.
    """

    url: str | None = None

    @property
    def shared(self) -> bool:
        return bool(self.url)

    def describe(self) -> str:
        """Which store is in use, in words (never a password: the URL cannot hold one)."""
        if self.url:
            return f"Team store (PostgreSQL) {self.url}"
        return "This computer's own cache file (SQLite)"


STORE_SCHEMES = ("postgresql+psycopg", "postgresql")


def check_store_url(url: str) -> str:
    """A PostgreSQL address without a password (the password is a secret, never in the file)."""
    text = url.strip()
    parts = urlsplit(text)
    if parts.scheme not in STORE_SCHEMES or not parts.hostname or not parts.path.strip("/"):
        raise ConfigError(
            f"[cache] url is {url!r}, which is not a PostgreSQL address.",
            "Use postgresql+psycopg://USER@HOST:5432/DATABASE, or delete the line to keep the "
            "history in this computer's own cache file.",
        )
    if parts.password is not None:
        raise ConfigError(
            "[cache] url contains a password, and passwords are never kept in the "
            "configuration file.",
            "Remove the password from the address (keep USER@HOST), and save it in Settings "
            "(the OS keyring) or export SYNCMONITOR_CACHE_PASSWORD on the server.",
        )
    if parts.scheme == "postgresql":  # plain postgresql:// means psycopg here too
        text = "postgresql+psycopg" + text[len("postgresql") :]
    return text


@dataclass(frozen=True)
class SyncSettings:
    interval_minutes: int = 30  # before [schedule]: read as [schedule] full_minutes
    # The first two-way sync against a real remote waits for a person's confirmation (the
    # window's preview, or `sync --once --confirm-writes`); true confirms it here, for
    # installations set up by script.
    confirm_writes: bool = False


# The scheduled sync kinds' bounds protect the remotes' rate limits: an inbound sync is a handful
# of incremental Outreach reads (Outreach allows 10,000 requests an hour per user), a full sync
# also reads and writes Workbooks people in batches (Workbooks throttles per database). Every
# 15 and 30 minutes at most keeps both far below their limits; a day at least keeps data fresh.
INBOUND_MINUTES_BOUNDS = (15, 24 * 60)
FULL_MINUTES_BOUNDS = (30, 24 * 60)


@dataclass(frozen=True)
class ScheduleSettings:
    """[schedule]: how often each kind of sync runs by itself."""

    inbound_minutes: int = 120
    full_minutes: int = 30
    paused: bool = False


# Every notification a person can switch on or off ([notifications] on / off, and Settings).
# The engine registers each with its label and default (`engine.runs.notify_policy`); this list
# is the names alone, so a name the app does not have is refused when the file is read
# (review-reliability.md #19: a typo would otherwise turn nothing off, silently).
# tests/unit/test_notification_names.py keeps the two in step.
NOTIFICATION_EVENTS = (
    "apikey.expiring",
    "app.still_running",
    "config.broken",
    "integration.stopped",
    "mailshot.arrived",
    "people.opted_out",
    "queue.blocked",
    "queue.recovered",
    "salesmate.imported",
    "sync.delete_hazard",
    "sync.failed",
    "sync.record_issues",
    "sync.recovered",
)


@dataclass(frozen=True)
class NotificationSettings:
    """[notifications]: the person's per-event toggles (events not listed follow defaults)."""

    on: tuple[str, ...] = ()
    off: tuple[str, ...] = ()

    def choices(self) -> dict[str, bool]:
        return {**{e: True for e in self.on}, **{e: False for e in self.off}}


THEMES = ("system", "light", "dark")


@dataclass(frozen=True)
class AppearanceSettings:
    """[appearance]: the window's look. "system" follows the operating system's colour scheme."""

    theme: str = "system"


@dataclass(frozen=True)
class Config:
    """The whole configuration, validated."""

    outreach: OutreachSettings = field(default_factory=OutreachSettings)
    workbooks: WorkbooksSettings = field(default_factory=WorkbooksSettings)
    sandbox: SandboxSettings = field(default_factory=SandboxSettings)
    sync: SyncSettings = field(default_factory=SyncSettings)
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    notifications: NotificationSettings = field(default_factory=NotificationSettings)
    salesforce: SalesforceSettings = field(default_factory=SalesforceSettings)
    mappings: MappingSettings = field(default_factory=MappingSettings)
    salesmate: SalesmateSettings = field(default_factory=SalesmateSettings)
    spotler: SpotlerSettings = field(default_factory=SpotlerSettings)
    mailshots: MailshotSettings = field(default_factory=MailshotSettings)
    appearance: AppearanceSettings = field(default_factory=AppearanceSettings)
    cache: CacheSettings = field(default_factory=CacheSettings)
    source: Path | None = None

    @property
    def sandbox_mode(self) -> bool:
        """No remote configured: run against the built-in sandbox."""
        return not self.outreach.base_url and not self.workbooks.base_url


def _shown(url: str) -> str:
    """The address as it may be shown: any user name and password in it replaced by `***`."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    authority, slash, path = rest.partition("/")
    if "@" in authority:
        authority = "***@" + authority.rpartition("@")[2]
    return f"{scheme}{sep}{authority}{slash}{path}"


def check_base_url(url: str, where: str) -> str:
    """Refuse anything but HTTPS, except for a loopback host (local testing, the sandbox).

    Refused too, before anything is sent: a user name or password in the address (httpx would
    send them as Basic credentials in place of the token, and they would be shown wherever the
    address is), a port outside 1 to 65535, control characters, and a ?query or #fragment (the
    API paths are joined after the base address, so they would be lost).
    """
    text = url.strip()
    shown = _shown(text)
    if any(ord(c) < 32 or ord(c) == 127 for c in text) or " " in text:
        raise ConfigError(
            f"{where} contains a space or an invisible control character.",
            "Type the address again by hand, for example https://api.outreach.io/api/v2.",
        )
    try:
        parts = urlsplit(text)
        port = parts.port
        host = parts.hostname
    except ValueError:
        raise ConfigError(
            f"{where} is {shown!r}, which is not a usable web address (its port is not a "
            "number from 1 to 65535, or its host is malformed).",
            "Use the full address, for example https://api.outreach.io/api/v2.",
        ) from None
    if parts.scheme not in ("http", "https") or not host:
        raise ConfigError(
            f"{where} is {shown!r}, which is not a web address.",
            "Use the full address, for example https://api.outreach.io/api/v2.",
        )
    if parts.username is not None or parts.password is not None:
        raise ConfigError(
            f"{where} has a user name or password inside the address. Sync Monitor does not use "
            "it (it would replace the token) and does not show it.",
            f"Remove the part before @ from {where}, and keep credentials in Settings (the OS "
            "keyring) or in the environment. If the password was real, change it: it was "
            "written in the configuration file.",
        )
    if port == 0:
        raise ConfigError(
            f"{where} is {shown!r}: port 0 is not a port a service listens on.",
            "Leave the port out for the standard one, or give the right number.",
        )
    if parts.query or parts.fragment or text.endswith(("?", "#")):
        raise ConfigError(
            f"{where} is {shown!r}, which has a ?query or #fragment. Sync Monitor adds the API "
            "paths after the base address, so that part would swallow them.",
            "Remove everything from the ? or # on, for example https://api.outreach.io/api/v2.",
        )
    if parts.scheme == "http" and not _is_loopback(host):
        raise ConfigError(
            f"{where} uses plain http:// to {host}, so tokens would cross the network unencrypted.",
            "Change it to https://. Plain http is only accepted for this computer "
            "(localhost, 127.0.0.1, ::1).",
        )
    return text.rstrip("/")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


_SECTIONS: dict[str, type] = {
    "outreach": OutreachSettings,
    "workbooks": WorkbooksSettings,
    "sandbox": SandboxSettings,
    "sync": SyncSettings,
    "schedule": ScheduleSettings,
    "notifications": NotificationSettings,
    "salesforce": SalesforceSettings,
    "mappings": MappingSettings,
    "salesmate": SalesmateSettings,
    "spotler": SpotlerSettings,
    "mailshots": MailshotSettings,
    "appearance": AppearanceSettings,
    "cache": CacheSettings,
}

_CHOICES: dict[tuple[str, str], tuple[str, ...]] = {("appearance", "theme"): THEMES}

_BOUNDS: dict[tuple[str, str], tuple[float, float]] = {
    ("outreach", "page_size"): (1, 1000),
    ("sandbox", "people"): (1, 2_000_000),
    ("sandbox", "states_per_person"): (0, 20),
    ("sandbox", "tick_seconds"): (0, 3600),
    ("sandbox", "changes_per_tick"): (0, 10_000),
    ("sync", "interval_minutes"): (5, 24 * 60),
    ("schedule", "inbound_minutes"): INBOUND_MINUTES_BOUNDS,
    ("schedule", "full_minutes"): FULL_MINUTES_BOUNDS,
    ("mailshots", "busy_poll_seconds"): (1, 600),
    ("mailshots", "idle_poll_seconds"): (5, 3600),
}


# Keys older files may still set, which no longer do anything: each is skipped with this message
# (logged when the file loads) instead of failing the whole file, and Settings drops it on save.
_FIELD_RULE = (
    "The Workbooks person field that the {status} fills is chosen on the Field mappings page "
    "(the rule whose External Mapped Field is {mapped}); this key was never read. Delete the "
    "line, or save Settings once, which removes it."
)
RETIRED_KEYS: dict[tuple[str, str], str] = {
    ("mappings", "lead_status_field"): _FIELD_RULE.format(
        status="Lead Status mapping", mapped="LeadStatus"
    ),
    ("mappings", "contact_status_field"): _FIELD_RULE.format(
        status="Contact Status mapping", mapped="ContactStatus"
    ),
}


def parse_config(data: dict[str, Any], source: Path | None = None) -> Config:
    """Validate a decoded TOML document into a Config; every problem names the key."""
    sections: dict[str, Any] = {}
    for name, value in data.items():
        if name not in _SECTIONS:
            raise ConfigError(
                f"Unknown section [{name}].",
                f"Known sections: {', '.join('[' + s + ']' for s in _SECTIONS)}.",
            )
        if not isinstance(value, dict):
            raise ConfigError(f"{name} must be a section ([{name}]), not a single value.", "")
        sections[name] = _parse_section(name, value)
    if "schedule" not in data and "sync" in data and "interval_minutes" in data["sync"]:
        # A config from before [schedule]: its one interval becomes the full sync's, raised to
        # the full sync's minimum if it was shorter.
        minutes = max(sections["sync"].interval_minutes, FULL_MINUTES_BOUNDS[0])
        sections["schedule"] = ScheduleSettings(full_minutes=minutes)
    return Config(source=source, **sections)


def _check_event_names(key: str, names: list[str]) -> None:
    unknown = [n for n in names if n not in NOTIFICATION_EVENTS]
    if unknown:
        shown = ", ".join(repr(n.encode("unicode_escape").decode("ascii")) for n in unknown[:5])
        what = "a notification" if len(unknown) == 1 else "notifications"
        raise ConfigError(
            f"[notifications] {key} names {what} Sync Monitor does not have: {shown}.",
            f"Use the names of the notifications: {', '.join(NOTIFICATION_EVENTS)} (or switch "
            "them in Settings, Notifications).",
        )


def _parse_section(name: str, values: dict[str, Any]) -> Any:
    cls = _SECTIONS[name]
    defaults = cls()
    known = {f.name: getattr(defaults, f.name) for f in dataclasses.fields(defaults)}
    parsed: dict[str, Any] = {}
    for key, value in values.items():
        retired = RETIRED_KEYS.get((name, key))
        if retired is not None:
            log.warning("[%s] %s is no longer a setting and is ignored. %s", name, key, retired)
            continue
        if key not in known:
            raise ConfigError(
                f"Unknown key {key!r} in [{name}].", f"Known keys: {', '.join(sorted(known))}."
            )
        default = known[key]
        expected = type(default) if default is not None else str
        if expected is tuple:  # a list of names, e.g. [notifications] off
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(
                    f"[{name}] {key} must be a list of names in quotes, not {value!r}.",
                    'For example: off = ["people.opted_out"].',
                )
            if name == "notifications":
                _check_event_names(key, value)
            parsed[key] = tuple(value)
            continue
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise ConfigError(
                f"[{name}] {key} must be {_kind(expected)}, not {value!r}.",
                "Fix the value in the configuration file, or delete the line to use the default.",
            )
        bounds = _BOUNDS.get((name, key))
        if bounds and isinstance(value, int | float) and not bounds[0] <= value <= bounds[1]:
            raise ConfigError(
                f"[{name}] {key} is {value}, outside {bounds[0]:g} to {bounds[1]:g}.",
                "Use a value in that range (the limits protect the remotes' rate limits).",
            )
        if isinstance(value, str) and any(ord(c) < 32 or ord(c) == 127 for c in value):
            raise ConfigError(
                f"[{name}] {key} contains an invisible control character (such as NUL).",
                "Type the value again by hand, or delete the line to use the default.",
            )
        choices = _CHOICES.get((name, key))
        if choices and value not in choices:
            raise ConfigError(
                f"[{name}] {key} is {value!r}, not one of {', '.join(map(repr, choices))}.",
                "Use one of those values, or delete the line to use the default.",
            )
        if key == "base_url":
            value = check_base_url(value, f"[{name}] base_url")
        if (name, key) == ("cache", "url"):
            value = check_store_url(value)
        if key.endswith("_field") and not value.strip():
            raise ConfigError(f"[{name}] {key} is empty.", "Give the Workbooks field's API name.")
        parsed[key] = value
    return cls(**parsed)


def _kind(expected: type) -> str:
    return {str: "text", int: "a whole number", float: "a number", bool: "true or false"}.get(
        expected, expected.__name__
    )


# A configuration file is a few kilobytes; a bigger "file" is something else (a device).
MAX_CONFIG_BYTES = 1024 * 1024


def _read_config_text(path: Path) -> str:
    """The file's text, refusing what is not a regular file (a FIFO would block for ever, a
    device such as /dev/zero would be read for ever) and a UTF-8 byte-order mark accepted."""
    try:
        info = path.stat()
    except OSError as exc:
        raise ConfigError(
            f"{path} cannot be read: {exc}.", "Check the file's permissions."
        ) from exc
    special = not stat.S_ISREG(info.st_mode) and not stat.S_ISDIR(info.st_mode)
    if special and not _is_devnull(path):
        raise ConfigError(
            f"{path} is not a regular file (it is a pipe, socket or device), so it is not read.",
            "Point --config at a config.toml file.",
        )
    try:
        with path.open("rb") as file:
            raw = file.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise ConfigError(
            f"{path} cannot be read: {exc}.", "Check the file's permissions."
        ) from exc
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError(
            f"{path} is larger than {MAX_CONFIG_BYTES // 1024} KB, far more than a "
            "configuration file holds.",
            "Point --config at the right config.toml.",
        )
    try:
        return raw.decode("utf-8-sig")  # Windows Notepad may start the file with a BOM
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path} is not UTF-8 text ({exc.reason} at byte {exc.start}).",
            "Save it as UTF-8 (in Notepad: Save As, Encoding: UTF-8).",
        ) from exc


def _is_devnull(path: Path) -> bool:
    try:
        return os.path.samefile(path, os.devnull)
    except OSError:
        return False


def load_config(path: Path) -> Config:
    """Read config.toml; a missing file means all defaults (sandbox mode)."""
    if not path.exists():
        return Config(source=None)
    text = _read_config_text(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{path} is not valid TOML: {exc}.", "Fix the line it names, or move the file away."
        ) from exc
    return parse_config(data, source=path)
