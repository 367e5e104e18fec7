"""Every request a whole two-way sync makes, held against the vendors' documented parameters.

The per-remote contract tests drive each connector call by call; this one records what the
engine really sends during full syncs (pull, push, activities, outbound, mapped values) and
applies the same rules (contract_rules.py): an undocumented endpoint, parameter, operator,
attribute or relationship fails unless it is in the rules' allow-list of inferences.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import parse_qsl

import httpx
import pytest
from contract_rules import Sent, all_problems, oa_param_problems, wb_param_problems
from engine_helpers import Harness, harness
from two_way_helpers import everyone, new_people

from syncmonitor.engine.runs.events import RunOutcome
from syncmonitor.sandbox.process import SandboxEndpoints


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> list[Sent]:
    """Every request any connector sends over httpx's own transport, in order."""
    sent: list[Sent] = []
    original = httpx.AsyncHTTPTransport.handle_async_request

    async def record(self: httpx.AsyncHTTPTransport, request: httpx.Request) -> httpx.Response:
        await request.aread()
        body = request.content
        ctype = request.headers.get("content-type", "")
        form = parse_qsl(body.decode(), keep_blank_values=True) if "form" in ctype else []
        doc = json.loads(body) if body and "json" in ctype else None
        sent.append(
            Sent(
                request.method,
                request.url.path,
                parse_qsl(request.url.query.decode(), keep_blank_values=True),
                form,
                doc,
                request.headers,
            )
        )
        return await original(self, request)

    monkeypatch.setattr(httpx.AsyncHTTPTransport, "handle_async_request", record)
    return sent


@pytest.fixture
def h(make_sandbox: Callable[..., SandboxEndpoints], tmp_path: Path) -> Iterator[Harness]:
    endpoints = make_sandbox(seed=31, people=40, tick=0)
    with harness(endpoints, tmp_path / "cache", two_way=True) as made:
        everyone(made)
        yield made


def test_every_request_of_two_full_syncs_is_documented(h: Harness, recorded: list[Sent]) -> None:
    first = h.sync()
    assert first.outcome is RunOutcome.SUCCEEDED, first.error_message
    new_people(h, [{"person_first_name": "New", "person_last_name": "Person",
                    "main_location[email]": "new.person@example.org"}])  # fmt: skip
    second = h.sync()
    assert second.outcome is RunOutcome.SUCCEEDED, second.error_message
    workbooks = [
        Sent(s.method, s.path.removeprefix("/workbooks"), s.query, s.form, s.json, s.headers)
        for s in recorded
        if s.path.startswith("/workbooks/")
    ]
    outreach = [
        Sent(s.method, s.path.removeprefix("/outreach"), s.query, s.form, s.json, s.headers)
        for s in recorded
        if s.path.startswith("/outreach/api/")
    ]
    assert len(workbooks) > 5 and len(outreach) > 5
    assert all_problems(wb_param_problems(s) for s in workbooks) == []
    assert all_problems(oa_param_problems(s) for s in outreach) == []
