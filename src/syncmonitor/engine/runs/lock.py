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
from typing import Any, Protocol

from syncmonitor.app.errors import UserFacingError


class AlreadySyncingError(UserFacingError):
    """Another process holds the sync lock for this data folder."""

    title = "Another Sync Monitor is syncing"


def sync_in_progress(path: Path) -> bool:
    """Whether a process holds the sync lock of this data folder now (a run marked running
    while nobody holds it was interrupted: killed, or its computer lost power)."""
    try:  # read-write as SyncLock opens it (Windows locks need it); read-only on a read-only disk
        fd = os.open(path, os.O_RDWR)
    except OSError:
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            return False  # no lock file: nobody ever synced here, or it cannot be read
    try:
        _lock(fd)
    except OSError:
        return True
    else:
        _unlock(fd)
        return False
    finally:
        os.close(fd)


def mark_interrupted(runs: list[dict[str, Any]], lock_path: Path) -> list[dict[str, Any]]:
    """Runs as a read-only command shows them: one marked running while nobody holds the sync
    lock was interrupted (killed, or the computer stopped), and says so. The cache is not
    changed (the next sync, daemon or window closes such runs for good)."""
    if not any(r.get("outcome") == "running" for r in runs) or sync_in_progress(lock_path):
        return runs
    shown = []
    for run in runs:
        if run.get("outcome") == "running":
            run = {
                **run,
                "outcome": "interrupted",
                "error_title": "The app stopped during this run",
                "error_message": "The process running it ended before the run did (it was "
                "killed, or the computer stopped). Everything it had committed is kept; the "
                "next run continues from there.",
            }
        shown.append(run)
    return shown


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
