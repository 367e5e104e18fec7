"""What went wrong with the cache file, told as what it is: damaged, read-only, or a full disk.

SQLite reports all three as a `sqlite3.DatabaseError` (wrapped by SQLAlchemy), which would reach
a person as "Unexpected error ... Please report this", or worse as advice to move a healthy file
aside. `explain()` turns such an error into a `CacheError` that says what happened, what was
kept, and what to do; the command line, the sync engine and the window all use it.
"""

from __future__ import annotations

import errno
import sqlite3
from datetime import datetime
from pathlib import Path

from sqlalchemy.exc import DBAPIError

from syncmonitor.app.errors import UserFacingError


class CacheError(UserFacingError):
    """The cache cannot be opened."""

    title = "The local cache cannot be opened"


class CacheDamagedError(CacheError):
    """Pages of the cache file are not what SQLite wrote (a disk fault, a copy cut short)."""

    title = "The local cache is damaged"


class CacheReadOnlyError(CacheError):
    """The cache, or its folder, cannot be written to; it is readable and fine."""

    title = "The local cache is read-only"


class DiskFullError(CacheError):
    """The disk holding the cache is full."""

    title = "The disk is full"


_DAMAGED = ("malformed", "not a database", "file is encrypted", "disk i/o error", "corrupt")
_READ_ONLY = ("readonly", "read-only", "unable to open database file")
_FULL = ("database or disk is full", "no space left")


def backups(path: Path) -> list[Path]:
    """Copies of the cache the app made (before each schema upgrade), newest first."""
    try:
        found = list(path.parent.glob(f"{path.name}.*.bak"))
    except OSError:
        return []
    return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)


def damaged(path: Path, detail: str) -> CacheDamagedError:
    copies = backups(path)
    if copies:
        newest = copies[0]
        when = datetime.fromtimestamp(newest.stat().st_mtime).strftime("%d %b %Y %H:%M")
        kept = (
            f"Sync Monitor keeps a copy from before its last upgrade: {newest} ({when}). Quit "
            f"Sync Monitor, rename {path.name} to {path.name}.damaged, and rename that copy to "
            f"{path.name}: the next sync brings it up to date. Or "
        )
    else:
        kept = "Sync Monitor has no older copy of it. Quit Sync Monitor and "
    return CacheDamagedError(
        f"{path} is damaged: parts of it are not what Sync Monitor wrote ({detail}). This "
        "comes from a disk fault, a copy or sync tool (such as a cloud drive) that changed the "
        "file, or a crash of the computer while writing.",
        f"{kept}rename {path.name} to {path.name}.damaged (keep it: history that only it holds "
        "may be recoverable), then start again: the next sync rebuilds the cache from Outreach "
        "and Workbooks.",
    )


def read_only(path: Path, detail: str = "") -> CacheReadOnlyError:
    said = f" ({detail})" if detail else ""
    return CacheReadOnlyError(
        f"Sync Monitor cannot write to {path.parent}{said}. The cache itself is fine: commands "
        "that only read it (status, runs, people show, queue) still work.",
        "To sync or import, make that folder writable again (is the disk mounted read-only, or "
        "the folder owned by another user?), or set SYNCMONITOR_HOME to a writable folder.",
    )


def disk_full(path: Path) -> DiskFullError:
    return DiskFullError(
        f"The disk holding {path.parent} is full, so Sync Monitor could not save what it read. "
        "Everything saved before that is kept and consistent: the run stopped cleanly, and the "
        "next one continues from there.",
        "Free some space on that disk (or set SYNCMONITOR_HOME to a folder on another disk), "
        "then sync again.",
    )


def explain(exc: BaseException, path: Path) -> CacheError | None:
    """The CacheError an exception from SQLite stands for, or None when it is not one."""
    if isinstance(exc, CacheError):
        return exc
    original = exc.orig if isinstance(exc, DBAPIError) else exc
    if isinstance(original, OSError):
        if original.errno == errno.ENOSPC:
            return disk_full(path)
        if original.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            return read_only(path, original.strerror or "")
        return None
    if not isinstance(original, sqlite3.DatabaseError):
        return None
    text = str(original).lower()
    if any(words in text for words in _FULL):
        return disk_full(path)
    if any(words in text for words in _READ_ONLY):
        return read_only(path, str(original))
    if any(words in text for words in _DAMAGED):
        return damaged(path, str(original))
    return None
