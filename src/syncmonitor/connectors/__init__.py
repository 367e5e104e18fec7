"""Clients for the remote services (async httpx, no Qt): Outreach and Workbooks.

Each client retries what can succeed on a second try, waits when asked to slow down, and raises
a `ConnectorError` subclass a person can act on when it cannot go on.
"""

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
from syncmonitor.connectors.workbooks.client import RecordUpdate, UpdateResult, WorkbooksClient

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
