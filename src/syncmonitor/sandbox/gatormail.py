"""The GatorMail integration as the sandbox plays it: a worker thread that moves queued Workbooks
mailshots into Spotler as integrated campaigns, and a producer that keeps queueing new ones.

The Workbooks article on mailshots that do not reach GatorMail is the script. The worker takes
queued mailshots in order, one at a time; each takes a fixed time plus a time per audience record,
so a big audience takes minutes and mailshots queued together wait for each other. A mailshot whose
name is over 100 characters (counted in UTF-16 units, as Java counts) is never accepted: the worker
keeps trying it and everything queued behind it waits, until it is deleted in Workbooks. Nothing
moves while the integration is switched off or while the GatorMail API key is disabled, expired or
not yet valid. Every change holds the world lock and bumps the mailshot's lock_version and
updated_at, as a Workbooks save would.
"""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass
from typing import Any

from syncmonitor.sandbox.mailshot_records import (
    FAILED,
    LONG_NAME,
    QUEUED,
    SYNCED,
    SYNCING,
    Mailshot,
)
from syncmonitor.sandbox.world import World

NAME_LIMIT = 100
MAILSHOT_PATH = "email/integrated_mailshots"


def gatormail_length(name: str) -> int:
    """Spotler is a Java service: String.length() counts UTF-16 code units."""
    return len(name.encode("utf-16-le")) // 2


@dataclass
class IntegrationSettings:
    """The switches `/_admin/gatormail` changes. Times are in seconds."""

    running: bool = True
    seconds_per_mailshot: float = 2.0
    seconds_per_record: float = 0.004
    slow_factor: float = 1.0  # the "slow audience" fault multiplies the time per record
    new_every: float = 45.0  # a new mailshot is synchronised this often (0: never)
    long_name_share: float = 0.1  # of those, how many have a name over 100 characters
    fail_next: int = 0  # the next N mailshots fail in Spotler (a transient error)
    # Faults on the Workbooks mailshot endpoint, for the one-click fix:
    fail_next_create: int = 0  # the next N creates are refused (HTTP 500, nothing saved)
    lose_next_create: int = 0  # the next N creates are saved but the answer is lost (HTTP 502)
    fail_next_delete: int = 0  # the next N deletes are refused (HTTP 500, nothing deleted)
    # The consumer key was regenerated in Mail+: every signed request now has the wrong keys.
    oauth_keys_revoked: bool = False
    # Emulate an account that offers reads no document has: Workbooks `admin/api_keys.api` and
    # Spotler `GET /integration/status`. Off by default, as on every real account we know of.
    undocumented_reads: bool = False
    # Workbooks is upgrading the database after a release: its API answers 403
    # `database_being_migrated` (a documented, transient reason) to every request.
    workbooks_migrating: bool = False


_NUMBERS = (
    "seconds_per_mailshot",
    "seconds_per_record",
    "slow_factor",
    "new_every",
    "long_name_share",
)
_FLAGS = ("running", "oauth_keys_revoked", "undocumented_reads", "workbooks_migrating")
_COUNTS = ("fail_next", "fail_next_create", "lose_next_create", "fail_next_delete")


class SettingsError(ValueError):
    """A switch that makes no sense (the admin API answers 422)."""


class GatorMail:
    """The integration worker and the mailshot producer, one thread for both."""

    def __init__(self, world: World, step: float = 0.05) -> None:
        self.world = world
        self.settings = IntegrationSettings()
        self._step = step
        self._current: int | None = None
        self._started = 0.0
        self._needs: float | None = None  # seconds the head needs in all, once it has started
        self._looks = 0  # steps taken: a test waits on this to know the worker has looked
        self._last_new = time.time()
        self._wake = threading.Condition()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="sandbox-gatormail", daemon=True)

    # control ----------------------------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        with self._wake:
            self._stopping = True
            self._wake.notify_all()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def update(self, changes: dict[str, Any]) -> dict[str, Any]:
        """Merge switches after checking every one (SettingsError names a bad one)."""
        checked: dict[str, Any] = {}
        for key, value in changes.items():
            if key in _FLAGS:
                if not isinstance(value, bool):
                    raise SettingsError(f"{key} must be true or false")
            elif key in _NUMBERS:
                if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                    raise SettingsError(f"{key} must be a number, 0 or more")
                value = float(value)
            elif key in _COUNTS:
                if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                    raise SettingsError(f"{key} must be a whole number, 0 or more")
            else:
                raise SettingsError(f"unknown switch {key!r}")
            checked[key] = value
        with self.world.lock:
            for key, value in checked.items():
                setattr(self.settings, key, value)
            if "new_every" in checked:
                self._last_new = time.time()
        with self._wake:
            self._wake.notify_all()
        return self.snapshot()

    def snapshot(self) -> dict[str, Any]:
        with self.world.lock:
            data = self.world.mailshots
            return {
                **asdict(self.settings),
                "queue": [m.id for m in data.queue()],
                "syncing": self._current,
                "syncing_needs": self._needs if self._current is not None else None,
                "looks": self._looks,
                "campaigns": len(data.campaigns),
                "mailshots": len(data.mailshots),
            }

    def take_write_fault(self, kind: str) -> bool:
        """Use up one Workbooks write fault of `kind` ("fail_next_create", ...)."""
        with self.world.lock:
            left = getattr(self.settings, kind)
            if left > 0:
                setattr(self.settings, kind, left - 1)
                return True
            return False

    # the worker -------------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._wake:
                self._wake.wait(timeout=self._step)
                if self._stopping:
                    return
            self.step(time.time())

    def step(self, now: float) -> None:
        """One look at the queue: produce, start, stall, fail or finish the head."""
        with self.world.lock:
            self._looks += 1
            self._look(now)

    def _look(self, now: float) -> None:
        """Under the world lock: produce, start, stall, fail or finish the head."""
        self._produce(now)
        data = self.world.mailshots
        if not self.settings.running:
            return
        key = data.api_keys.get(1)
        if key is not None and not key.usable(now):
            return  # the integration cannot read Workbooks at all
        queue = data.queue()
        if not queue:
            self._current = None
            return
        head = queue[0]
        if head.id != self._current:
            self._current, self._started, self._needs = head.id, now, None
            if head.status != SYNCING:
                head.status = SYNCING
                self._touch(head, now)
        name = head.name or ""
        if gatormail_length(name) > NAME_LIMIT:
            return  # refused by Spotler and tried again forever: the queue stalls here
        if not name.strip():
            self._fail(head, now, "Spotler refused the campaign: a campaign name is required.")
        elif self.settings.fail_next > 0:
            self.settings.fail_next -= 1
            self._fail(head, now, "Spotler answered HTTP 500 while creating the campaign.")
        else:
            audience = data.audience(head.mailing_list_id)
            s = self.settings
            needed = s.seconds_per_mailshot + audience * s.seconds_per_record * s.slow_factor
            self._needs = needed
            if now - self._started >= needed:
                data.arrive(head, int(now * 1000))
                head.status = SYNCED
                self._touch(head, now)
                self._current = None

    def _fail(self, shot: Mailshot, now: float, message: str) -> None:
        shot.status = FAILED
        shot.sync_error = message
        self._touch(shot, now)
        self._current = None

    def _touch(self, shot: Mailshot, now: float) -> None:
        shot.lock_version += 1
        shot.updated_at = int(now)
        self.world.workbooks_changed(MAILSHOT_PATH, [shot])

    def _produce(self, now: float) -> None:
        every = self.settings.new_every
        if every <= 0 or now - self._last_new < every:
            return
        self._last_new = now
        data = self.world.mailshots
        # Now and then someone synchronises a mailshot whose name is too long (the 100-character
        # limit of Spotler Mail+).
        long_name = LONG_NAME if data.rng.random() < self.settings.long_name_share else None
        shot = data.new_mailshot(int(now), name=long_name)
        shot.status = QUEUED
        self.world.workbooks_changed(MAILSHOT_PATH, [shot])


MIGRATING = (
    "A new release of software has been deployed and the selected database has not yet been "
    "upgraded. Try again soon."
)


def write_fault(gatormail: GatorMail, request: Any, answer: Any) -> Any:
    """A faulted (or account-dependent) answer for a Workbooks request, or None.

    `workbooks_migrating` answers every request 403 `database_being_migrated`; without
    `undocumented_reads`, `admin/api_keys.api` does not exist (404). On the mailshot endpoint:
    `fail_next_create`/`fail_next_delete` refuse the write (HTTP 500, nothing saved);
    `lose_next_create` saves it and then loses the answer (HTTP 502), so the client cannot know
    whether the copy exists without looking. `answer(request)` is the real handler.
    """
    from urllib.parse import parse_qsl

    from syncmonitor.sandbox.workbooks_api import failure

    with gatormail.world.lock:
        migrating = gatormail.settings.workbooks_migrating
        undocumented = gatormail.settings.undocumented_reads
    if migrating:
        return failure(403, MIGRATING, "database_being_migrated")
    if not undocumented and request.path.endswith("/admin/api_keys.api"):
        return failure(404, f"There is no API endpoint at {request.path}.")
    if not request.path.endswith("/" + MAILSHOT_PATH + ".api"):
        return None
    pairs = request.query_pairs()
    if request.body:
        pairs += parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True)
    method = dict(pairs).get("_method", request.method).upper()
    if method != "PUT":
        return None
    methods = {v.upper() for k, v in pairs if k == "__method[]"}
    if "POST" in methods and gatormail.take_write_fault("fail_next_create"):
        return failure(500, "Sandbox fault: the mailshot could not be created (nothing saved).")
    if "POST" in methods and gatormail.take_write_fault("lose_next_create"):
        answer(request)  # saved, but the client never hears so
        return failure(502, "Sandbox fault: the answer to this create was lost on the way.")
    if "DELETE" in methods and gatormail.take_write_fault("fail_next_delete"):
        return failure(500, "Sandbox fault: the mailshot could not be deleted (nothing changed).")
    return None
