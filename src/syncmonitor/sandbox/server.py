"""The sandbox HTTP server: Outreach, Workbooks and the admin API on one loopback port.

Standard library only (`http.server`), HTTP/1.1 with keep-alive: every answer has a
Content-Length and goes out in one write, so httpx reuses its connections and Nagle's algorithm
never holds back the tail of a page. Fault switches are applied here, around the API modules,
so that the APIs themselves stay faithful.

Run it with `syncmonitor sandbox ...` or `python -m syncmonitor.sandbox ...`; `main()` prints one
JSON "ready" line on stdout once it listens and serves until SIGTERM/SIGINT, `POST
/_admin/shutdown`, or the end of its stdin when that is a pipe (so it dies with its parent).
"""

from __future__ import annotations

import argparse
import email.utils
import gc
import json
import os
import signal
import socket
import stat
import sys
import threading
import time
import traceback
from collections import Counter
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from syncmonitor.sandbox import (
    mailshot_fields,  # noqa: F401  (registers the mailshot endpoints)
    outreach_api,
    outreach_oauth,
    salesforce_api,
    salesmate_api,
)
from syncmonitor.sandbox.admin_routes import AdminApi, Ticker
from syncmonitor.sandbox.cursor_faults import bend_next_link
from syncmonitor.sandbox.faults import Faults, Plan
from syncmonitor.sandbox.gatormail import GatorMail, write_fault
from syncmonitor.sandbox.http_types import Request, Response, json_response
from syncmonitor.sandbox.outreach_api import OutreachApi, error_response
from syncmonitor.sandbox.outreach_oauth import OAuthServer, oauth_from_environment
from syncmonitor.sandbox.salesforce_api import SalesforceApi
from syncmonitor.sandbox.salesmate_api import SalesmateApi
from syncmonitor.sandbox.spotler_api import PREFIX as SPOTLER_PREFIX
from syncmonitor.sandbox.spotler_api import SpotlerApi, spotler_error
from syncmonitor.sandbox.workbooks_api import WorkbooksApi, failure
from syncmonitor.sandbox.world import World

ENV_OUTREACH_TOKEN = "SYNCMONITOR_SANDBOX_OUTREACH_TOKEN"
ENV_OUTREACH_MISSING_SCOPES = "SYNCMONITOR_SANDBOX_OUTREACH_MISSING_SCOPES"
ENV_WORKBOOKS_API_KEY = "SYNCMONITOR_SANDBOX_WORKBOOKS_API_KEY"
DEFAULT_OUTREACH_TOKEN = "sandbox-outreach-token"
DEFAULT_WORKBOOKS_API_KEY = "sandbox-workbooks-key"
ENV_SALESFORCE_TOKEN = "SYNCMONITOR_SANDBOX_SALESFORCE_TOKEN"
DEFAULT_SALESFORCE_TOKEN = "sandbox-salesforce-token"
ENV_SPOTLER_CONSUMER_KEY = "SYNCMONITOR_SANDBOX_SPOTLER_CONSUMER_KEY"
ENV_SPOTLER_CONSUMER_SECRET = "SYNCMONITOR_SANDBOX_SPOTLER_CONSUMER_SECRET"
DEFAULT_SPOTLER_CONSUMER_KEY = "sandbox-spotler-key"
DEFAULT_SPOTLER_CONSUMER_SECRET = "sandbox-spotler-secret"

_OUTREACH_FAULT_CODES = {
    400: "badRequest",
    401: "unauthorized",
    403: "unauthorizedRequest",
    404: "resourceNotFound",
    422: "validationError",
    429: "rateLimitExceeded",
    503: "scheduledServerMaintenance",
}


class SandboxServer(ThreadingHTTPServer):
    """A threaded HTTP server that owns the world, the faults and the three APIs."""

    daemon_threads = True
    request_queue_size = 64

    def __init__(
        self,
        address: tuple[str, int],
        world: World,
        *,
        outreach_token: str,
        workbooks_api_key: str,
        tick: float = 0.0,
        changes_per_tick: int = 5,
        salesforce_token: str = DEFAULT_SALESFORCE_TOKEN,
        salesmate_token: str = salesmate_api.DEFAULT_TOKEN,
        spotler_consumer_key: str = DEFAULT_SPOTLER_CONSUMER_KEY,
        spotler_consumer_secret: str = DEFAULT_SPOTLER_CONSUMER_SECRET,
    ) -> None:
        super().__init__(address, _Handler)
        self.world = world
        self.faults = Faults(world.seed)
        self.ticker = Ticker(world, tick, changes_per_tick)
        self.oauth: OAuthServer = oauth_from_environment()
        self.outreach = OutreachApi(world, outreach_token, also_valid=self.oauth.is_valid)
        # Scopes the tokens lack from the start (space-separated, e.g. "calls.read"); the admin
        # API's /outreach/scopes changes them while it runs.
        self.outreach.scopes.missing = set(os.environ.get(ENV_OUTREACH_MISSING_SCOPES, "").split())
        self.workbooks = WorkbooksApi(world, workbooks_api_key, self.faults)
        self.salesforce = SalesforceApi(world, salesforce_token)
        self.gatormail = GatorMail(world)
        self.spotler = SpotlerApi(
            world, self.gatormail, spotler_consumer_key, spotler_consumer_secret
        )
        self.admin = AdminApi(
            world,
            self.faults,
            self.ticker,
            self._stats,
            self.request_stop,
            oauth=self.oauth,
            gatormail=self.gatormail,
            outreach_scopes=self.outreach.scopes,
        )
        self.salesmate = SalesmateApi(world, salesmate_token)
        self._counts: Counter[str] = Counter()
        self._counts_lock = threading.Lock()
        self._stopping = threading.Event()
        self._in_flight = 0
        self._idle = threading.Condition()

    def begin_request(self) -> None:
        with self._idle:
            self._in_flight += 1

    def end_request(self) -> None:
        with self._idle:
            self._in_flight -= 1
            self._idle.notify_all()

    def wait_until_idle(self, timeout: float) -> None:
        """Let requests being answered finish before the process exits (daemon threads die)."""
        with self._idle:
            self._idle.wait_for(lambda: self._in_flight == 0, timeout=timeout)

    @property
    def url_host(self) -> str:
        host = str(self.server_address[0])
        if host in ("0.0.0.0", "::", ""):
            return "127.0.0.1"
        return f"[{host}]" if ":" in host else host

    def ready_line(self) -> dict[str, Any]:
        root = f"http://{self.url_host}:{self.server_port}"
        return {
            "event": "ready",
            "port": self.server_port,
            "outreach_base_url": root + outreach_api.PREFIX,
            "workbooks_base_url": root + "/workbooks",
            "salesforce_base_url": root + salesforce_api.PREFIX,
            "admin_url": root + "/_admin",
            "salesmate_base_url": root + salesmate_api.PREFIX,
            "salesmate_linkname": salesmate_api.LINKNAME,
            "spotler_base_url": root + SPOTLER_PREFIX,
        }

    def request_stop(self) -> None:
        """Stop serving, from any thread (shutdown() itself blocks until the loop exits)."""
        if not self._stopping.is_set():
            self._stopping.set()
            threading.Thread(target=self.shutdown, name="sandbox-stop", daemon=True).start()

    def _stats(self) -> dict[str, Any]:
        with self._counts_lock:
            return {"requests": dict(self._counts)}

    def answer(self, request: Request, client_host: str) -> tuple[Response, str | None]:
        """The response for one request and the body fault to apply when sending it."""
        path = request.path
        # Salesmate: its own prefix, budget and fault switches (see salesmate_api).
        if path.startswith(salesmate_api.API + "/"):
            self._count("salesmate")
            return self.salesmate.handle(request), None
        if path.startswith(salesmate_api.ADMIN + "/"):
            self._count("admin")
            return self.salesmate.admin(request, client_host), None
        if path.startswith(outreach_api.PREFIX + "/") or path == outreach_api.PREFIX:
            service = "outreach"
        elif path.startswith("/workbooks/"):
            service = "workbooks"
        elif path == outreach_oauth.PATH:
            self._count("outreach-oauth")
            return self.oauth.handle(request), None
        elif path == outreach_oauth.AUTHORIZE_PATH:
            self._count("outreach-oauth")
            return self.oauth.authorize(request), None
        elif path.startswith(salesforce_api.PREFIX + "/"):
            service = "salesforce"
        elif path.startswith(SPOTLER_PREFIX + "/"):
            service = "spotler"
        elif path == "/_admin" or path.startswith("/_admin/"):
            self._count("admin")
            return self.admin.handle(request, client_host), None
        else:
            return json_response(404, {"error": f"Nothing is served at {path}."}), None
        self._count(service)
        if request.method not in ("GET", "HEAD"):
            self._count(f"{service}-writes")  # what the idempotence tests count
        rate_headers: dict[str, str] = {}
        if service == "outreach":
            allowed, rate_headers = self.faults.spend_rate_limit()
            if not allowed:
                limited = error_response(
                    429, "rateLimitExceeded", "The hourly request budget is spent."
                )
                limited.headers.update(rate_headers)
                return limited, None
        plan = self.faults.plan(service)
        if plan.latency_seconds:
            time.sleep(plan.latency_seconds)
        response = self._faulted(service, request, plan)
        if response is None and service == "workbooks":
            response = write_fault(self.gatormail, request, self.workbooks.handle)
        if response is None:
            apis = {
                "outreach": self.outreach,
                "workbooks": self.workbooks,
                "spotler": self.spotler,
                "salesforce": self.salesforce,
            }
            response = apis[service].handle(request)
            if plan.cursor_fault is not None:
                response = bend_next_link(self.outreach, request, response, plan.cursor_fault)
        response.headers.update(rate_headers)
        return response, plan.body_fault

    def _faulted(self, service: str, request: Request, plan: Plan) -> Response | None:
        if plan.redirect:
            # Workbooks slows a client down by sending it back to the very same URL.
            location = (
                request.base_url + request.path + (f"?{request.query}" if request.query else "")
            )
            return Response(302, b"", {"Location": location})
        status = plan.fail_status
        if status is None:
            return None
        detail = f"Sandbox fault: this request was answered with HTTP {status} on purpose."
        reason = self.faults.snapshot().get("fail_reason")
        if service == "outreach":
            default = "internalServerError" if status >= 500 else "badRequest"
            code = reason or _OUTREACH_FAULT_CODES.get(status, default)
            response = error_response(status, code, detail)
        elif service == "salesforce":
            response = json_response(
                status, [{"message": detail, "errorCode": reason or "SERVER_ERROR"}]
            )
        elif service == "spotler":
            response = spotler_error(status, "INTERNAL_ERROR" if status >= 500 else "ERROR", detail)
        else:
            response = failure(status, detail, reason)
        retry_after = self.faults.snapshot()["retry_after"]
        if status in (429, 503) and retry_after is not None:
            response.headers["Retry-After"] = str(retry_after)
        return response

    def _count(self, service: str) -> None:
        with self._counts_lock:
            self._counts[service] += 1


class _Handler(BaseHTTPRequestHandler):
    """Reads a request, asks the server for the answer, writes it in one piece."""

    protocol_version = "HTTP/1.1"
    server: SandboxServer

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: a sync reads thousands of pages and stderr is for problems."""

    def do_GET(self) -> None:
        self._serve()

    do_PUT = do_POST = do_DELETE = do_PATCH = do_GET

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        path, _, query = self.path.partition("?")
        host = self.headers.get("Host") or f"{self.server.url_host}:{self.server.server_port}"
        request = Request(
            self.command,
            path,
            query,
            {name.lower(): value for name, value in self.headers.items()},
            body,
            f"http://{host}",
        )
        self.server.begin_request()
        try:
            try:
                response, body_fault = self.server.answer(request, self.client_address[0])
            except Exception:  # a bug in the sandbox must still answer, or the client hangs
                traceback.print_exc(file=sys.stderr)
                response = json_response(500, {"error": "sandbox bug, see its stderr"})
                body_fault = None
            self._write(response, body_fault)
        finally:
            self.server.end_request()
        if response.after_send is not None:
            response.after_send()

    def _write(self, response: Response, body_fault: str | None) -> None:
        body = response.body
        if body_fault == "malformed":
            # Still looks like JSON from afar; no parser accepts it.
            body = body.replace(b":", b"=", 1) if b":" in body else b"{" + body
        elif body_fault == "truncate":
            body = body[: len(body) // 2]
        declared = len(body)
        if body_fault == "drop":
            body = body[: len(body) // 2]  # and the connection closes: short of Content-Length
            self.close_connection = True
        try:
            phrase = HTTPStatus(response.status).phrase
        except ValueError:
            phrase = "Status"
        lines = [f"HTTP/1.1 {response.status} {phrase}"]
        lines += [f"{name}: {value}" for name, value in response.headers.items()]
        lines.append(f"Content-Length: {declared}")
        lines.append(f"Date: {email.utils.formatdate(usegmt=True)}")
        if self.close_connection and body_fault != "drop":
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        try:
            self.wfile.write(head + body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="syncmonitor sandbox",
        description="Serve emulated Outreach and Workbooks APIs with a generated world.",
    )
    parser.add_argument("--port", type=int, default=0, help="port to listen on (0: any free one)")
    parser.add_argument("--seed", type=int, default=1, help="the same seed builds the same world")
    parser.add_argument("--people", type=int, default=200, help="Workbooks people (= prospects)")
    parser.add_argument("--states-per-person", type=float, default=3.0)
    parser.add_argument(
        "--tick", type=float, default=2.0, help="seconds between changes; 0 freezes"
    )
    parser.add_argument("--changes-per-tick", type=int, default=5)
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Build the world, listen, print the ready line, serve until told to stop."""
    args = _parser().parse_args(argv)
    if args.people < 0 or args.states_per_person < 0 or args.tick < 0 or args.changes_per_tick < 0:
        print("sandbox: counts and --tick must not be negative", file=sys.stderr)
        return 2
    started = time.perf_counter()
    world = World.generate(args.seed, args.people, args.states_per_person)
    # The world is long-lived: keep the cyclic collector from walking it again and again.
    gc.freeze()
    built = time.perf_counter() - started
    try:
        server = SandboxServer(
            (args.host, args.port),
            world,
            outreach_token=os.environ.get(ENV_OUTREACH_TOKEN) or DEFAULT_OUTREACH_TOKEN,
            workbooks_api_key=os.environ.get(ENV_WORKBOOKS_API_KEY) or DEFAULT_WORKBOOKS_API_KEY,
            tick=args.tick,
            changes_per_tick=args.changes_per_tick,
            salesforce_token=os.environ.get(ENV_SALESFORCE_TOKEN) or DEFAULT_SALESFORCE_TOKEN,
            salesmate_token=os.environ.get(salesmate_api.ENV_TOKEN) or salesmate_api.DEFAULT_TOKEN,
            spotler_consumer_key=os.environ.get(ENV_SPOTLER_CONSUMER_KEY)
            or DEFAULT_SPOTLER_CONSUMER_KEY,
            spotler_consumer_secret=os.environ.get(ENV_SPOTLER_CONSUMER_SECRET)
            or DEFAULT_SPOTLER_CONSUMER_SECRET,
        )
    except OSError as error:
        print(f"sandbox: cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 1
    _install_stop_triggers(server)
    server.ticker.start()
    server.gatormail.start()
    _announce(json.dumps(server.ready_line()))
    print(
        f"sandbox: {len(world.people)} people, {len(world.sequence_states)} sequence states "
        f"(seed {args.seed}) built in {built:.2f}s; listening on port {server.server_port}",
        file=sys.stderr,
        flush=True,
    )
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.ticker.stop()
        server.gatormail.stop()
        server.wait_until_idle(timeout=5)
        server.server_close()
    return 0


def _announce(line: str) -> None:
    """Print the ready line. A windowed (PyInstaller) build has no sys.stdout, yet the pipe the
    parent gave it is still file descriptor 1."""
    if sys.stdout is not None:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
    else:
        os.write(1, (line + "\n").encode())


def _install_stop_triggers(server: SandboxServer) -> None:
    def on_signal(signum: int, frame: object) -> None:
        server.request_stop()

    if threading.current_thread() is threading.main_thread():
        for name in ("SIGTERM", "SIGINT", "SIGHUP"):
            if hasattr(signal, name):
                signal.signal(getattr(signal, name), on_signal)
    if _stdin_is_pipe():
        threading.Thread(
            target=_wait_for_stdin_eof, args=(server,), name="sandbox-stdin", daemon=True
        ).start()


def _stdin_is_pipe() -> bool:
    """Only a pipe means "a parent is watching". A terminal or /dev/null must not stop us:
    `syncmonitor sandbox &` in a script gets /dev/null as stdin and would exit at once.

    Descriptor 0 rather than sys.stdin, which a windowed build sets to None."""
    try:
        mode = os.fstat(0).st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


def _wait_for_stdin_eof(server: SandboxServer) -> None:
    # os.read on the descriptor, not sys.stdin: a daemon thread blocked inside the buffered
    # reader holds its lock, and the interpreter then aborts at exit instead of leaving quietly.
    try:
        while os.read(0, 4096):
            pass
    except OSError:
        pass
    server.request_stop()
