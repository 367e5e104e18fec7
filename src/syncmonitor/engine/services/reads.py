"""One bounded read of the cache, timed: a read slower than a few frames is logged."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError

from syncmonitor.store.postgres import StoreUnreachableError, unreachable

__all__ = ["StoreUnreachableError", "timed_read"]

log = logging.getLogger(__name__)

SLOW_QUERY_S = 0.05


@contextmanager
def timed_read(engine: Engine, what: str) -> Iterator[Connection]:
    """A connection for one bounded read; a read slower than SLOW_QUERY_S is logged.

    A team store that refuses or does not answer the connection raises StoreUnreachableError:
    a watching desktop's pages keep what they show (the status bar says the store is away).
    """
    started = time.perf_counter()
    try:
        connection = engine.connect()
    except OperationalError as exc:
        if engine.dialect.name == "postgresql":
            raise unreachable(engine, exc) from exc
        raise  # the SQLite cache: its faults are told as such where they are caught
    with connection as conn:
        yield conn
    elapsed = time.perf_counter() - started
    if elapsed > SLOW_QUERY_S:
        # A developer's timing, not a user's event: at the default level the log holds what
        # people did and what happened (`syncmonitor --verbose` shows these).
        log.debug("Reading %s took %.0f ms", what, elapsed * 1000)
