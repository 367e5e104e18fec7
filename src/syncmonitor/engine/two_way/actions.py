"""What the GUI asks of the two-way sync outside a run: act on a delete hazard, count a scope
filter's matches, read and save the scope. Each builds its clients from the service's remotes
(secrets stay in memory) and runs on the event loop; cache work runs on worker threads."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from syncmonitor.app.errors import UserFacingError
from syncmonitor.domain.scope import ScopeFilter, to_json
from syncmonitor.engine.two_way.delete_hazard import HazardAction, HazardActionError, resolve
from syncmonitor.engine.two_way.outbound.kinds import (
    OutboundKind,
    opportunity_kind,
    organisation_kind,
    person_kind,
)
from syncmonitor.engine.two_way.outbound.setup import load_scope, save_scope
from syncmonitor.engine.two_way.scope_count import count_matching

if TYPE_CHECKING:  # the clients load when an action runs, not with the window that offers it
    from syncmonitor.connectors.outreach.sync import OutreachSyncClient
    from syncmonitor.connectors.workbooks.sync import WorkbooksSyncClient


class NotConnectedError(UserFacingError):
    """Workbooks or Outreach is not set up."""

    title = "Not connected"


def _workbooks(service: Any) -> WorkbooksSyncClient:
    from syncmonitor.connectors.workbooks.sync import WorkbooksSyncClient

    r = service.remotes
    if not (r.workbooks_base_url and r.workbooks_api_key):
        raise NotConnectedError(
            "Workbooks is not configured, so nothing can be asked of it.",
            "Set the Workbooks address and API key in Settings > Connections.",
        )
    return WorkbooksSyncClient(
        r.workbooks_base_url, r.workbooks_api_key, policy=service.retry_policy
    )


def _outreach(service: Any) -> OutreachSyncClient:
    from syncmonitor.connectors.outreach.sync import OutreachSyncClient

    r = service.remotes
    auth = getattr(r, "outreach_auth", None)
    if not (r.outreach_base_url and (r.outreach_token or auth)):
        raise NotConnectedError(
            "Outreach is not configured, so nothing can be asked of it.",
            "Set the Outreach address and token in Settings > Connections.",
        )
    return OutreachSyncClient(
        r.outreach_base_url,
        None if auth else r.outreach_token,
        auth=auth,
        page_size=service.config.outreach.page_size,
        policy=service.retry_policy,
    )


def kind_named(service: Any, name: str) -> OutboundKind:
    if name == "person":
        return person_kind(service.config.workbooks)
    if name == "organisation":
        return organisation_kind()
    if name == "opportunity":
        return opportunity_kind()
    raise HazardActionError(f"Sync Monitor does not sync {name} records.", "")


async def act_on_hazard(service: Any, kind: str, crm_id: int, action: HazardAction) -> None:
    """Delete the surviving twin, or unlink it (see `delete_hazard`)."""
    async with _workbooks(service) as workbooks, _outreach(service) as outreach:
        await resolve(
            kind_named(service, kind), crm_id, action, workbooks, outreach, service.database.engine
        )


async def count_scope(service: Any, scope: ScopeFilter) -> int:
    """How many Workbooks people the scope matches now (one request)."""
    async with _workbooks(service) as workbooks:
        return await count_matching(workbooks, scope)


async def read_scope(service: Any) -> ScopeFilter:
    return await asyncio.to_thread(load_scope, service.database.engine)


async def write_scope(service: Any, scope: ScopeFilter) -> None:
    await asyncio.to_thread(save_scope, service.database.engine, to_json(scope))
