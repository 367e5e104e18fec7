"""Bounds on what one remote can make the app do: time per request, bytes per answer, pages.

A remote (or whatever answers in its place: a proxy, a captive portal, a wrong address) can
drip an answer one byte at a time, send a body that never ends, a small gzip that inflates to
gigabytes, or a new "next page" link for ever. Each of these must end in one clear error, in
bounded time and memory, in the GUI process as in the command line:

- `Limits.deadline_for(timeout)`: an overall deadline for one exchange (send, headers and the
  whole body), on top of httpx's per-read timeout.
- `read_capped()`: the body is streamed and decompressed chunk by chunk and refused once it
  passes `Limits.max_answer_bytes` (a declared Content-Length past the cap is refused unread).
- `PageBudget`: how many pages one read may take, from the count the remote announced (when it
  did) with a generous margin, never more than `Limits.max_pages`; and a run of empty pages that
  still link to a next page stops the read.

Each limit is far above anything a real service needs (the numbers are in the fields' comments)
and is an inference of ours: no vendor documents an upper bound.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass

import httpx

from syncmonitor.connectors.errors import MalformedResponseError, NetworkError


@dataclass(frozen=True, slots=True)
class Limits:
    """The bounds one client applies (one instance per client; tests make them small)."""

    # Overall deadline of one exchange, in seconds. None: twice the read timeout, at least 30 s
    # (60 s with the default 30 s timeout). A 1,000-record Outreach page is about 2 MB: at
    # 1 Mbit/s it takes 16 s.
    request_deadline: float | None = None
    # Bytes of one answer after decompression. The largest real page we know (Spotler, 10,000
    # campaigns) is under 10 MB.
    max_answer_bytes: int = 32 * 1024 * 1024
    # Pages of one read when the remote announced no count (Outreach at 1,000 records a page:
    # 20 million records, two hours of its hourly budget).
    max_pages: int = 20_000
    # Empty pages in a row that still link to another page before the read stops.
    max_empty_pages: int = 3

    def __post_init__(self) -> None:
        if self.request_deadline is not None and not self.request_deadline > 0:
            raise ValueError("request_deadline must be positive")
        if self.max_answer_bytes < 1 or self.max_pages < 1 or self.max_empty_pages < 1:
            raise ValueError("limits must be at least 1")

    def deadline_for(self, timeout: httpx.Timeout) -> float:
        """The overall deadline of one exchange for a client with this `timeout`."""
        if self.request_deadline is not None:
            return self.request_deadline
        read = timeout.read if timeout.read is not None else 30.0
        return max(30.0, 2.0 * read)


def _count(number: int, unit: str) -> str:
    return f"{number:,} {unit}{'' if number == 1 else 's'}"


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):,.0f} MB" if size >= 1024 * 1024 else f"{size:,} bytes"


def too_large(service: str, request: httpx.Request, cap: int, declared: int | None) -> Exception:
    where = f"{request.method} {request.url.path}"
    said = f" (it announced {megabytes(declared)})" if declared is not None else ""
    return MalformedResponseError(
        service,
        f"{service} sent an answer too large to read",
        f"The answer to {where} is larger than {megabytes(cap)} once decompressed{said}, far "
        f"more than {service} sends for one page. Sync Monitor stopped reading it so that the "
        f"computer's memory is not used up. Check the {service} address in Settings (it may "
        "point at something that is not its API, or a proxy may be altering traffic); if it is "
        "right, report this with the log file.",
        retryable=False,
        status_code=None,
        url=str(request.url),
    )


def too_slow(service: str, request: httpx.Request, deadline: float, received: int) -> NetworkError:
    where = f"{request.method} {request.url.path}"
    return NetworkError(
        service,
        f"{service} did not finish answering in time",
        f"{where} took longer than {deadline:.0f} s in all ({received:,} bytes had arrived), so "
        "Sync Monitor gave up on it rather than hold the sync. A service this slow is usually "
        "overloaded, or something on the network (a proxy or VPN) is holding the answer back. "
        "The next sync tries again; if it keeps happening, check the network and the "
        f"{service} address in Settings.",
        retryable=False,
        url=str(request.url),
        request_sent=True,
    )


class _Inflater:
    """gzip or deflate, decompressed at most `room` bytes at a time (zlib's `max_length`), so
    that a bomb is refused once past the cap instead of being inflated first."""

    def __init__(self, encoding: str) -> None:
        self._deflate = encoding == "deflate"
        self._zlib = zlib.decompressobj(
            zlib.MAX_WBITS | 16 if not self._deflate else zlib.MAX_WBITS
        )
        self._first = True

    def feed(self, data: bytes, room: int) -> tuple[bytes, bool]:
        """(some output, whether input is left over); never more than `room` + 1 bytes."""
        try:
            out = self._zlib.decompress(data, room + 1)
        except zlib.error:
            if not (self._deflate and self._first):
                raise
            # "deflate" sent without its zlib header, as some servers do (httpx allows it too)
            self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
            out = self._zlib.decompress(data, room + 1)
        self._first = False
        return out, bool(self._zlib.unconsumed_tail)

    def more(self, room: int) -> tuple[bytes, bool]:
        out = self._zlib.decompress(self._zlib.unconsumed_tail, room + 1)
        return out, bool(self._zlib.unconsumed_tail)


async def read_capped(response: httpx.Response, service: str, cap: int) -> bytes:
    """Read a streamed response's whole body, decompressed, refusing it past `cap` bytes.

    The body is kept on the response (`response.content` works afterwards). gzip and deflate
    are inflated here, never more than the cap allows; other encodings (brotli, zstd) go
    through httpx's decoders chunk by chunk, costing at most one chunk's expansion.
    """
    declared = response.headers.get("content-length")
    encoded = response.headers.get("content-encoding", "identity").strip().lower()
    if declared and declared.isdigit() and encoded in ("", "identity") and int(declared) > cap:
        raise too_large(service, response.request, cap, int(declared))
    body = bytearray()
    if encoded in ("gzip", "x-gzip", "deflate"):
        inflater = _Inflater("deflate" if encoded == "deflate" else "gzip")
        try:
            async for raw in response.aiter_raw():
                out, left = inflater.feed(raw, cap - len(body))
                while True:
                    body += out
                    if len(body) > cap:
                        raise too_large(service, response.request, cap, None)
                    if not left:
                        break
                    out, left = inflater.more(cap - len(body))
        except zlib.error as exc:
            raise httpx.DecodingError(f"the {encoded} body is damaged: {exc}") from None
    else:
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > cap:
                raise too_large(service, response.request, cap, None)
    content = bytes(body)
    response._content = content  # what `response.aread()` would have kept
    return content


class PageBudget:
    """How many pages one read may take; `page()` after each one raises when it is over.

    `announce(total)` gives the number of records the remote said the whole read has (Outreach
    `meta.count`, Salesforce `totalSize`): the read may then take twice the pages those records
    fill, plus ten (records changed while paging come again), and never more than
    `limits.max_pages`. A run of `limits.max_empty_pages` empty pages ends it too.
    """

    def __init__(self, service: str, what: str, page_size: int, limits: Limits) -> None:
        self.service = service
        self.what = what
        self.page_size = max(1, page_size)
        self.limits = limits
        self.announced: int | None = None
        self.pages = 0
        self.records = 0
        self.largest = 0  # the most records one page held: the remote's real page size
        self._empty_run = 0

    def announce(self, total: int | None) -> None:
        if total is not None and total >= 0 and self.announced is None:
            self.announced = total

    @property
    def size(self) -> int:
        """Records per page: as asked, or fewer when the remote's pages are smaller."""
        return min(self.page_size, self.largest) if self.largest else self.page_size

    @property
    def needed(self) -> int:
        return math.ceil((self.announced or 0) / self.size)

    @property
    def allowed(self) -> int:
        if self.announced is None:
            return self.limits.max_pages
        return min(self.limits.max_pages, 2 * self.needed + 10)

    def page(self, records: int, *, more: bool) -> None:
        """Count one page of `records`; `more` says it links to another. Raises when over."""
        self.pages += 1
        self.records += records
        self.largest = max(self.largest, records)
        self._empty_run = self._empty_run + 1 if records == 0 else 0
        if not more:
            return
        if self._empty_run >= self.limits.max_empty_pages:
            raise self._stop(
                f"{self._empty_run} empty pages in a row each linked to yet another page"
            )
        if self.pages >= self.allowed:
            if self.announced is not None:
                why = (
                    f"{self.service} announced {_count(self.announced, 'record')}, which fit in "
                    f"{_count(self.needed, 'page')} of {self.size:,}, yet after "
                    f"{_count(self.pages, 'page')} ({_count(self.records, 'record')}) it still "
                    "linked to another page"
                )
            else:
                why = (
                    f"after {self.pages:,} pages ({self.records:,} records), the most one read "
                    f"may take, {self.service} still linked to another page"
                )
            raise self._stop(why)

    def _stop(self, why: str) -> MalformedResponseError:
        return MalformedResponseError(
            self.service,
            f"{self.service} kept sending pages",
            f"Reading {self.what} stopped: {why}. Sync Monitor stops such a read so that it "
            f"cannot run for ever or spend the whole {self.service} request budget. What was "
            "read is kept. Try the sync again later; if it persists, report it with the log "
            f"file (the {self.service} paging may be broken).",
            retryable=False,
        )
