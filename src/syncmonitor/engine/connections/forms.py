"""The remotes a Settings form describes (typed or saved secrets), for its Test buttons and the
Test connections view: the window hands over plain values and never builds a client itself."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from syncmonitor.app.config import SalesmateSettings
from syncmonitor.connectors.outreach.auth import OutreachGrant, RefreshingBearer, token_url_for
from syncmonitor.connectors.salesmate import SalesmateAccess
from syncmonitor.engine.runs.jobs import Remotes

__all__ = ["SalesmateAccess", "Values", "remotes_from_form"]

Values = Mapping[str, Mapping[str, str]]  # service name -> field -> value ("" when empty)


def remotes_from_form(
    values: Values,
    *,
    outreach_oauth: bool,
    on_rotate: Callable[[str], None] | None = None,
) -> tuple[Remotes, SalesmateAccess | None]:
    """`Remotes` (and Salesmate's access) from the form's values. With `outreach_oauth`, an
    OAuth grant that renews its access token; `on_rotate` keeps the refresh token Outreach
    hands back (the old one stops working)."""
    o, w = values.get("Outreach", {}), values.get("Workbooks", {})
    s, f, m = values.get("Spotler", {}), values.get("Salesforce", {}), values.get("Salesmate", {})
    auth = None
    if outreach_oauth and o.get("base_url") and o.get("oauth_client_id"):
        grant = OutreachGrant(
            o["oauth_client_id"],
            o.get("outreach_client_secret", ""),
            o.get("outreach_refresh_token", ""),
            token_url_for(o["base_url"]),
        )
        auth = RefreshingBearer(grant, on_rotate=on_rotate or (lambda _token: None))
    remotes = Remotes(
        o.get("base_url") or None,
        None if auth else o.get("outreach_token") or None,
        w.get("base_url") or None,
        w.get("workbooks_api_key") or None,
        outreach_auth=auth,
        salesforce_base_url=f.get("base_url") or None,
        salesforce_token=f.get("salesforce_token") or None,
        spotler_base_url=s.get("base_url") or None,
        spotler_consumer_key=s.get("spotler_consumer_key") or None,
        spotler_consumer_secret=s.get("spotler_consumer_secret") or None,
    )
    salesmate = None
    if m.get("base_url") and m.get("salesmate_token"):
        settings = SalesmateSettings(m["base_url"].rstrip("/"), m.get("linkname", ""))
        if settings.api_url:
            salesmate = SalesmateAccess(
                settings.api_url, settings.effective_linkname, m["salesmate_token"]
            )
    return remotes, salesmate
