"""What the connection doctor asks each remote: one cheap read-only request per resource that an
enabled feature needs, through the app's own connectors (so it goes exactly where a sync goes,
with the same headers, signing, TLS and redirects).

Outreach's scopes are `<resource>.read` for these reads (Outreach's OAuth scopes are named after
the resource; the writes need `.write` too, which a read cannot check: a missing write scope shows
on the first write, as a failed part of that run). Workbooks grants access by the API key's user
and its permissions (Configuration > Users and Permissions); Salesforce by the user's profile.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from syncmonitor.app.config import Config
from syncmonitor.connectors.errors import OUTREACH, SALESMATE, SPOTLER, WORKBOOKS
from syncmonitor.connectors.http.retry import RetryPolicy
from syncmonitor.connectors.outreach.client import OutreachClient
from syncmonitor.connectors.salesforce import SALESFORCE, SalesforceClient
from syncmonitor.connectors.salesmate import SalesmateAccess, SalesmateClient
from syncmonitor.connectors.spotler import SpotlerClient
from syncmonitor.connectors.workbooks.client import WorkbooksClient
from syncmonitor.connectors.workbooks.mapping import WorkbooksMappingClient

Ask = Callable[[Any], Awaitable[None]]  # one read on an open client


@dataclass(frozen=True)
class Probe:
    """One resource of one remote that a feature needs, and the read that checks it."""

    service: str  # as the connectors name it: "Outreach", "Workbooks", ...
    feature: str  # in the users' words: "Sequence states", "Two-way sync", ...
    resource: str  # what is read: "calls", "crm/people.api"
    permission: str  # what grants it: "the calls.read scope", "read access to People"
    ask: Ask


@dataclass(frozen=True)
class ServiceProbes:
    """The probes of one remote and how to open its client for them."""

    service: str
    open_client: Callable[[], Any]  # an async context manager: the connector's client
    probes: tuple[Probe, ...]


def _outreach(resource: str) -> Ask:
    async def ask(client: OutreachClient) -> None:
        params = [("page[size]", "1"), ("count", "false")]
        async for _doc in client.iter_pages(resource, params):
            break

    return ask


def _workbooks(endpoint: str) -> Ask:
    async def ask(client: WorkbooksClient) -> None:
        async for _page in client.iter_records(endpoint, columns=["id"], page_size=1):
            break

    return ask


async def _workbooks_metadata(client: WorkbooksMappingClient) -> None:
    await client.field_metadata("person")


async def _spotler_campaigns(client: SpotlerClient) -> None:
    # GET /campaign/list takes no parameters (the Swagger file): the one documented read the
    # queue needs, read whole.
    await client.campaigns()


async def _salesforce_leads(client: SalesforceClient) -> None:
    await client.lead_statuses()  # the one query the mapping editors make


async def _salesmate_contacts(client: SalesmateClient) -> None:
    await client.contacts_by_email(["connection-doctor@example.invalid"])


def _outreach_probe(feature: str, resource: str) -> Probe:
    return Probe(OUTREACH, feature, resource, f"the {resource}.read scope", _outreach(resource))


def _workbooks_probe(feature: str, endpoint: str, what: str) -> Probe:
    return Probe(
        WORKBOOKS,
        feature,
        f"{endpoint}.api",
        f"read access to {what} for the API key's user",
        _workbooks(endpoint),
    )


def plan(
    config: Config,
    remotes: Any,
    salesmate: SalesmateAccess | None = None,
    *,
    policy: RetryPolicy,
) -> list[ServiceProbes]:
    """The probes for every feature this configuration turns on, grouped by remote."""
    r = remotes
    wb = config.workbooks
    outreach_set = bool(r.outreach_base_url and (r.outreach_token or r.outreach_auth))
    workbooks_set = bool(r.workbooks_base_url and r.workbooks_api_key)
    two_way = outreach_set and workbooks_set and wb.push_enabled and wb.two_way_enabled
    mappings = outreach_set and workbooks_set and config.mappings.sync_enabled
    found: list[ServiceProbes] = []

    if outreach_set:
        probes = [
            _outreach_probe("Sequence states", name)
            for name in ("sequenceStates", "prospects", "sequences", "sequenceSteps")
        ]
        if two_way:
            probes += [
                _outreach_probe("Two-way sync", name)
                for name in ("accounts", "opportunities", "tasks", "calls")
            ]
        if mappings or two_way:
            probes.append(_outreach_probe("Field mappings", "stages"))

        def open_outreach() -> OutreachClient:
            return OutreachClient(
                r.outreach_base_url,
                None if r.outreach_auth else r.outreach_token,
                auth=r.outreach_auth,
                page_size=1,
                policy=policy,
            )

        found.append(ServiceProbes(OUTREACH, open_outreach, tuple(probes)))

    if workbooks_set:
        probes = []
        if wb.push_enabled:
            probes.append(_workbooks_probe("Sequence states", "crm/people", "People"))
        if two_way:
            probes += [
                _workbooks_probe("Two-way sync", "crm/organisations", "Organisations"),
                _workbooks_probe("Two-way sync", "crm/opportunities", "Opportunities"),
                _workbooks_probe("Two-way sync", "activity/tasks", "Tasks"),
                _workbooks_probe("Two-way sync", "activity/activities", "Activities"),
            ]
        if mappings:
            probes.append(
                Probe(
                    WORKBOOKS,
                    "Field mappings",
                    "metadata/types.api",
                    "read access to the field definitions for the API key's user",
                    _workbooks_metadata,
                )
            )
        if not probes:  # Workbooks set up for the mailshot queue only: still check the key
            probes.append(_workbooks_probe("Mailshot queue", "crm/people", "People"))

        def open_workbooks() -> WorkbooksMappingClient:
            return WorkbooksMappingClient(r.workbooks_base_url, r.workbooks_api_key, policy=policy)

        found.append(ServiceProbes(WORKBOOKS, open_workbooks, tuple(probes)))

    spotler_key = getattr(r, "spotler_consumer_key", None)
    spotler_secret = getattr(r, "spotler_consumer_secret", None)
    if getattr(r, "spotler_base_url", None) and spotler_key and spotler_secret:

        def open_spotler() -> SpotlerClient:
            return SpotlerClient(r.spotler_base_url, spotler_key, spotler_secret, policy=policy)

        probe = Probe(
            SPOTLER,
            "Mailshot queue",
            "campaign/list",
            "a Mail+ consumer key with REST access",
            _spotler_campaigns,
        )
        found.append(ServiceProbes(SPOTLER, open_spotler, (probe,)))

    if getattr(r, "salesforce_base_url", None) and getattr(r, "salesforce_token", None):

        def open_salesforce() -> SalesforceClient:
            return SalesforceClient(r.salesforce_base_url, r.salesforce_token, policy=policy)

        probe = Probe(
            SALESFORCE,
            "Field mappings",
            "LeadStatus",
            "a profile with API Enabled and read access to Leads",
            _salesforce_leads,
        )
        found.append(ServiceProbes(SALESFORCE, open_salesforce, (probe,)))

    if salesmate is not None:

        def open_salesmate() -> SalesmateClient:
            return SalesmateClient(salesmate, policy=policy)

        probe = Probe(
            SALESMATE,
            "Salesmate import",
            "contact search",
            "an access key whose user can read Contacts",
            _salesmate_contacts,
        )
        found.append(ServiceProbes(SALESMATE, open_salesmate, (probe,)))
    return found
