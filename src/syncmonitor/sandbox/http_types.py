"""The plain request and response values the API modules trade with the HTTP server."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

import orjson


@dataclass(slots=True)
class Request:
    """One HTTP request, already read off the socket."""

    method: str
    path: str
    query: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    base_url: str  # "http://127.0.0.1:8765", as the client addressed us

    def query_pairs(self) -> list[tuple[str, str]]:
        """Query parameters in order, repeated names kept (`_ff[]=a&_ff[]=b`)."""
        return parse_qsl(self.query, keep_blank_values=True)

    def header(self, name: str, default: str = "") -> str:
        return self.headers.get(name.lower(), default)


@dataclass(slots=True)
class Response:
    """What to send back; the server adds Content-Length and applies any fault."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    after_send: Callable[[], None] | None = None  # e.g. stop the server once the client knows


def json_response(
    status: int, document: object, content_type: str = "application/json"
) -> Response:
    """A JSON answer serialised with orjson (fast enough for 1000-record pages)."""
    return Response(status, orjson.dumps(document), {"Content-Type": content_type})
