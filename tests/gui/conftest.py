"""GUI test setup: a real qasync loop for async tests, and settings kept out of the user's home."""

from __future__ import annotations

import asyncio
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


def qasync_loop() -> asyncio.AbstractEventLoop:
    """A qasync loop on the session's QApplication, the loop the app itself runs on."""
    app = QApplication.instance() or QApplication([])
    loop = qasync.QEventLoop(app)
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
    yield
    wait_for_reads()  # no page read may outlive the test's cache


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
