"""What the command line does so that no argument and no remote text can harm the terminal.

- `SafeStream` wraps stdout and stderr: control characters (ESC, BEL, a carriage return, the
  C1 controls, bidirectional overrides such as RLO) and undecodable bytes from remote or
  imported text are written as visible `\\u001b`-style escapes, so a sequence name cannot set
  the terminal's title, colours or clipboard, or reorder what a person reads. The same escape is
  valid inside a JSON string, so `--json` output means exactly the same after it.
- `check_arguments` refuses an argument holding bytes this terminal's encoding cannot decode.
- `bounded_int` is an argparse type for a whole number within limits SQLite can store.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable, Sequence
from typing import TextIO

# C0 controls but newline and tab, DEL, C1 controls, bidi embeddings, overrides and isolates,
# and lone surrogates (an undecodable byte read with surrogateescape).
_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


def terminal_safe(text: str) -> str:
    """`text` with every character that could steer a terminal written as `\\uXXXX`."""
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


class SafeStream:
    """A text stream that writes `terminal_safe` text to the stream it wraps."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(terminal_safe(text))
        return len(text)

    def __getattr__(self, name: str) -> object:  # flush, fileno, isatty, encoding...
        return getattr(self._stream, name)


def check_arguments(args: Sequence[str]) -> str | None:
    """A usage message for the first argument that is not valid text, or None."""
    for position, arg in enumerate(args, 1):
        if any("\ud800" <= c <= "\udfff" for c in arg):
            return (
                f"argument {position} ({terminal_safe(arg)}) holds bytes that are not valid "
                "text in this terminal's encoding; type it again, or set the terminal to UTF-8."
            )
    return None


def bounded_int(low: int, high: int, *, clamp_low: bool = False) -> Callable[[str], int]:
    """An argparse type: a whole number from `low` to `high` (below `low`: `low` if
    `clamp_low`, else refused). Past `high` it is refused with the range named."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value > high:
            raise argparse.ArgumentTypeError(f"{text} is more than the {high:,} allowed")
        if value < low:
            if clamp_low:
                return low
            raise argparse.ArgumentTypeError(f"{text} is less than {low}")
        return value

    return parse
