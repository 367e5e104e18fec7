"""Paging faults for Outreach collections: a `links.next` that repeats or skips a page.

`repeat`: the next link points at the page just served, so a client that follows it blindly reads
the same records again (and, if it does not notice, could go round forever). `skip`: the next link
points past the following page, so its records never arrive in this pass (a client that trusts
the cursor loses them unless it checks `meta.count`).
"""

from __future__ import annotations

from typing import Any, Protocol
from urllib.parse import urlsplit

import orjson

from syncmonitor.sandbox.http_types import Request, Response


class _Api(Protocol):
    def handle(self, request: Request) -> Response: ...


def bend_next_link(api: _Api, request: Request, response: Response, kind: str) -> Response:
    """`response` with its `links.next` bent by `kind`; unchanged when there is no next page."""
    if response.status != 200:
        return response
    document: Any = orjson.loads(response.body)
    links = document.get("links") if isinstance(document, dict) else None
    if not isinstance(links, dict) or not links.get("next"):
        return response
    if kind == "repeat":
        here = request.base_url + request.path + (f"?{request.query}" if request.query else "")
        links["next"] = here
    else:  # skip: ask for the next page ourselves and point past it
        following = urlsplit(links["next"])
        beyond = api.handle(
            Request("GET", following.path, following.query, request.headers, b"", request.base_url)
        )
        after: Any = orjson.loads(beyond.body) if beyond.status == 200 else {}
        next_links = after.get("links", {}) if isinstance(after, dict) else {}
        if next_links.get("next"):
            links["next"] = next_links["next"]
        else:
            del links["next"]  # the skipped page was the last one
    return Response(response.status, orjson.dumps(document), response.headers, response.after_send)
