"""`syncmonitor sandbox`: serve the emulated remotes (the options are the sandbox server's own)."""

from __future__ import annotations

from typing import Any


def add_parser(sub: Any) -> None:
    sandbox = sub.add_parser("sandbox", help="serve the emulated Outreach and Workbooks APIs")
    sandbox.add_argument("--port", type=int, default=0)
    sandbox.add_argument("--seed", type=int, default=1)
    sandbox.add_argument("--people", type=int, default=500)
    sandbox.add_argument("--states-per-person", type=float, default=3.0)
    sandbox.add_argument("--tick", type=float, default=2.0)
    sandbox.add_argument("--changes-per-tick", type=int, default=5)
    sandbox.add_argument("--host", default="127.0.0.1")


def run(argv: list[str]) -> int:
    from syncmonitor.sandbox.server import main as sandbox_main

    return sandbox_main(argv[argv.index("sandbox") + 1 :])
