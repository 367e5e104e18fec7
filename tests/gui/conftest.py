"""GUI test setup: a real qasync loop for async tests, and settings kept out of the user's home."""

from __future__ import annotations

import asyncio
import gc
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
import qasync
from gui_cache import PersonSpec, build_cache
from PySide6.QtCore import QCoreApplication, QSettings
from PySide6.QtWidgets import QApplication

from syncmonitor.store.database import Database
from syncmonitor.ui.models.lazy import wait_for_reads


def _route_to_excepthook(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    exc = context.get("exception")
    if isinstance(exc, BaseException):
        sys.excepthook(type(exc), exc, exc.__traceback__)
    else:
        loop.default_exception_handler(context)


class _TestLoop(qasync.QEventLoop):  # type: ignore[misc]
    """qasync's loop, but one that really lets go of its Qt timers when it closes.

    qasync's close() only marks its timer object stopped; the Qt timers stay registered until
    that object is destroyed, which the garbage collector may do later on any thread, where Qt
    cannot unregister them: the next event loop pass then fires a timer into freed memory (the
    suite crashed in pytest-qt's processEvents this way). The app has one loop for its whole
    life, so only tests, which make a loop per test, need this.
    """

    def close(self) -> None:
        super().close()
        timer = self._timer
        callbacks = timer._SimpleTimer__callbacks
        for timer_id in list(callbacks):
            timer.killTimer(timer_id)
        callbacks.clear()


def qasync_loop() -> asyncio.AbstractEventLoop:
    """A qasync loop on the session's QApplication, the loop the app itself runs on."""
    app = QApplication.instance() or QApplication([])
    loop = _TestLoop(app)
    loop.set_exception_handler(_route_to_excepthook)
    return loop


def pytest_asyncio_loop_factories(config: pytest.Config, item: pytest.Item) -> Mapping[str, Any]:
    """Async tests under tests/gui run on qasync, as the app does (this conftest's scope only)."""
    return {"qasync": qasync_loop}


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path: Path) -> Iterator[None]:
    """QSettings (window geometry) go to a temporary INI file, never the user's real settings."""
    QCoreApplication.setOrganizationName("SyncMonitorTests")
    QCoreApplication.setApplicationName("syncmonitor-tests")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "qs"))
    # What lived before this test (modules, Qt, SQLAlchemy, earlier tests' survivors) is left out
    # of the collection below, as the app does after its start-up (ui/responsiveness.py): a full
    # collection walked all of it after every test, 0.2 s each, a sixth of the GUI tests' time.
    gc.freeze()
    yield
    wait_for_reads()  # no page read may outlive the test's cache
    # Collect this test's Qt wrappers here, on the GUI thread: collected later on a worker
    # thread, a QObject's destructor cannot stop its timers.
    gc.collect()


@pytest.fixture
def make_cache(tmp_path: Path) -> Iterator[Callable[..., Database]]:
    """Build a real cache in tmp_path: make_cache(people=N, transitions=M, extra=[PersonSpec])."""
    opened: list[Database] = []

    def make(people: int = 0, transitions: int = 4, extra: Sequence[PersonSpec] = ()) -> Database:
        db = build_cache(tmp_path / f"cache{len(opened)}.sqlite3", people, transitions, extra=extra)
        opened.append(db)
        return db

    yield make
    for db in opened:
        db.close()
