"""The sync run's mapping step and the helpers the GUI and CLI share for mappings.

`run_mappings` is the full sync's last job (engine.jobs), after the sequence-state push: it
applies the saved mappings to linked people and prospects (see `mapping_sync`) and adds its
figures to the run.
"""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy import Engine

from syncmonitor.app.config import Config
from syncmonitor.app.errors import UserFacingError
from syncmonitor.connectors.http.retry import RetryPolicy
from syncmonitor.connectors.outreach.mapping import OutreachMappingClient
from syncmonitor.connectors.workbooks.client import WorkbooksClient
from syncmonitor.engine.mappings.sources import SourceRemotes
from syncmonitor.engine.mappings.sync import MappingCounts, apply_person_mappings, describe_counts
from syncmonitor.engine.runs.events import CancelToken, ProgressCallback


class MappingWritesFailedError(UserFacingError):
    """Some records could not be brought in line with the saved mappings."""

    title = "Some mapped values were not written"


class _RunLike(Protocol):
    """What a run gives the mapping step (engine.jobs.JobContext)."""

    config: Config
    engine: Engine
    remotes: Any
    retry_policy: RetryPolicy | None


def source_remotes(remotes: Any) -> SourceRemotes:
    """The mapping sources' view of a `Remotes` (Salesforce is optional on older objects)."""
    return SourceRemotes(
        remotes.outreach_base_url,
        remotes.outreach_token,
        remotes.workbooks_base_url,
        remotes.workbooks_api_key,
        getattr(remotes, "salesforce_base_url", None),
        getattr(remotes, "salesforce_token", None),
        outreach_auth=getattr(remotes, "outreach_auth", None),
    )


async def run_mappings(
    service: _RunLike,
    read: dict[str, int],
    written: dict[str, int],
    progress: ProgressCallback | None,
    cancel: CancelToken | None,
) -> MappingCounts | None:
    """Apply the saved mappings as part of a sync run (None: not configured or off)."""
    counts = MappingCounts()
    r = service.remotes
    config = service.config
    if not config.mappings.sync_enabled or not config.workbooks.push_enabled:
        return None
    outreach_auth = getattr(r, "outreach_auth", None)
    if not (r.outreach_base_url and (r.outreach_token or outreach_auth) and r.workbooks_base_url):
        return None
    if not r.workbooks_api_key:
        return None
    try:
        async with (
            WorkbooksClient(
                r.workbooks_base_url, r.workbooks_api_key, policy=service.retry_policy
            ) as workbooks,
            OutreachMappingClient(
                r.outreach_base_url,
                None if outreach_auth else r.outreach_token,
                auth=outreach_auth,
                page_size=config.outreach.page_size,
                policy=service.retry_policy,
            ) as outreach,
        ):
            await apply_person_mappings(
                workbooks,
                outreach,
                service.engine,
                config,
                counts=counts,
                progress=progress,
                cancel=cancel,
            )
    finally:
        describe_counts(counts, read, written)
    if counts.failed:
        first = counts.errors[0] if counts.errors else ""
        raise MappingWritesFailedError(
            f"{counts.failed} mapped value(s) could not be written (first: {first}).",
            "They are tried again on the next sync; the log has each reason. If a value is "
            "refused, check the mapping in Lead/Contact Status or Field mappings.",
        )
    return counts
