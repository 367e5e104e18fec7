"""A small hostile HTTP server on 127.0.0.1 that plays Outreach badly, one misbehaviour per mode.

    with HostileServer("drip") as server:
        server.base_url          # http://127.0.0.1:PORT/api/v2
        server.requests          # how many requests it has answered so far

Modes (the `mode` argument; `option` tunes some of them):

- `ok`: one empty sequenceStates page.
- `drip`: a valid 150-byte page, one byte every `option` seconds (default 5).
- `endless`: a chunked JSON body that never ends.
- `gzip_bomb`: a 200 OK whose gzip body inflates to `option` bytes (default 1 GiB).
- `deep_json`: an array nested 200,000 deep.
- `html200`: a captive portal's sign-in page, with 200 OK.
- `next_loop`: empty pages, each linking to a fresh next page, for ever.
- `next_loop_data`: one record a page, `meta.count` = 1, each linking to a fresh next page.
- `header`: 429 (or, with `status`, another status) with the headers in `headers`.
- `echo_auth`: an empty page; records every Authorization header it was sent.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import itertools
import json
import threading
import time
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_GONE = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError)
EMPTY_PAGE = b'{"data":[],"included":[],"meta":{"count":0},"links":{}}'


def state_record(record_id: int) -> dict[str, Any]:
    return {
        "type": "sequenceState",
        "id": record_id,
        "attributes": {
            "state": "active",
            "stateChangedAt": "2026-01-01T00:00:00.000Z",
            "updatedAt": "2026-01-01T00:00:00.000Z",
            "createdAt": "2026-01-01T00:00:00.000Z",
            "pauseReason": None,
            "errorReason": None,
            "replyCount": 0,
            "bounceCount": 0,
            "optOutCount": 0,
        },
        "relationships": {
            "prospect": {"data": {"type": "prospect", "id": 1}},
            "sequence": {"data": {"type": "sequence", "id": 1}},
            "sequenceStep": {"data": None},
        },
    }


def _gzip_bomb(size: int) -> bytes:
    """A gzip document of `size` zero bytes (about a thousandth of that on the wire)."""
    out = io.BytesIO()
    block = b"\0" * (1024 * 1024)
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=9) as packer:
        for _ in range(size // len(block)):
            packer.write(block)
    return out.getvalue()


class HostileServer:
    """The server in a background thread; a context manager that stops it on exit."""

    def __init__(
        self,
        mode: str,
        *,
        option: float | None = None,
        headers: Mapping[str, str] | None = None,
        status: int = 429,
    ) -> None:
        self.mode = mode
        self.option = option
        self.headers = dict(headers or {})
        self.status = status
        self.requests = 0
        self.authorizations: list[str] = []
        self._cursor = itertools.count(1)
        self._lock = threading.Lock()
        self._bomb = _gzip_bomb(int(option or 1024**3)) if mode == "gzip_bomb" else b""
        self._stop = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def handle(self) -> None:
                with contextlib.suppress(*_GONE):
                    super().handle()

            def do_GET(self) -> None:
                with server._lock:
                    server.requests += 1
                    server.authorizations.append(self.headers.get("Authorization", ""))
                with contextlib.suppress(*_GONE):
                    server._answer(self)

            do_POST = do_GET

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._http.daemon_threads = True
        self.port = self._http.server_address[1]
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v2"

    def __enter__(self) -> HostileServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._http.shutdown()
        self._http.server_close()

    # -- the modes ----------------------------------------------------------------------------

    def _send(self, h: BaseHTTPRequestHandler, status: int, body: bytes, **headers: str) -> None:
        h.send_response(status)
        h.send_header("Content-Type", "application/vnd.api+json")
        h.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            h.send_header(name.replace("_", "-"), value)
        h.end_headers()
        h.wfile.write(body)

    def _next_page(self, h: BaseHTTPRequestHandler, data: list[Any], count: int | None) -> None:
        cursor = next(self._cursor)
        document: dict[str, Any] = {
            "data": data,
            "included": [],
            "links": {"next": f"{self.base_url}/sequenceStates?page%5Bafter%5D=c{cursor}"},
        }
        if count is not None:
            document["meta"] = {"count": count}
        self._send(h, 200, json.dumps(document).encode())

    def _answer(self, h: BaseHTTPRequestHandler) -> None:
        mode = self.mode
        if mode in ("ok", "echo_auth"):
            self._send(h, 200, EMPTY_PAGE)
        elif mode == "drip":
            body = EMPTY_PAGE.ljust(150)
            h.send_response(200)
            h.send_header("Content-Type", "application/vnd.api+json")
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.flush()
            for byte in body:
                if self._stop.wait(self.option or 5.0):
                    return
                h.wfile.write(bytes([byte]))
                h.wfile.flush()
        elif mode == "endless":
            h.send_response(200)
            h.send_header("Content-Type", "application/vnd.api+json")
            h.send_header("Transfer-Encoding", "chunked")
            h.end_headers()
            chunk = b'{"type":"sequenceState","id":1,"attributes":{}},' * 1000
            frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
            head = b'{"data":['
            h.wfile.write(f"{len(head):x}\r\n".encode() + head + b"\r\n")
            while not self._stop.is_set():
                h.wfile.write(frame)
        elif mode == "gzip_bomb":
            self._send(h, 200, self._bomb, Content_Encoding="gzip")
        elif mode == "html200":
            page = b"<!DOCTYPE html><html><body>Please sign in to the Wi-Fi</body></html>"
            h.send_response(200)
            h.send_header("Content-Type", "text/html; charset=utf-8")
            h.send_header("Content-Length", str(len(page)))
            h.end_headers()
            h.wfile.write(page)
        elif mode == "deep_json":
            self._send(h, 200, b"[" * 200_000 + b"]" * 200_000)
        elif mode == "next_loop":
            self._next_page(h, [], None)
        elif mode == "next_loop_data":
            self._next_page(h, [state_record(next(self._cursor))], 1)
        elif mode == "header":
            body = b'{"errors":[{"title":"slow down"}]}'
            if self.status == 200:
                body = EMPTY_PAGE
            extra = {k.replace("-", "_"): v for k, v in self.headers.items()}
            self._send(h, self.status, body, **extra)
        else:  # pragma: no cover - a typo in a test
            raise ValueError(f"unknown mode {mode!r}")


def wait_until(predicate: Any, timeout: float = 10.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return False
