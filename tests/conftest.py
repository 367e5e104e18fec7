"""Test setup shared by every suite.

Qt runs offscreen, no test touches the real keyring or the user's folders, and an exception that
escapes into `sys.excepthook` (a Qt virtual method, an async slot, a loop callback) fails the test
instead of scrolling past in the log. The qasync loop for async GUI tests: tests/gui/conftest.py.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before anything imports Qt

import sys
import traceback
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

import keyring
import keyring.backend
import keyring.errors
import pytest

from syncmonitor.app.paths import HOME_ENV

# Bytecode is written as Python does by default (`__pycache__`, ignored by git), even where
# PYTHONDONTWRITEBYTECODE says not to (as on these machines): without it each test worker
# rewrote and compiled all 145 test modules afresh (4 of its 6.6 s of collecting), and each of the
# ~650 app processes a run starts compiled the app's modules (see _compile_the_app).
_BYTECODE_WAS_OFF = sys.dont_write_bytecode
sys.dont_write_bytecode = False  # pytest's rewritten test modules are cached from here on


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A keyring that lives in a dict, so tests never read or write the user's real one."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.passwords.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError(f"No {username} for {service}")


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    """A fresh in-memory keyring for every test."""
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


@pytest.fixture(autouse=True)
def fail_on_unhandled_exceptions() -> Iterator[list[ExcInfo]]:
    """Fail the test when an exception reaches sys.excepthook during it.

    qasync hands exceptions from async slots to sys.excepthook, and Qt does the same for Python
    code called from C++; without this they would only be printed.
    """
    caught: list[ExcInfo] = []
    previous = sys.excepthook

    def hook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        caught.append((exc_type, exc, tb))
        traceback.print_exception(exc_type, exc, tb)

    sys.excepthook = hook
    try:
        yield caught
    finally:
        sys.excepthook = previous
    if caught:
        text = "".join(
            "".join(traceback.format_exception(exc_type, exc, tb)) for exc_type, exc, tb in caught
        )
        pytest.fail(f"Unhandled exception(s) during the test:\n{text}", pytrace=False)


@pytest.fixture
def tmp_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """SYNCMONITOR_HOME in a temporary folder: config, cache and logs all land there."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv(HOME_ENV, str(home))
    return home


# pytest-xdist with `--dist loadfile` hands out whole files, by default the files with the most
# tests first. The longest files have few tests (the crash-safety rounds, the frozen-app build),
# so they started last and one worker ground through them alone at the end while the other sat
# idle. The longest go first instead (longest-first is what balances a queue): files with a
# `slow` test, then the others; in each, by the largest time limit a test of theirs declares
# (`pytest.mark.timeout`), then most tests first as xdist does; the order within a file is kept.
def pytest_configure(config: pytest.Config) -> None:
    if hasattr(config.option, "loadscopereorder"):
        config.option.loadscopereorder = False  # keep the order pytest_collection_modifyitems made
    if not os.environ.get("PYTEST_XDIST_WORKER"):  # once, before any worker starts
        _compile_the_app()


def _compile_the_app() -> None:
    """Write the app's bytecode once when this Python is told not to (PYTHONDONTWRITEBYTECODE).

    The suite starts about 650 processes of the app (some 220 `syncmonitor ...` commands, the
    crash-safety rounds' killed and resumed syncs, some 380 sandboxes), which inherit that
    setting; without the bytecode a command compiled some 180 modules from source first (0.1 to
    0.2 s of CPU), a sandbox its own few dozen. Python checks the files against the
    sources' times on every import, so an edited module is never run stale.
    """
    if not _BYTECODE_WAS_OFF:
        return  # the processes write them themselves on their first import
    import compileall

    import syncmonitor

    compileall.compile_dir(Path(syncmonitor.__file__).parent, quiet=2)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    files: dict[str, list[pytest.Item]] = {}
    for item in items:
        files.setdefault(item.nodeid.split("::", 1)[0], []).append(item)

    def first(name: str) -> tuple[int, float, int]:
        limits = [m.args[0] for i in files[name] for m in i.iter_markers("timeout") if m.args]
        slow = any(item.get_closest_marker("slow") for item in files[name])
        return (0 if slow else 1, -max(limits, default=0), -len(files[name]))

    items[:] = [item for name in sorted(files, key=first) for item in files[name]]


# `-n auto` (the README's test command, .ci/run): two workers per core, at most 8. Most of the
# suite's time is waiting, not computing: sandboxes answering over loopback, deadlines and
# Retry-After honoured for real, subprocesses starting, Qt event loops idling. Measured on this
# 2-core machine (bench/README.md, "The whole test suite"): 8 min 32 s at 128% CPU with two
# workers, 6 min 19 s at 176% with four, the same tests passing.
WORKERS_PER_CORE = 2
MAX_AUTO_WORKERS = 8


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(MAX_AUTO_WORKERS, WORKERS_PER_CORE * (cores or 1)))


# pytest-xdist: a worker that crashes after its last test (at interpreter exit) has already sent
# its results, and xdist ignores its exit status; the run would pass on a process that aborted.
_worker_gateways: list[Any] = []


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_newgateway(gateway: Any) -> None:
    _worker_gateways.append(gateway)


@pytest.hookimpl(hookwrapper=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> Iterator[None]:
    yield  # xdist stops its workers in here
    crashed = []
    for gateway in _worker_gateways:
        popen = getattr(getattr(gateway, "_io", None), "popen", None)
        code = None if popen is None else popen.poll()
        if code:  # None: not a local process we can see; 0: a clean exit
            crashed.append(f"{gateway.id} exited with {code}")
    if crashed:
        sys.stderr.write(
            "A test worker did not exit cleanly after its tests: "
            + "; ".join(crashed)
            + " (a crash at interpreter exit: see its fatal error above).\n"
        )
        if session.exitstatus == 0:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[object]:
    """This worker's databases on the test PostgreSQL, or None where none runs (see
    tests/store_backends.py); its template database is dropped at the end."""
    from store_backends import PostgresCluster, postgres_admin_url

    url = postgres_admin_url()
    if url is None:
        yield None
        return
    cluster = PostgresCluster(url)
    try:
        yield cluster
    finally:
        cluster.drop_template()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_backend(request: pytest.FixtureRequest, postgres_cluster: object) -> Iterator[object]:
    """Run the test once on a SQLite file and once on PostgreSQL: `store_backend.open(folder)`
    opens a fresh migrated store; helpers calling tests.store_backends.open_cache use it too."""
    from store_backends import factory_for

    yield from factory_for(request.param, postgres_cluster)  # type: ignore[arg-type]
