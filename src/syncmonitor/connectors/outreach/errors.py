"""What an Outreach 403 means, and which OAuth scope each request needs.

Outreach answers 401 for a token it does not accept. A 403 is something else: the token is good
but lacks the OAuth scope for that resource (`unauthorizedOauthScope`), or the user's governance
or permission profile forbids the request (`unauthorizedRequest`). Neither is helped by a new
token, so neither is told as one (APIS.md; review-api.md O15).

Scope names follow Outreach's `<resource>.<read|write|delete|all>` pattern (APIS.md gives
`sequenceStates.read` and `stages.all`). When Outreach's answer names the scope it is quoted;
otherwise the scope is inferred from the request's resource and method, and said to be inferred.
"""

from __future__ import annotations

import re

import httpx

from syncmonitor.connectors.errors import OUTREACH, ConnectorError, PermissionDeniedError
from syncmonitor.connectors.http.client import RemoteProblem

_SCOPE_IN_TEXT = re.compile(r"\b([a-z][A-Za-z]+\.(?:read|write|delete|all))\b")
_ACCESS = {"GET": "read", "HEAD": "read", "POST": "write", "PATCH": "write", "DELETE": "delete"}

# The scopes each feature of Sync Monitor needs (the README lists the same).
FEATURE_SCOPES: dict[str, tuple[str, ...]] = {
    "Sequence-state pull (every sync)": (
        "sequenceStates.read",
        "prospects.read",
        "sequences.read",
        "sequenceSteps.read",
    ),
    "Tasks and calls into Workbooks (two-way sync)": ("tasks.read", "calls.read"),
    "People to prospects (two-way sync)": ("prospects.write",),
    "Organisations to accounts (two-way sync)": ("accounts.read", "accounts.write"),
    "Opportunities (two-way sync)": (
        "opportunities.read",
        "opportunities.write",
        "opportunityStages.read",
    ),
    "Stage mappings": ("stages.read", "stages.write", "prospects.write"),
}


def scope_for(method: str, path: str) -> str:
    """The scope a request most likely needs: `<resource>.<access>` from its path and method."""
    parts = [p for p in path.split("/") if p and p not in ("api", "v2")]
    resource = parts[0] if parts else "resource"
    if "actions" in parts:  # POST /sequenceStates/{id}/actions/pause writes that resource
        return f"{resource}.write"
    return f"{resource}.{_ACCESS.get(method.upper(), 'read')}"


def classify_outreach_error(
    response: httpx.Response, problem: RemoteProblem
) -> ConnectorError | None:
    """A PermissionDeniedError for any 403; None leaves the default (401: the token)."""
    if response.status_code != 403:
        return None
    request = response.request
    where = f"{request.method} {request.url.path}"
    said = problem.sentence()
    named = _SCOPE_IN_TEXT.search(" ".join(t for t in (problem.title, problem.detail) if t))
    scope = named.group(1) if named else scope_for(request.method, request.url.path)
    source = "Outreach named it" if named else "inferred from the request; Outreach did not name it"
    if problem.code == "unauthorizedRequest":
        title = "Outreach does not allow this request"
        what = (
            f"Outreach accepted the access token but refused {where} (HTTP 403 "
            f"unauthorizedRequest): the Outreach user's governance or permission profile does "
            f"not allow it. {said} An Outreach administrator can change the profile; a new "
            "token will not help."
        )
    else:
        title = f"The Outreach token lacks the {scope} scope"
        what = (
            f"Outreach accepted the access token but refused {where} (HTTP 403"
            f"{' ' + problem.code if problem.code else ''}): the token was not granted the "
            f"OAuth scope {scope} ({source}). {said} Add the scope to Sync Monitor's Outreach "
            "app (the README lists the scopes each feature needs) and sign in to Outreach again "
            "in Settings. The rest of the sync goes on without this part."
        )
    return PermissionDeniedError(
        OUTREACH,
        title,
        what,
        scope=scope,
        code=problem.code,
        status_code=403,
        url=str(request.url),
    )
