"""The scope filter's live count: how many Workbooks people a scope would send to Outreach,
asked of Workbooks itself (one request), for the editor to show before saving."""

from __future__ import annotations

from syncmonitor.app.errors import UserFacingError
from syncmonitor.connectors.workbooks.sync import WorkbooksSyncClient
from syncmonitor.domain.scope import ScopeFilter, base_conditions, problems, workbooks_filter
from syncmonitor.engine.two_way.outbound.kinds import DUPLICATE_FIELD, ERROR_FIELD, SYNC_FIELD


class ScopeNotValidError(UserFacingError):
    """The scope cannot be counted as it stands."""

    title = "The filter is not complete"


async def count_matching(workbooks: WorkbooksSyncClient, scope: ScopeFilter) -> int:
    """People in scope now (the integration's flags included)."""
    found = problems(scope)
    if found:
        raise ScopeNotValidError(" ".join(found), "Complete or remove the conditions named.")
    me = scope.me
    if scope.mine and me is None:
        me = await workbooks.current_user()
    base = base_conditions(SYNC_FIELD, ERROR_FIELD, DUPLICATE_FIELD)
    conditions, mode = workbooks_filter(scope, me, base)
    return await workbooks.count("crm/people", conditions, mode)
