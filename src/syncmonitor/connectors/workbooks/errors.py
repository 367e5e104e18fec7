"""What a Workbooks error answer means, from the reasons its API guide documents.

The guide ("HTTP Response Codes", "Login") says 401 is an authentication failure and 403 is
"Database unavailable", each with a `failure_reason`. Some 403 reasons pass by themselves (a
release is being deployed, an archived database is being brought back) and are retried; one is
a permission the user lacks; two mean the request itself is wrong. Only a 401 blames the key.
The list "will grow over time", so an unknown 403 reason is told as the database being
unavailable, with the reason quoted, never as a refused key.
"""

from __future__ import annotations

import httpx

from syncmonitor.connectors.errors import (
    WORKBOOKS,
    ConnectorError,
    PermissionDeniedError,
    RequestRejectedError,
    ServiceUnavailableError,
)
from syncmonitor.connectors.http.client import RemoteProblem

# Documented 403 reasons that clear by themselves (guide, "Login": "Try again soon" and so on).
TRANSIENT_403 = frozenset(
    {
        "database_being_migrated",
        "database_archived",
        "requested_database_not_available",
        "no_available_database",
    }
)
PERMISSION_403 = frozenset({"no_permission_for_api"})
# The request is wrong, not the credentials: a Sync Monitor bug or setting.
REQUEST_403 = frozenset(
    {"user_agent_required", "no_database_selection_made", "invalid_application_name"}
)

_WHY = {
    "database_being_migrated": "a new Workbooks release is being deployed and the database "
    "has not been upgraded yet",
    "database_archived": "the database had not been used for a long time and is being "
    "brought back from the archive",
    "requested_database_not_available": "the database is unavailable, probably for maintenance",
    "no_available_database": "no database is available, probably for maintenance",
}


def classify_workbooks_error(
    response: httpx.Response, problem: RemoteProblem
) -> ConnectorError | None:
    """The error a Workbooks 403 stands for; None leaves the transport's default (401: key)."""
    if response.status_code != 403:
        return None
    request = response.request
    where = f"{request.method} {request.url.path}"
    url = str(request.url)
    code = problem.code
    said = problem.sentence()
    if code in TRANSIENT_403:
        return ServiceUnavailableError(
            WORKBOOKS,
            "Workbooks is temporarily unavailable",
            f"Workbooks answered {where} with HTTP 403 {code}: {_WHY[code]}. This passes by "
            "itself; Sync Monitor tried again and will try again on the next sync. Nothing "
            "needs changing on your side.",
            code=code,
            status_code=403,
            url=url,
        )
    if code in PERMISSION_403:
        return PermissionDeniedError(
            WORKBOOKS,
            "The Workbooks user may not use the API",
            f"Workbooks accepted the API key but refused {where} (HTTP 403 {code}): the user "
            "the key belongs to does not have the API access capability. A Workbooks "
            "administrator can grant it (Start > Configuration > Users and Groups); the key "
            "itself is fine.",
            code=code,
            status_code=403,
            url=url,
        )
    if code in REQUEST_403:
        rejected = RequestRejectedError(
            WORKBOOKS,
            "Workbooks rejected a request",
            f"Workbooks refused {where} (HTTP 403 {code}). {said} This is a Sync Monitor "
            "setting or bug, not the API key; please report it with the log file.",
            status_code=403,
            url=url,
        )
        rejected.remote_said = said
        return rejected
    reason = f"reason {code}" if code else "no reason"
    return ServiceUnavailableError(
        WORKBOOKS,
        "Workbooks database unavailable",
        f"Workbooks answered {where} with HTTP 403, which its API guide calls 'Database "
        f"unavailable', giving {reason} Sync Monitor does not know yet. {said} The API key "
        "was not refused (that is HTTP 401). Sync Monitor tried again; if it persists, check "
        "that the database opens in the Workbooks Desktop.",
        code=code,
        status_code=403,
        url=url,
    )
