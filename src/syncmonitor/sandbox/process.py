"""Run the sandbox server as a child process and learn where it listens.

The child is `python -m syncmonitor.sandbox ...`, or `<app> sandbox ...` in a frozen
(PyInstaller) build whose executable is the CLI. Credentials reach it through its environment,
never its command line, which other users on the machine can read. Its stdin stays an open pipe:
when this process dies, the pipe closes and the child stops too.
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import queue
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from types import TracebackType
from typing import IO, Any

# Mirrors of the server's names; not imported, so that importing this module stays cheap.
SANDBOX_NICENESS = 5
ENV_OUTREACH_TOKEN = "SYNCMONITOR_SANDBOX_OUTREACH_TOKEN"
ENV_WORKBOOKS_API_KEY = "SYNCMONITOR_SANDBOX_WORKBOOKS_API_KEY"
# Same names and defaults as sandbox.server (kept apart so the parent never imports the server).
ENV_SPOTLER_CONSUMER_KEY = "SYNCMONITOR_SANDBOX_SPOTLER_CONSUMER_KEY"
ENV_SPOTLER_CONSUMER_SECRET = "SYNCMONITOR_SANDBOX_SPOTLER_CONSUMER_SECRET"
DEFAULT_SPOTLER_CONSUMER_KEY = "sandbox-spotler-key"
DEFAULT_SPOTLER_CONSUMER_SECRET = "sandbox-spotler-secret"
DEFAULT_OUTREACH_TOKEN = "sandbox-outreach-token"
DEFAULT_WORKBOOKS_API_KEY = "sandbox-workbooks-key"
ENV_SALESFORCE_TOKEN = "SYNCMONITOR_SANDBOX_SALESFORCE_TOKEN"
DEFAULT_SALESFORCE_TOKEN = "sandbox-salesforce-token"
ENV_SALESMATE_TOKEN = "SYNCMONITOR_SANDBOX_SALESMATE_TOKEN"
DEFAULT_SALESMATE_TOKEN = "sandbox-salesmate-token"
_STDERR_TAIL_LINES = 40


def _lower_priority(process: subprocess.Popen[bytes]) -> None:
    """Give the sandbox a lower CPU priority than the app.

    It stands in for servers that would run on other machines: on the user's own machine it must
    not take the CPU from the window (nor, in the benchmark, from the process being measured).
    """
    if sys.platform == "win32":
        return  # set through creationflags at start
    with contextlib.suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, process.pid, SANDBOX_NICENESS)


@dataclass(frozen=True, slots=True)
class SandboxEndpoints:
    """Where a running sandbox listens and the credentials it accepts."""

    port: int
    outreach_base_url: str
    workbooks_base_url: str
    admin_url: str
    outreach_token: str
    workbooks_api_key: str
    # The emulated Salesforce (status values for the mapping editors); "" from an older sandbox.
    salesforce_base_url: str = ""
    salesforce_token: str = ""
    # The emulated Salesmate API (its root; the client adds /apis), link name and access token.
    salesmate_base_url: str = ""
    salesmate_linkname: str = "sandbox"
    salesmate_token: str = DEFAULT_SALESMATE_TOKEN
    spotler_base_url: str = ""
    spotler_consumer_key: str = DEFAULT_SPOTLER_CONSUMER_KEY
    spotler_consumer_secret: str = DEFAULT_SPOTLER_CONSUMER_SECRET


class SandboxProcess:
    """A sandbox server in a child process.

    `start()` returns its `SandboxEndpoints` once it prints its ready line; `stop()` asks it to
    stop (SIGTERM), then kills it after `grace` seconds. As a context manager it starts on entry,
    gives back itself (`.endpoints` holds the addresses) and stops on exit.

    `env` adds to (or overrides) this process's environment for the child: set
    `SYNCMONITOR_SANDBOX_OUTREACH_TOKEN` / `SYNCMONITOR_SANDBOX_WORKBOOKS_API_KEY` there to choose
    the credentials.
    """

    def __init__(
        self,
        port: int = 0,
        seed: int = 1,
        people: int = 200,
        states_per_person: float = 3.0,
        tick: float = 2.0,
        changes_per_tick: int = 5,
        env: dict[str, str] | None = None,
    ) -> None:
        self.port = port
        self.seed = seed
        self.people = people
        self.states_per_person = states_per_person
        self.tick = tick
        self.changes_per_tick = changes_per_tick
        self.env = dict(env or {})
        self.endpoints: SandboxEndpoints | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._stdout_lines: queue.Queue[bytes | None] = queue.Queue()
        self._stderr_tail: collections.deque[str] = collections.deque(maxlen=_STDERR_TAIL_LINES)
        self._readers: list[threading.Thread] = []

    def command(self) -> list[str]:
        """The child's command line: arguments only, never a credential."""
        arguments = [
            f"--port={self.port}",
            f"--seed={self.seed}",
            f"--people={self.people}",
            f"--states-per-person={self.states_per_person}",
            f"--tick={self.tick}",
            f"--changes-per-tick={self.changes_per_tick}",
        ]
        if getattr(sys, "frozen", False):
            return [sys.executable, "sandbox", *arguments]
        return [sys.executable, "-m", "syncmonitor.sandbox", *arguments]

    def start(self, timeout: float = 60) -> SandboxEndpoints:
        """Start the child and wait up to `timeout` seconds for its ready line."""
        if self._process is not None:
            raise RuntimeError("this sandbox has already been started")
        environment = {**os.environ, **self.env}
        if getattr(sys, "frozen", False):
            # PyInstaller >= 6.10: start as a new instance of the app, not as a helper that
            # borrows this process's unpacked files (a one-file parent deletes them on exit).
            environment["PYINSTALLER_RESET_ENVIRONMENT"] = "1"
        environment.setdefault("PYTHONUNBUFFERED", "1")
        self._process = subprocess.Popen(
            self.command(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=environment,
            close_fds=True,
            creationflags=getattr(subprocess, "BELOW_NORMAL_PRIORITY_CLASS", 0),
        )
        _lower_priority(self._process)
        assert self._process.stdout is not None and self._process.stderr is not None
        self._readers = [
            threading.Thread(target=self._read_stdout, args=(self._process.stdout,), daemon=True),
            threading.Thread(target=self._read_stderr, args=(self._process.stderr,), daemon=True),
        ]
        for reader in self._readers:
            reader.start()
        try:
            ready = self._wait_for_ready(timeout)
        except BaseException:
            self.stop()
            raise
        self.endpoints = SandboxEndpoints(
            port=int(ready["port"]),
            outreach_base_url=str(ready["outreach_base_url"]),
            workbooks_base_url=str(ready["workbooks_base_url"]),
            admin_url=str(ready["admin_url"]),
            outreach_token=environment.get(ENV_OUTREACH_TOKEN) or DEFAULT_OUTREACH_TOKEN,
            workbooks_api_key=environment.get(ENV_WORKBOOKS_API_KEY) or DEFAULT_WORKBOOKS_API_KEY,
            salesforce_base_url=str(ready.get("salesforce_base_url", "")),
            salesforce_token=environment.get(ENV_SALESFORCE_TOKEN) or DEFAULT_SALESFORCE_TOKEN,
            salesmate_base_url=str(ready.get("salesmate_base_url", "")),
            salesmate_linkname=str(ready.get("salesmate_linkname", "sandbox")),
            salesmate_token=environment.get(ENV_SALESMATE_TOKEN) or DEFAULT_SALESMATE_TOKEN,
            spotler_base_url=str(ready.get("spotler_base_url", "")),
            spotler_consumer_key=environment.get(ENV_SPOTLER_CONSUMER_KEY)
            or DEFAULT_SPOTLER_CONSUMER_KEY,
            spotler_consumer_secret=environment.get(ENV_SPOTLER_CONSUMER_SECRET)
            or DEFAULT_SPOTLER_CONSUMER_SECRET,
        )
        return self.endpoints

    def stop(self, grace: float = 5.0) -> int | None:
        """Stop the child: SIGTERM, then a kill after `grace` seconds. Its exit code, if any."""
        process = self._process
        if process is None:
            return None
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=grace)
        if process.stdin is not None:
            with contextlib.suppress(OSError):  # the child is gone and the pipe with it
                process.stdin.close()
        for reader in self._readers:
            reader.join(timeout=2)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()
        return process.returncode

    def wait(self, timeout: float | None = None) -> int | None:
        """Wait for the child to exit by itself; its exit code (None if never started)."""
        return self._process.wait(timeout) if self._process is not None else None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def stderr_tail(self) -> str:
        """The last lines the child wrote to stderr (for error messages and test failures)."""
        return "\n".join(self._stderr_tail)

    def __enter__(self) -> SandboxProcess:
        if self._process is None:
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _wait_for_ready(self, timeout: float) -> dict[str, Any]:
        assert self._process is not None
        deadline = time.monotonic() + timeout
        try:
            while True:
                line = self._stdout_lines.get(timeout=max(0.0, deadline - time.monotonic()))
                if line is None:
                    self._process.wait(timeout=5)
                    raise RuntimeError(
                        f"the sandbox exited with code {self._process.returncode} before it was "
                        f"ready.\n{self._stderr_report()}"
                    )
                try:
                    message = json.loads(line)
                except ValueError:
                    continue  # not ours: a stray print in the child
                if isinstance(message, dict) and message.get("event") == "ready":
                    return message
        except queue.Empty:
            raise RuntimeError(
                f"the sandbox did not say it was ready within {timeout:g} seconds.\n"
                f"{self._stderr_report()}"
            ) from None

    def _stderr_report(self) -> str:
        for reader in self._readers[1:]:
            reader.join(timeout=1)  # let the last words arrive
        tail = self.stderr_tail()
        return f"Its stderr ended with:\n{tail}" if tail else "It wrote nothing to stderr."

    def _read_stdout(self, stream: IO[bytes]) -> None:
        # Drained to the end even after the ready line: a full pipe would block the child.
        try:
            for line in stream:
                self._stdout_lines.put(line)
        except (OSError, ValueError):
            pass
        self._stdout_lines.put(None)

    def _read_stderr(self, stream: IO[bytes]) -> None:
        try:
            for line in stream:
                self._stderr_tail.append(line.decode("utf-8", "replace").rstrip())
        except (OSError, ValueError):
            pass
