"""Recoveries in the users' words: what to say when a failure that was told stops happening.

A run's failure is told once per cause (`report.failure_notices`); when a later run gets through
the part that cause failed, the person hears once that it works again, named after the cause:
"Outreach accepts the access token again", not a bare "Sync works again". The wording per kind
of failure is ours (no vendor document covers it): it says what is true again, no more.
"""

from __future__ import annotations

import re

from syncmonitor.engine.runs.report import Cause

_SCOPE = re.compile(r"lacks the (\S+) scope")

_BY_KIND = {
    "auth": "{service} accepts the sign-in again",
    "permission": "{service} allows what Sync Monitor needs again",
    "offline": "{service} can be reached again",
    "unavailable": "{service} is available again",
    "rate-limited": "{service} no longer limits the rate",
    "server": "{service} answers normally again",
    "malformed": "{service} answers in the expected form again",
}
_OUTREACH_AUTH = "Outreach accepts the access token again"
_WORKBOOKS_AUTH = "Workbooks accepts the API key again"


def recovery_title(cause: Cause) -> str:
    """The headline for the end of `cause`'s failure streak."""
    service = cause.service or ""
    if cause.kind == "auth" and service == "Outreach":
        return _OUTREACH_AUTH
    if cause.kind == "auth" and service == "Workbooks":
        return _WORKBOOKS_AUTH
    if cause.kind == "permission" and (scope := _SCOPE.search(cause.title)):
        return f"{service or 'The remote'} grants the {scope.group(1)} scope now"
    kind = cause.kind or ""
    if kind == "server" and "unavailable" in cause.title.lower():
        kind = "unavailable"  # a 503 the connector words as "unavailable" but types as a 5xx
    template = _BY_KIND.get(kind)
    if template and service:
        return template.format(service=service)
    return "Sync works again"


def recovery_message(cause: Cause, summary: str) -> str:
    """What the recovery notice and the log line say after the headline."""
    parts = ", ".join(cause.jobs)
    was = f'It had failed with "{cause.title}"'
    was += f" ({parts})." if parts else "."
    return f"{was} {summary}".strip()
