"""Fixtures that run the real sandbox server in a child process and talk to it over loopback.

`sandbox` is one frozen world (tick 0, seed 7, 300 people) for the whole session: tests that
change the world must not use it; they take their own from `make_sandbox`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

import loopback_http
from syncmonitor.sandbox.admin import AdminClient
from syncmonitor.sandbox.process import SandboxEndpoints, SandboxProcess

SESSION_SEED = 7
SESSION_PEOPLE = 300


@pytest.fixture(scope="session")
def sandbox() -> Iterator[SandboxEndpoints]:
    """The shared sandbox: a frozen world nobody may change."""
    process = SandboxProcess(seed=SESSION_SEED, people=SESSION_PEOPLE, tick=0)
    endpoints = process.start(timeout=60)
    try:
        yield endpoints
    finally:
        process.stop()


@pytest.fixture
def sandbox_admin(sandbox: SandboxEndpoints) -> Iterator[AdminClient]:
    """An admin client for the shared sandbox; every fault switch is off again afterwards."""
    client = AdminClient(sandbox.admin_url)
    try:
        yield client
    finally:
        client.clear_faults()
        client.close()


@pytest.fixture
def make_sandbox() -> Iterator[Callable[..., SandboxEndpoints]]:
    """Start sandboxes of one's own: `make_sandbox(seed=3, people=50, tick=0)`.

    Each is frozen unless `tick` says otherwise, and stopped when the test ends.
    """
    started: list[SandboxProcess] = []

    def start(**options: Any) -> SandboxEndpoints:
        options.setdefault("tick", 0)
        process = SandboxProcess(**options)
        started.append(process)
        return process.start(timeout=60)

    try:
        yield start
    finally:
        for process in started:
            process.stop()


@pytest.fixture
def outreach_http() -> Iterator[Callable[[SandboxEndpoints], httpx.Client]]:
    """Make Outreach clients: Bearer token and the JSON:API content type already set."""
    clients: list[httpx.Client] = []

    def make(endpoints: SandboxEndpoints) -> httpx.Client:
        client = loopback_http.client(
            base_url=endpoints.outreach_base_url,
            headers={
                "Authorization": f"Bearer {endpoints.outreach_token}",
                "Content-Type": "application/vnd.api+json",
            },
            timeout=30,
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def workbooks_http() -> Iterator[Callable[[SandboxEndpoints], httpx.Client]]:
    """Make Workbooks clients: a User-Agent and the api_key parameter already set."""
    clients: list[httpx.Client] = []

    def make(endpoints: SandboxEndpoints) -> httpx.Client:
        client = loopback_http.client(
            base_url=endpoints.workbooks_base_url,
            headers={"User-Agent": "syncmonitor-tests/1.0"},
            params={"api_key": endpoints.workbooks_api_key},
            timeout=30,
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
