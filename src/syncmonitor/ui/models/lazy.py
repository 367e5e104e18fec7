"""A table model that reads its rows from an engine service one keyset window at a time.

The view asks for more rows as the person scrolls (canFetchMore/fetchMore), so the first paint costs
one window however many rows match. Every read runs in a worker thread and its rows arrive through a
queued signal: a search for a rare word may scan the whole table and a refresh re-reads every loaded
row, and neither may freeze the window. A newer query makes older results stale (a generation
number). A refresh updates rows in place, so the view keeps its scroll position; the page
re-selects the selected row by its key.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import threading
import weakref
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as futures_wait
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)

log = logging.getLogger(__name__)

RowT = TypeVar("RowT")
ROW_ROLE = int(Qt.ItemDataRole.UserRole) + 1  # data(index, ROW_ROLE) is the row object itself

AnyIndex = QModelIndex | QPersistentModelIndex


@dataclass
class _Batch(Generic[RowT]):
    """What a background read brings back."""

    rows: list[RowT]
    exhausted: bool
    extra: Any


class _Router(QObject):
    """Carries workers' results back to the GUI thread (a queued signal) and hands each to its
    model, if that model still exists.

    Worker threads never hold a reference to a model or any other QObject: if a worker dropped
    the last reference, PySide would destroy the Qt object on the wrong thread and its timers
    would fire into freed memory (seen as crashes in the test suite). So a job is a plain
    function, and models are found again by key, through weak references, on the GUI thread.
    """

    done = Signal(int, int, object, str)  # model key, generation, _Batch or exception, kind

    def __init__(self) -> None:
        super().__init__()
        # Lazy models, and the panes that read through `read_in_background`.
        self.models: weakref.WeakValueDictionary[int, Any] = weakref.WeakValueDictionary()
        self.done.connect(self._deliver)

    def _deliver(self, key: int, generation: int, result: object, kind: str) -> None:
        model = self.models.get(key)
        if model is not None:
            model._on_read(generation, result, kind)


_ROUTER: _Router | None = None
_KEYS = itertools.count(1)


def _router() -> _Router:
    """The one router, created on the GUI thread by the first model."""
    global _ROUTER
    if _ROUTER is None:
        _ROUTER = _Router()
    return _ROUTER


_NEW, _REFRESH, _MORE = "new", "refresh", "more"


# Plain Python threads, not QThreadPool + QRunnable: a Python-subclassed QRunnable is deleted by
# Qt on the worker thread when it finishes, which crashed the interpreter under load (seen in the
# test suite). A queued signal still carries each result back to the GUI thread.
_EXECUTOR = ThreadPoolExecutor(max_workers=2, thread_name_prefix="cache-read")
# Reads that may take seconds over a big cache and nobody waits for (the counts beside the People
# filters' choices, the named views' counts) queue on their own thread, so they never hold up
# the list, a scroll or a person's detail behind them.


def _lower_priority() -> None:
    """The slow lane's thread yields the CPU to the GUI and the list's readers (Linux: a thread's
    nice value is its own; elsewhere this does nothing)."""
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)


_SLOW_EXECUTOR = ThreadPoolExecutor(
    max_workers=1, thread_name_prefix="cache-read-slow", initializer=_lower_priority
)
_PENDING: set[Future[None]] = set()
_SLOW_PENDING: set[Future[None]] = set()
_PENDING_LOCK = threading.Lock()


def _read(job: Callable[[], Any], key: int, generation: int, kind: str, to: _Router) -> None:
    try:
        result = job()
    except Exception as exc:  # delivered to the GUI thread, which reports it
        result = exc
    with contextlib.suppress(RuntimeError):  # the app is shutting down
        to.done.emit(key, generation, result, kind)


def _submit(
    job: Callable[[], Any], key: int, generation: int, kind: str, *, slow: bool = False
) -> None:
    executor = _SLOW_EXECUTOR if slow else _EXECUTOR
    future = executor.submit(_read, job, key, generation, kind, _router())
    with _PENDING_LOCK:
        _PENDING.add(future)
        if slow:
            _SLOW_PENDING.add(future)
    future.add_done_callback(_forget)


def _forget(future: Future[None]) -> None:
    with _PENDING_LOCK:
        _PENDING.discard(future)
        _SLOW_PENDING.discard(future)


def background_reader(owner: object) -> int:
    """Register `owner` for `read_in_background`; returns its key. The owner's
    `_on_read(generation, result, kind)` gets each result (or exception) on the GUI thread,
    unless the owner was deleted meanwhile."""
    key = next(_KEYS)
    _router().models[key] = owner
    return key


def read_in_background(
    job: Callable[[], Any], key: int, generation: int, *, slow: bool = False
) -> None:
    """Run `job` on a reader thread and hand its result to the owner registered as `key`
    (`slow`: on the thread of the reads nobody waits for, behind none of the others)."""
    _submit(job, key, generation, _NEW, slow=slow)


def wait_for_reads(msecs: int = 5000, *, slow: bool = True) -> bool:
    """Wait for background reads to finish (shutdown, tests); False if some are still running
    (`slow=False`: only the reads on the list's threads, not the slow lane's counts)."""
    with _PENDING_LOCK:
        pending = set(_PENDING) if slow else set(_PENDING) - _SLOW_PENDING
    _done, not_done = futures_wait(pending, timeout=msecs / 1000)
    return not not_done


class LazyTableModel(QAbstractTableModel, Generic[RowT]):
    """Rows read window by window; subclasses say how to read a window and how to show a row."""

    refreshed = Signal()  # a new query or a refresh has put its rows in place

    headers: tuple[str, ...] = ()

    def __init__(self, page_size: int = 200, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.page_size = page_size
        self._source: Any = None  # the engine service the rows are read from
        self._rows: list[RowT] = []
        self._exhausted = True
        self._generation = 0  # bumps on every new query, so a stale result is dropped
        self.loading = False  # a new query is being read
        self.fetching = False  # the next window is being read
        self._key = next(_KEYS)
        _router().models[self._key] = self

    # What a subclass provides -----------------------------------------------------------------

    def query(self) -> Any:
        """What the rows are read for (a search text, a person), captured when a read starts."""
        return None

    # The two readers run on a worker thread: they are static so that they cannot touch the
    # model (or keep it alive) from there. `source` is the engine service set by set_source.
    @staticmethod
    def read_window(source: Any, query: Any, after: Any, limit: int) -> list[Any]:
        """Up to `limit` rows for `query` behind `after` (None: from the start)."""
        raise NotImplementedError

    @staticmethod
    def read_extra(source: Any, query: Any) -> Any:
        """Anything else a new query or a refresh needs (a count), read in the same worker."""
        return None

    def apply_extra(self, extra: Any) -> None:
        """Put read_extra's result in place (on the GUI thread)."""

    def cell(self, row: RowT, column: int, role: int) -> Any:
        """What the view shows for `role` in `column` of `row` (None: nothing)."""
        raise NotImplementedError

    # Loading ------------------------------------------------------------------------------------

    @property
    def source(self) -> Any:
        """The engine service the rows are read from (None: nothing to read yet)."""
        return self._source

    def set_source(self, source: Any) -> None:
        self._source = source
        self.reload()

    def reload(self) -> None:
        """Start over from the first window (a new search, another person)."""
        if self._source is None:
            self.clear()
            return
        self._start(self.page_size, refresh=False)

    def refresh(self) -> None:
        """Re-read the rows already shown (after a sync) without resetting the view."""
        if self._source is not None:
            self._start(max(len(self._rows), self.page_size), refresh=True)

    def clear(self) -> None:
        """No rows, and nothing to fetch."""
        self._generation += 1
        self.loading = self.fetching = False
        self.beginResetModel()
        self._rows = []
        self._exhausted = True
        self.endResetModel()

    def _start(self, target: int, *, refresh: bool) -> None:
        assert self._source is not None
        self._generation += 1
        self.loading = not refresh
        self.fetching = False
        source, query, page = self._source, self.query(), self.page_size
        cls = type(self)
        read_window, read_extra = cls.read_window, cls.read_extra

        def job() -> _Batch[Any]:
            rows: list[Any] = []
            while True:
                limit = min(page, target - len(rows))
                window = read_window(source, query, rows[-1] if rows else None, limit)
                rows.extend(window)
                if len(window) < limit or len(rows) >= target:
                    break
            extra = read_extra(source, query)
            return _Batch(rows, len(window) < limit, extra)

        _submit(job, self._key, self._generation, _REFRESH if refresh else _NEW)

    def _on_read(self, generation: int, result: object, kind: str) -> None:
        if generation != self._generation:
            return  # a newer query replaced this one
        self.loading = self.fetching = False
        if isinstance(result, BaseException):
            from syncmonitor.engine.services.reads import StoreUnreachableError  # on failure only

            if isinstance(result, StoreUnreachableError):
                # A watching desktop's team store went away during the read: the list keeps the
                # rows it shows, the status bar says the store cannot be reached, and the read
                # after it is back fills the list in.
                log.warning("%s: %s", result.title, result.message)
                return
            raise result  # reaches sys.excepthook: logged and shown
        assert isinstance(result, _Batch)
        if kind == _MORE:
            self._append(result)
            return
        self.apply_extra(result.extra)
        if kind == _REFRESH:
            self._replace_in_place(result.rows, exhausted=result.exhausted)
        else:
            self.beginResetModel()
            self._rows = result.rows
            self._exhausted = result.exhausted
            self.endResetModel()
        self.refreshed.emit()

    def _replace_in_place(self, rows: list[RowT], *, exhausted: bool) -> None:
        old, new = len(self._rows), len(rows)
        if new < old:
            self.beginRemoveRows(QModelIndex(), new, old - 1)
            self._rows = self._rows[:new]
            self.endRemoveRows()
        elif new > old:
            self.beginInsertRows(QModelIndex(), old, new - 1)
            self._rows = self._rows + rows[old:]
            self.endInsertRows()
        self._rows = rows
        self._exhausted = exhausted
        if new:
            last = self.index(new - 1, self.columnCount() - 1)
            self.dataChanged.emit(self.index(0, 0), last)

    def canFetchMore(self, parent: AnyIndex = QModelIndex()) -> bool:  # noqa: B008
        return (
            not parent.isValid()
            and not self._exhausted
            and not self.loading
            and not self.fetching
            and self._source is not None
        )

    def fetchMore(self, parent: AnyIndex = QModelIndex()) -> None:  # noqa: B008
        """Read the next window in the worker; the rows appear when it is back."""
        if not self.canFetchMore(parent):
            return
        assert self._source is not None
        self.fetching = True
        source, query, page = self._source, self.query(), self.page_size
        after = self._rows[-1] if self._rows else None
        read_window = type(self).read_window

        def job() -> _Batch[Any]:
            window = read_window(source, query, after, page)
            return _Batch(window, len(window) < page, None)

        _submit(job, self._key, self._generation, _MORE)

    def _append(self, batch: _Batch[RowT]) -> None:
        self._exhausted = batch.exhausted
        if batch.rows:
            start = len(self._rows)
            self.beginInsertRows(QModelIndex(), start, start + len(batch.rows) - 1)
            self._rows.extend(batch.rows)
            self.endInsertRows()

    # Access -------------------------------------------------------------------------------------

    def row_at(self, row: int) -> RowT | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def find_row(self, match: Callable[[RowT], bool]) -> int | None:
        """The position of the first loaded row that `match`es."""
        return next((i for i, r in enumerate(self._rows) if match(r)), None)

    # Qt model -----------------------------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.headers)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        row = self._rows[index.row()]
        if role == ROW_ROLE:
            return row
        return self.cell(row, index.column(), int(role))

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation is Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.headers[section] if 0 <= section < len(self.headers) else None
        return None
