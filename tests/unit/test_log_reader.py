"""The log view's reader: entries with their tracebacks, the tail of a big file, the filter."""

from __future__ import annotations

from pathlib import Path

from syncmonitor.app.log_reader import filter_entries, read_entries

LOG = """2026-11-22 09:00:00,001 INFO syncmonitor.engine.runs.service: Run 1 started (full, forced)
2026-11-22 09:00:01,002 WARNING syncmonitor.engine.runs.service: Run 1 failed in 1.0 s
2026-11-22 09:00:02,003 ERROR syncmonitor.ui.app: Unexpected
Traceback (most recent call last):
  File "x.py", line 1, in <module>
ValueError: boom
2026-11-22 09:00:03,004 DEBUG syncmonitor.connectors.http.client: GET
"""


def test_entries_keep_their_tracebacks_and_filter_by_level(tmp_path: Path) -> None:
    path = tmp_path / "syncmonitor.log"
    path.write_text(LOG)
    entries = read_entries(path)
    assert [e.level for e in entries] == ["INFO", "WARNING", "ERROR", "DEBUG"]
    assert entries[2].text.endswith("ValueError: boom")
    assert [e.level for e in filter_entries(entries, 30)] == ["WARNING", "ERROR"]
    assert len(filter_entries(entries, 10)) == 4


def test_only_the_tail_of_a_big_log_is_read_and_no_half_line_shows(tmp_path: Path) -> None:
    path = tmp_path / "syncmonitor.log"
    line = "2026-11-22 09:00:00,001 INFO syncmonitor.x: " + "y" * 80 + "\n"
    path.write_text(line * 20_000)
    entries = read_entries(path, tail_bytes=10_000)
    assert 0 < len(entries) <= 10_000 // len(line) + 1
    assert all(e.text == line.rstrip("\n") for e in entries)


def test_a_missing_log_is_empty(tmp_path: Path) -> None:
    assert read_entries(tmp_path / "none.log") == []
