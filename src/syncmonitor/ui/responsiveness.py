"""Keeping the GUI thread free while background work runs: the garbage collector.

Python's cyclic collector stops every thread, the GUI's included, while it runs, and a full
collection walks every tracked object. Freezing what start-up created (modules, Qt wrappers,
SQLAlchemy metadata: all live as long as the app) takes them out of every later walk, so the
collections a sync triggers only look at the sync's own objects.

The thresholds stay at Python's defaults on purpose. Collecting less often looked attractive while
other causes (CPU contention, TLS set-up on the loop) were still inflating the stalls, but it kept
httpx's streamed responses, which sit in a reference cycle with their stream, alive until the rare
full collection: 300 pages of about 1 MB each, 266 MB of peak memory. Measured with the benchmark's
5 ms heartbeat over a 300,000-state sync: longest stall 27 ms, peak RSS 244 MB.
"""

from __future__ import annotations

import gc


def tune_for_interactive_use() -> None:
    """Call once, after start-up has created the long-lived objects."""
    gc.collect()
    gc.freeze()
