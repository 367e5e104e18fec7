"""`syncmonitor queue [--json]`: the GatorMail mailshot queue, read once, headless.

In sandbox mode a sandbox is started for the read (its queue starts moving at once), as for
`sync --once`. Exit 0 when every read worked (even when the queue is blocked: the output says
so); 1 when a read failed: the output still shows what was read, each failed read is one NOTE
line (also on stderr) saying which figures it leaves stale and why.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from syncmonitor.app.config import Config
from syncmonitor.app.paths import AppPaths
from syncmonitor.cli.exit_codes import EXIT_FAILED, EXIT_OK
from syncmonitor.domain.durations import duration_text


def add_parser(sub: Any) -> None:
    queue = sub.add_parser(
        "queue", help="the GatorMail mailshot queue: states, positions, ETAs and problems"
    )
    queue.add_argument("--json", action="store_true", help="print as JSON")


def run(args: argparse.Namespace, config: Config, paths: AppPaths) -> int:
    as_json = args.json
    from syncmonitor.engine.bootstrap import start_services

    services = start_services(config, paths)
    try:
        result = services.queue.read_once()
    finally:
        services.close()
    if result.error is not None and not result.snapshot.items:
        print(f"{result.error.title}: {result.error.message}", file=sys.stderr)
        return EXIT_FAILED
    data = services.queue.as_json(result)
    failed = [n["message"] for n in data["notes"] if n["code"] == "read_failed"]
    code = EXIT_FAILED if result.error is not None or failed else EXIT_OK
    for line in failed:
        print(line, file=sys.stderr)
    if as_json:
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return code
    if data["problem"]:
        print(f"PROBLEM: {data['problem']['message']}\n")
    for note in data["notes"]:  # one line each: what could not be read or told
        print(f"NOTE: {note['message']}")
    if data["notes"]:
        print()
    queued = [m for m in data["mailshots"] if m["position"] is not None]
    print(f"{len(queued)} mailshot(s) in the GatorMail queue")
    for m in queued:
        print(
            f"  {m['position']:>3}. {m['state']:<8} {m['name'][:60]:<60} "
            f"[{m['workbooks_status']}] "
            f"audience {m['audience'] if m['audience'] is not None else '?':>6}  "
            f"ETA {duration_text(m['eta_s'])} (inferred)"
        )
        for problem in m["problems"]:
            print(f"       ! {problem['message']}")
    others = [m for m in data["mailshots"] if m["position"] is None][:10]
    if others:
        print("\nRecently:")
        for m in others:
            print(f"       {m['state']:<9} {m['name'][:60]} [{m['workbooks_status']}]")
            for problem in m["problems"]:
                print(f"       ! {problem['message']}")
    return code
