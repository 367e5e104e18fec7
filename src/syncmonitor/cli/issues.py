"""`syncmonitor issues`: what did not sync, grouped by cause, as the Issues page shows it."""

from __future__ import annotations

import argparse
import json
from typing import Any

from syncmonitor.app.config import Config
from syncmonitor.app.paths import AppPaths
from syncmonitor.cli.exit_codes import EXIT_OK


def add_parser(sub: Any) -> None:
    issues = sub.add_parser(
        "issues", help="records that did not sync, grouped by cause, with what to do"
    )
    issues.add_argument("--json", action="store_true", help="print as JSON")
    issues.add_argument(
        "--all", action="store_true", help="include dismissed issues (marked as such)"
    )


def run(args: argparse.Namespace, config: Config, paths: AppPaths) -> int:
    from syncmonitor.engine.bootstrap import open_cache
    from syncmonitor.engine.services.issues import consequence_text

    cache = open_cache(paths, config.cache)
    try:
        groups = cache.issues.groups(include_dismissed=args.all)
        total = cache.issues.count()
    finally:
        cache.close()
    data = [
        {
            "cause": g.title,
            "where": g.where,
            "count": g.count,
            "todo": g.todo,
            "last_seen": g.last_seen,
            "records": [
                {
                    "id": i.id,
                    "record": i.record_label,
                    "key": i.record_key,
                    "answer": i.problem,
                    "and_so": consequence_text(i) or None,
                    "first_seen": i.first_seen,
                    "last_seen": i.last_seen,
                    "occurrences": i.occurrences,
                    "dismissed": i.dismissed,
                }
                for i in g.issues
            ],
        }
        for g in groups
    ]
    if args.json:
        print(json.dumps({"open": total, "causes": data}, indent=2))
        return EXIT_OK
    if not groups:
        print("No open issues: every record the syncs looked at went through.")
        return EXIT_OK
    causes = len(groups)
    print(
        f"{total} open {'issue' if total == 1 else 'issues'}, "
        f"{causes} {'cause' if causes == 1 else 'causes'}:"
    )
    for group in groups:
        print(f"\n{group.title} ({group.where})")
        print(f"  What to do: {group.todo}")
        for issue in group.issues:
            seen = f" ({issue.occurrences}x)" if issue.occurrences > 1 else ""
            gone = " [dismissed]" if issue.dismissed else ""
            print(f"  - {issue.record_label}{gone}: {issue.problem}{seen}")
            if then := consequence_text(issue):
                print(f"    {then}")
    return EXIT_OK
