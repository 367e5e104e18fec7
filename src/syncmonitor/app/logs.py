"""Logging to a rotating file in the log folder, with secrets scrubbed on the way out.

Nothing in the app logs a secret on purpose; the filter is the second line of defence for the
things that could carry one by accident (a URL with `api_key=`, an `Authorization` header echoed
in an exception). httpx logs every request URL at INFO, so it is held to WARNING.
"""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import re
import sys

from syncmonitor.app.paths import AppPaths

_SECRET_PATTERNS = [
    (re.compile(r"(api_key=)[^&\s'\"]+", re.IGNORECASE), r"\1[redacted]"),
    (re.compile(r"(Bearer\s+)[A-Za-z0-9._~+/=-]+", re.IGNORECASE), r"\1[redacted]"),
    (re.compile(r"(accessToken[\"']?\s*[:=]\s*[\"']?)[^\s,'\"&]+", re.IGNORECASE), r"\1[redacted]"),
    (re.compile(r"(oauth_signature=)[^&\s'\"]+", re.IGNORECASE), r"\1[redacted]"),
]


def redact(text: str) -> str:
    """Text with anything that looks like a credential replaced."""
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFormatter(logging.Formatter):
    """A formatter that scrubs credentials from the final text, tracebacks included."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def setup_logging(paths: AppPaths, *, verbose: bool = False, console: bool = False) -> None:
    """Log to `syncmonitor.log` (rotated at 2 MB, 5 kept), user-readable only."""
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for handler in list(root.handlers):
        if getattr(handler, "_syncmonitor", False):
            root.removeHandler(handler)
    fmt = RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    unwritable: OSError | None = None
    try:
        paths.ensure()
        file_handler: logging.Handler = logging.handlers.RotatingFileHandler(
            paths.log_file, maxBytes=2_000_000, backupCount=5, encoding="utf-8"
        )
    except OSError as exc:
        # A read-only home (a mounted backup, a locked-down profile): the commands that only
        # read still work; warnings and errors go to stderr instead of the log file.
        file_handler = logging.StreamHandler(sys.stderr)
        file_handler.setLevel(logging.WARNING)
        unwritable = exc
    else:
        with contextlib.suppress(OSError):
            paths.log_file.chmod(0o600)
    file_handler.setFormatter(fmt)
    file_handler._syncmonitor = True  # type: ignore[attr-defined]
    root.addHandler(file_handler)
    if unwritable is not None:
        logging.getLogger(__name__).debug("no log file: %s", unwritable)
    if console and verbose:
        stream = logging.StreamHandler(sys.stderr)
        stream.setFormatter(fmt)
        stream._syncmonitor = True  # type: ignore[attr-defined]
        root.addHandler(stream)
    for noisy in ("httpx", "httpcore", "asyncio", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
