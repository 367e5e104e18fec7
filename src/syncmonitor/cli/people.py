"""`syncmonitor people show EMAIL`: one person's current states and whole history;
`syncmonitor people list`: the People page's filtered list (cli/people_list.py)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from syncmonitor.app.config import Config
from syncmonitor.app.paths import AppPaths
from syncmonitor.cli.exit_codes import EXIT_NOT_FOUND, EXIT_OK
from syncmonitor.cli.people_list import add_list_parser, run_list


def add_parser(sub: Any) -> None:
    people = sub.add_parser("people", help="people and their sequence state history")
    people_sub = people.add_subparsers(dest="people_command", metavar="ACTION", required=True)
    show = people_sub.add_parser("show", help="one person's states and full history")
    show.add_argument("who", metavar="EMAIL", help="email address (or Outreach prospect id)")
    show.add_argument("--json", action="store_true", help="print as JSON")
    add_list_parser(people_sub)


def run(args: argparse.Namespace, config: Config, paths: AppPaths) -> int:
    if args.people_command == "list":
        from syncmonitor.engine.bootstrap import open_cache

        cache = open_cache(paths, config.cache)
        try:
            return run_list(args, cache)
        finally:
            cache.close()
    return _people_show(config, paths, args.who, as_json=args.json)


def _people_show(config: Config, paths: AppPaths, who: str, *, as_json: bool) -> int:
    from syncmonitor.engine.bootstrap import open_cache

    cache = open_cache(paths, config.cache)
    try:
        person = cache.people.find(who)
        if person is None:
            print(
                f"No person with email or prospect id {who!r} is in the cache. "
                "Check the spelling, or run `syncmonitor sync --once` first.",
                file=sys.stderr,
            )
            return EXIT_NOT_FOUND
        # The same person in Outreach and Salesmate (linked by email): one list, one timeline.
        view = cache.people.person(person.provider, person.prospect_id)
        states = view.states
        transitions = cache.people.whole_history(tuple(view.keys))
    finally:
        cache.close()
    data = {
        "person": {
            "name": person.name,
            "email": person.email,
            "provider": person.provider,
            "prospect_id": person.prospect_id,
            "opted_out": person.opted_out,
            "workbooks_person_id": person.workbooks_person_id,
            "workbooks_sequence_state": person.workbooks_sequence_state,
            "workbooks_no_email": person.workbooks_no_email,
        },
        "current_states": [
            {
                "provider": provider,
                "sequence_state_id": s.sequence_state_id,
                "sequence_id": s.sequence_id,
                "sequence": s.sequence_name,
                "step": s.step_order,
                "step_count": s.step_count,
                "raw_state": s.state.raw,
                "state": s.state.state.value,
                "reason": s.state.reason.value if s.state.reason else None,
                "label": s.state.label,
                "state_changed_at": s.state_changed_at,
            }
            for provider, s in states
        ],
        "history": [
            {
                "provider": t.provider,
                "sequence_state_id": t.sequence_state_id,
                "sequence": t.sequence_name,
                "step": t.step_order,
                "raw_state": t.state.raw,
                "state": t.state.state.value,
                "reason": t.state.reason.value if t.state.reason else None,
                "label": t.state.label,
                "state_changed_at": t.state_changed_at,
                "observed_at": t.observed_at,
            }
            for t in transitions
        ],
    }
    if as_json:
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return EXIT_OK
    print(f"{person.name} <{person.email}>" + (" — opted out" if person.opted_out else ""))
    for provider, s in states:
        print(f"  {s.sequence_name} ({provider}): {s.state.label} since {s.state_changed_at}")
    print(f"History ({len(transitions)} transitions, newest first):")
    for t in transitions:
        step = f" step {t.step_order}" if t.step_order else ""
        print(
            f"  {t.state_changed_at}  {t.provider:<9}  {t.sequence_name}{step}: {t.state.label} "
            f"[{t.state.raw}]"
        )
    return EXIT_OK
