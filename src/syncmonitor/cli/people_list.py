"""`syncmonitor people list`: the People page's list with the same filters, as text or CSV.

syncmonitor people list --state "opted out" --changed this-week --csv opted-out.csv
syncmonitor people list --view "Bounced this week" --count
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from syncmonitor.app.errors import UserFacingError
from syncmonitor.cli.exit_codes import EXIT_FAILED, EXIT_NOT_FOUND, EXIT_OK, EXIT_USAGE
from syncmonitor.domain.people_filter import PeopleFilter, Period
from syncmonitor.domain.states import CanonicalState, Provider
from syncmonitor.engine.people.export import all_rows

# What a person types for each state (any case; spaces, dashes and underscores alike).
STATE_WORDS: dict[str, tuple[CanonicalState, ...]] = {
    "active": (CanonicalState.ACTIVE_RUNNING, CanonicalState.ACTIVE_PAUSED),
    "running": (CanonicalState.ACTIVE_RUNNING,),
    "active running": (CanonicalState.ACTIVE_RUNNING,),
    "paused": (CanonicalState.ACTIVE_PAUSED,),
    "active paused": (CanonicalState.ACTIVE_PAUSED,),
    "opted out": (CanonicalState.OPTED_OUT,),
    "finished": (CanonicalState.FINISHED,),
    "pending": (CanonicalState.PENDING,),
    "disabled": (CanonicalState.DISABLED,),
    "failed": (CanonicalState.FAILED,),
    "bounced": (CanonicalState.BOUNCED,),
    "not active": (CanonicalState.NOT_ACTIVE,),
    "unknown": (CanonicalState.UNKNOWN,),
}
PERIOD_WORDS = {
    "today": Period.TODAY,
    "this week": Period.THIS_WEEK,
    "last 7 days": Period.LAST_7_DAYS,
    "7d": Period.LAST_7_DAYS,
    "last 30 days": Period.LAST_30_DAYS,
    "30d": Period.LAST_30_DAYS,
}


def _words(text: str) -> str:
    for mark in ("-", "_", "–", "—"):
        text = text.replace(mark, " ")
    return " ".join(text.lower().split())


def add_list_parser(people_sub: Any) -> None:
    states = ", ".join(sorted({k.replace(" ", "-") for k in STATE_WORDS}))
    listing = people_sub.add_parser(
        "list",
        help="the people list with the People page's filters (as text, CSV or a count)",
        description="List the people in the cache, filtered as on the People page. Filters of "
        "one kind are alternatives (--state bounced --state failed); kinds combine; every "
        "state filter looks at the same sequence state (opted out, and this week).",
    )
    listing.add_argument("--search", default="", metavar="TEXT", help="words in name or email")
    listing.add_argument(
        "--state", action="append", default=[], metavar="STATE", help=f"current state: {states}"
    )
    listing.add_argument(
        "--provider", action="append", default=[], choices=[p.value for p in Provider]
    )
    listing.add_argument(
        "--sequence",
        action="append",
        default=[],
        metavar="NAME",
        help="sequence name (or id); repeat for several",
    )
    listing.add_argument(
        "--changed",
        metavar="WHEN",
        help="when the state changed: today, this-week, 7d, 30d (local time)",
    )
    listing.add_argument("--since", type=date.fromisoformat, metavar="YYYY-MM-DD")
    listing.add_argument("--until", type=date.fromisoformat, metavar="YYYY-MM-DD")
    listing.add_argument("--view", metavar="NAME", help="start from a named view of the window")
    out = listing.add_mutually_exclusive_group()
    out.add_argument(
        "--csv",
        nargs="?",
        const="-",
        type=str,
        metavar="PATH",
        help="write CSV to PATH (UTF-8 with a BOM, for Excel), or to standard output without one",
    )
    out.add_argument("--count", action="store_true", help="print only how many people match")


def build_filter(args: argparse.Namespace, services: Any) -> PeopleFilter:
    """The filter the arguments describe (raises UsageProblem for a word it does not know)."""
    filt = PeopleFilter()
    if args.view:
        view = services.people.views.find(args.view)
        if view is None:
            names = ", ".join(f"'{v.name}'" for v in services.people.views.all()) or "none"
            raise UsageProblem(f"there is no view called '{args.view}' (views: {names}).")
        filt = view.filter
    if args.search:
        filt = filt.but(text=args.search)
    if args.state:
        states: set[CanonicalState] = set()
        for word in args.state:
            found = STATE_WORDS.get(_words(word))
            if found is None:
                known = ", ".join(sorted({k.replace(" ", "-") for k in STATE_WORDS}))
                raise UsageProblem(f"unknown state '{word}'; use one of: {known}.")
            states.update(found)
        filt = filt.but(states=frozenset(states))
    if args.provider:
        filt = filt.but(providers=frozenset(Provider(p) for p in args.provider))
    if args.sequence:
        filt = filt.but(sequences=_sequences(args.sequence, services.people.sequences()))
    if args.changed:
        period = PERIOD_WORDS.get(_words(args.changed))
        if period is None:
            raise UsageProblem(
                f"unknown period '{args.changed}'; use today, this-week, 7d or 30d, "
                "or --since and --until with dates."
            )
        filt = filt.but(changed=period, first_day=None, last_day=None)
    if args.since or args.until:
        if args.changed:
            raise UsageProblem("use --changed or --since/--until, not both.")
        if args.since and args.until and args.since > args.until:
            raise UsageProblem("--since is after --until.")
        filt = filt.but(changed=Period.RANGE, first_day=args.since, last_day=args.until)
    return filt


def _sequences(wanted: list[str], known: list[Any]) -> frozenset[tuple[str, int]]:
    chosen: set[tuple[str, int]] = set()
    for word in wanted:
        matches = [s for s in known if s.name.casefold() == word.strip().casefold()]
        if not matches and word.strip().isdigit():
            matches = [s for s in known if s.sequence_id == int(word)]
        if not matches:
            raise UsageProblem(
                f"no sequence called '{word}' is in the cache; "
                "`syncmonitor people list --help` shows the filters, and the People page lists "
                "the sequences."
            )
        chosen.update((s.provider, s.sequence_id) for s in matches)
    return frozenset(chosen)


class UsageProblem(Exception):
    pass


def run_list(args: argparse.Namespace, services: Any) -> int:
    try:
        filt = build_filter(args, services)
    except UsageProblem as problem:
        print(f"syncmonitor people list: error: {problem}", file=sys.stderr)
        return EXIT_USAGE if "no sequence" not in str(problem) else EXIT_NOT_FOUND
    people = services.people
    if args.count:
        print(people.count(filt))
        return EXIT_OK
    if args.csv is not None:
        if args.csv == "-":
            people.export_csv(filt, None)
            return EXIT_OK
        path = Path(args.csv).expanduser()
        try:
            written = people.export_csv(filt, path)
        except OSError as exc:
            print(
                f"Could not write {path}: {exc.strerror or exc}. Check the folder exists and "
                "is writable.",
                file=sys.stderr,
            )
            return EXIT_FAILED
        except UserFacingError as error:
            print(f"{error.title}: {error.message}", file=sys.stderr)
            return EXIT_FAILED
        noun = "person" if written == 1 else "people"
        print(f"Wrote {written:,} {noun} ({filt.describe()}) to {path.resolve()}", file=sys.stderr)
        return EXIT_OK
    total = 0
    for row in _every(people, filt):
        state = row.latest_state.label if row.latest_state else "-"
        changed = row.latest_changed_at or "-"
        print(f"{row.name or '(no name)'}\t{row.email or '-'}\t{state}\t{changed}")
        total += 1
    noun = "person" if total == 1 else "people"
    print(f"{total:,} {noun}: {filt.describe()}", file=sys.stderr)
    return EXIT_OK


def _every(people: Any, filt: PeopleFilter) -> Iterator[Any]:
    return all_rows(people.search, filt)
