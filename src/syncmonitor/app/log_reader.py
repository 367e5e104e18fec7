"""Reading the app's log file for the in-app log view: the tail, entries, a level filter. No Qt."""

from __future__ import annotations

import logging
import logging.handlers
import re
from dataclasses import dataclass
from pathlib import Path

TAIL_BYTES = 1_000_000  # the newest ~5,000 lines: enough to see what happened today
_START = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (DEBUG|INFO|WARNING|ERROR|CRITICAL) ")
LEVELS = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "ERROR": 40, "CRITICAL": 50}


@dataclass(frozen=True)
class LogEntry:
    """One log record, with its traceback lines if it has any."""

    level: str
    text: str

    @property
    def levelno(self) -> int:
        return LEVELS.get(self.level, 20)


def current_log_file() -> Path | None:
    """The file the app logs to (the root logger's rotating file handler)."""
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.FileHandler):
            return Path(handler.baseFilename)
    return None


def read_entries(path: Path, *, tail_bytes: int = TAIL_BYTES) -> list[LogEntry]:
    """The newest entries of the log, oldest first (runs on a worker thread)."""
    try:
        with path.open("rb") as handle:
            handle.seek(0, 2)
            size = handle.tell()
            handle.seek(max(0, size - tail_bytes))
            data = handle.read()
    except OSError:
        return []
    lines = data.decode("utf-8", errors="replace").splitlines()
    if size > tail_bytes and lines:
        lines = lines[1:]  # the first line was cut in the middle
    entries: list[LogEntry] = []
    level, chunk = "", list[str]()
    for line in lines:
        match = _START.match(line)
        if match:
            if chunk:
                entries.append(LogEntry(level or "INFO", "\n".join(chunk)))
            level, chunk = match.group(1), [line]
        elif chunk:
            chunk.append(line)  # a traceback or a multi-line message
    if chunk:
        entries.append(LogEntry(level or "INFO", "\n".join(chunk)))
    return entries


def filter_entries(entries: list[LogEntry], minimum: int) -> list[LogEntry]:
    return [e for e in entries if e.levelno >= minimum]
