"""Outreach OAuth against the sandbox: an access token that expires in the middle of a sync is
renewed and the run finishes with exactly the cache a run with a static token reaches; a sign-in
Outreach will not renew fails the run once, clearly, and keeps what was committed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from engine_helpers import harness, snapshot

from reliability_log import record
from syncmonitor.connectors.outreach.auth import OutreachGrant, RefreshingBearer, token_url_for
from syncmonitor.engine.runs.events import RunOutcome, SyncProgress
from syncmonitor.sandbox.admin import AdminClient
from syncmonitor.sandbox.outreach_oauth import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_REFRESH_TOKEN,
)
from syncmonitor.sandbox.process import SandboxEndpoints

MakeSandbox = Callable[..., SandboxEndpoints]
PEOPLE = 150


def _auth(endpoints: SandboxEndpoints, saved: list[str]) -> RefreshingBearer:
    grant = OutreachGrant(
        DEFAULT_CLIENT_ID,
        DEFAULT_CLIENT_SECRET,
        DEFAULT_REFRESH_TOKEN,
        token_url_for(endpoints.outreach_base_url),
    )
    return RefreshingBearer(grant, on_rotate=saved.append)


class ExpireAfterPages:
    """A progress callback that expires every access token after `pages` Outreach pages."""

    def __init__(self, admin: AdminClient, pages: int, then: Callable[[], None] | None = None):
        self.admin, self.pages, self.then, self.seen, self.expired = admin, pages, then, 0, 0

    def __call__(self, report: SyncProgress) -> None:
        if report.phase != "outreach":
            return
        self.seen += 1
        if self.seen == self.pages:
            if self.then is not None:
                self.then()
            self.expired = self.admin.expire_oauth_tokens()


def test_a_token_expiring_mid_sync_is_renewed_and_the_run_matches_a_static_token_run(
    make_sandbox: MakeSandbox, tmp_path: Path
) -> None:
    reference_remote = make_sandbox(seed=3, people=PEOPLE, tick=0)
    with harness(reference_remote, tmp_path / "reference") as ref:
        assert ref.sync().ok
        expected = snapshot(ref.engine)

    remote = make_sandbox(seed=3, people=PEOPLE, tick=0)
    saved: list[str] = []
    auth = _auth(remote, saved)
    with harness(remote, tmp_path / "oauth", outreach_auth=auth) as h:
        expire = ExpireAfterPages(h.admin, pages=3)
        result = h.sync(progress=expire)
        assert result.ok, result.summary
        assert expire.expired == 1  # the token in use really died mid-run
        assert auth.refreshes == 2  # the first token, then exactly one renewal
        assert h.admin.oauth()["refreshes"] == 2
        assert len(saved) == 2 and len(set(saved)) == 2  # each rotated refresh token kept
        assert snapshot(h.engine) == expected
        second = h.sync()  # the renewed token is reused: no renewal for the next run
        assert second.ok and auth.refreshes == 2
    record("fault matrix", "Outreach token expires mid-sync", runs=2, converged=True)


def test_a_sign_in_outreach_will_not_renew_fails_the_run_once_and_keeps_the_pages(
    make_sandbox: MakeSandbox, tmp_path: Path
) -> None:
    remote = make_sandbox(seed=3, people=PEOPLE, tick=0)
    saved: list[str] = []
    with harness(remote, tmp_path / "oauth", outreach_auth=_auth(remote, saved)) as h:
        before = h.admin.oauth()["refreshes"]

        def revoke() -> None:
            h.admin.oauth(refuse_refresh=True)

        result = h.sync(progress=ExpireAfterPages(h.admin, pages=2, then=revoke))
        assert result.outcome is RunOutcome.FAILED
        assert result.error_title == "Outreach refused to renew the sign-in"
        assert "Connect Outreach again in Settings" in (result.error_message or "")
        for secret in (DEFAULT_CLIENT_SECRET, DEFAULT_REFRESH_TOKEN, *saved):
            assert secret not in (result.error_message or "")
        assert h.admin.oauth()["refreshes"] == before + 1  # no renewal storm
        assert len(snapshot(h.engine).sequence_states) == 2 * 50  # the committed pages stay


@pytest.mark.parametrize("wrong", ["client_secret", "refresh_token"])
def test_wrong_oauth_credentials_are_one_clear_failed_run(
    make_sandbox: MakeSandbox, tmp_path: Path, wrong: str
) -> None:
    remote = make_sandbox(seed=3, people=20, tick=0)
    grant = OutreachGrant(
        DEFAULT_CLIENT_ID,
        "nope-secret" if wrong == "client_secret" else DEFAULT_CLIENT_SECRET,
        "nope-refresh" if wrong == "refresh_token" else DEFAULT_REFRESH_TOKEN,
        token_url_for(remote.outreach_base_url),
    )
    auth = RefreshingBearer(grant, on_rotate=lambda token: None)
    with harness(remote, tmp_path / "oauth", outreach_auth=auth) as h:
        result = h.sync()
        assert result.outcome is RunOutcome.FAILED
        assert result.error_title == "Outreach refused to renew the sign-in"
        assert h.admin.stats()["requests"].get("outreach", 0) == 0  # no API call without a token
