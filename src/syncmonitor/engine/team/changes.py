"""Pushed news of a team store's changes: every commit on a team store says NOTIFY, and a
watching desktop LISTENs, so its pages re-read at once instead of at the next poll.

The notification carries nothing (the desktop re-reads what it shows); a desktop that misses one
(its listening connection dropped) still sees the change at its next poll (engine/team/watch.py).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import psycopg
from sqlalchemy.engine import URL

from syncmonitor.store.postgres import CHANGES_CHANNEL as CHANNEL

log = logging.getLogger(__name__)


class ChangeListener:
    """A thread holding one LISTEN connection; calls `on_change` (from that thread) per commit
    anyone makes on the store (or per notice on `channel`). Reconnects by itself, and calls
    `on_change` once after each (re)connection, for what was sent while it was away; `stop()`
    ends it within a second."""

    def __init__(self, url: URL, on_change: Callable[[], None], channel: str = CHANNEL) -> None:
        self._args = url.translate_connect_args(database="dbname", username="user")
        self._on_change = on_change
        self._channel = channel
        self._stop = threading.Event()
        self.connections = 0  # how many times it (re)connected (tests)
        self._thread = threading.Thread(target=self._run, name=f"listen-{channel}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def join(self, timeout: float = 2.0) -> None:
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with psycopg.connect(**self._args, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f"LISTEN {self._channel}")
                    self.connections += 1
                    self._on_change()  # what was committed while not listening
                    while not self._stop.is_set():
                        if any(True for _ in conn.notifies(timeout=1.0, stop_after=1)):
                            self._on_change()
            except psycopg.Error:
                log.debug("the team store's change channel dropped; listening again", exc_info=True)
                self._stop.wait(2.0)
