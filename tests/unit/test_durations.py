"""One wording for durations, shared by the window and the command line."""

from __future__ import annotations

import pytest

from syncmonitor.domain.durations import duration_text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, "—"),
        (0.04, "0.0 s"),
        (0.4, "0.4 s"),
        (9.94, "9.9 s"),
        (9.96, "10 s"),
        (12.0, "12 s"),
        (59.4, "59 s"),
        (59.6, "1 min 00 s"),
        (185, "3 min 05 s"),
        (3599.4, "59 min 59 s"),
        (3600, "1 h 00 min"),
        (4800, "1 h 20 min"),
    ],
)
def test_a_duration_reads_the_same_everywhere(seconds: float | None, text: str) -> None:
    assert duration_text(seconds) == text


def test_the_window_can_leave_an_unknown_duration_blank() -> None:
    assert duration_text(None, unknown="") == ""
