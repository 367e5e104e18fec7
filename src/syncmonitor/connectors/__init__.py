"""Clients for the remote services (async httpx, no Qt): Outreach, Workbooks, Spotler,
Salesforce and Salesmate.

Each client retries what can succeed on a second try, waits when asked to slow down, and raises
a `ConnectorError` subclass a person can act on when it cannot go on.

Importing one client does not load the others: the names below load on first use (PEP 562),
so `syncmonitor.connectors.http` alone does not bring in the Outreach and Workbooks clients.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from syncmonitor.connectors.errors import (
        AuthenticationError,
        ConnectorError,
        MalformedResponseError,
        NetworkError,
        NotFoundError,
        RateLimitedError,
        RequestRejectedError,
        ServerError,
        redact_url,
    )
    from syncmonitor.connectors.http.client import TransportStats
    from syncmonitor.connectors.http.retry import RetryPolicy
    from syncmonitor.connectors.outreach.client import (
        OutreachClient,
        ProspectRecord,
        SequenceRecord,
        SequenceStatePage,
        SequenceStateRecord,
        SequenceStepRecord,
    )
    from syncmonitor.connectors.workbooks.client import (
        RecordUpdate,
        UpdateResult,
        WorkbooksClient,
    )

_ERRORS = "syncmonitor.connectors.errors"
_OUTREACH = "syncmonitor.connectors.outreach.client"
_WORKBOOKS = "syncmonitor.connectors.workbooks.client"
_MODULES = {
    "AuthenticationError": _ERRORS,
    "ConnectorError": _ERRORS,
    "MalformedResponseError": _ERRORS,
    "NetworkError": _ERRORS,
    "NotFoundError": _ERRORS,
    "RateLimitedError": _ERRORS,
    "RequestRejectedError": _ERRORS,
    "ServerError": _ERRORS,
    "redact_url": _ERRORS,
    "TransportStats": "syncmonitor.connectors.http.client",
    "RetryPolicy": "syncmonitor.connectors.http.retry",
    "OutreachClient": _OUTREACH,
    "ProspectRecord": _OUTREACH,
    "SequenceRecord": _OUTREACH,
    "SequenceStatePage": _OUTREACH,
    "SequenceStateRecord": _OUTREACH,
    "SequenceStepRecord": _OUTREACH,
    "RecordUpdate": _WORKBOOKS,
    "UpdateResult": _WORKBOOKS,
    "WorkbooksClient": _WORKBOOKS,
}

__all__ = [
    "AuthenticationError",
    "ConnectorError",
    "MalformedResponseError",
    "NetworkError",
    "NotFoundError",
    "OutreachClient",
    "ProspectRecord",
    "RateLimitedError",
    "RecordUpdate",
    "RequestRejectedError",
    "RetryPolicy",
    "SequenceRecord",
    "SequenceStatePage",
    "SequenceStateRecord",
    "SequenceStepRecord",
    "ServerError",
    "TransportStats",
    "UpdateResult",
    "WorkbooksClient",
    "redact_url",
]


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
