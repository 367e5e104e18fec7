"""One syncing process per data folder.

Two Sync Monitors pointed at the same cache (two windows, the GUI and a scheduled
`syncmonitor sync --once`) must not both sync: they would write the same records twice and race
for the watermark. An OS file lock is released by the OS when the process dies, so a crash never
leaves a stale lock behind.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from types import TracebackType
from typing import Protocol

from syncmonitor.app.errors import UserFacingError


class AlreadySyncingError(UserFacingError):
    """Another process holds the sync lock for this data folder."""

    title = "Another Sync Monitor is syncing"


class Lock(Protocol):
    """One syncer per store: a file lock here, an advisory lock on a team store
    (engine/team/lock.py). Re-entrant within one process."""

    def acquire(self) -> None: ...

    def release(self) -> None: ...


class SyncLock:
    """A non-blocking exclusive lock on a file in the data folder."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None
        self._depth = 0

    def acquire(self) -> None:
        if self._depth:
            self._depth += 1
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            _lock(fd)
        except OSError as exc:
            os.close(fd)
            raise AlreadySyncingError(
                f"Another Sync Monitor process is syncing the data in {self.path.parent}.",
                "Wait for it to finish, or close the other window or command.",
            ) from exc
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd
        self._depth = 1

    def release(self) -> None:
        if self._depth > 1:
            self._depth -= 1
            return
        self._depth = 0
        if self._fd is not None:
            _unlock(self._fd)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> SyncLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


if sys.platform == "win32":  # pragma: no cover - exercised on Windows CI
    import msvcrt

    def _lock(fd: int) -> None:
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
