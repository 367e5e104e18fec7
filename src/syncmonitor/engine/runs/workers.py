"""The thread that writes sync results into the cache.

One thread for every cache write of a sync: SQLite takes one writer at a time anyway, and a
single thread keeps pages in order. It runs at a lower scheduling priority where the OS allows a
per-thread one (Linux), so that on a busy machine the window's thread is scheduled first: in the
benchmark, the writer competing for the CPU at normal priority stalled the GUI thread for up to
70 ms at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

NICENESS = 10


def _lower_priority() -> None:
    if sys.platform.startswith("linux"):
        # On Linux a thread is a schedulable task of its own: setpriority on its id nices it alone.
        with contextlib.suppress(OSError, AttributeError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICENESS)


@functools.cache
def cache_writer() -> ThreadPoolExecutor:
    """The single background thread for cache writes."""
    return ThreadPoolExecutor(
        max_workers=1, thread_name_prefix="cache-writer", initializer=_lower_priority
    )


async def in_writer(func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run `func` on the cache-writer thread and wait for it without blocking the loop."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(cache_writer(), functools.partial(func, *args, **kwargs))
