"""The Issues list grouped by cause: one group per reason, with its count and what to do once.

Twelve people no Workbooks record matches are one cause ("12 people have no Workbooks record"),
not twelve rows to read; each group still lists its records, so one can be retried or dismissed
on its own. The cause of an issue follows from what wrote it (its source and kind of record),
the advice it carries and, for a remote's refusal, the remote's own answer with the record's
ids and values left out: the same answer for different records is the same cause. That last
rule is an inference (no vendor lists its error texts); it never merges different answers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from syncmonitor.engine.issues import SOURCE_LABELS, UNMATCHED_TODO, WORKBOOKS_PUSH
from syncmonitor.store.issues import StoredIssue

# What makes two answers of a remote the same cause: the words, without ids, counts, quoted
# values or field names that differ from record to record.
_QUOTED = re.compile(r"(['\"“‘«])[^'\"”’»]*(['\"”’»])")
_NUMBERS = re.compile(r"\d+")
_SPACES = re.compile(r"\s+")
_SERVICES = {"workbooks": "Workbooks", "outreach": "Outreach", "salesmate": "Salesmate"}
_HAZARD_SOURCES = {"outreach.prospects", "outreach.accounts", "outreach.opportunities"}
_RECORD_WORDS = {
    "person": ("person", "people"),
    "organisation": ("organisation", "organisations"),
    "opportunity": ("opportunity", "opportunities"),
    "mailshot": ("mailshot", "mailshots"),
}


@dataclass(frozen=True)
class IssueGroup:
    """Issues with one cause: the headline with its count, what to do (once), the records."""

    cause: str  # a stable key for the cause (keeps a group's place and its expanded state)
    title: str  # "12 people have no Workbooks record"
    where: str  # "Workbooks update"
    todo: str
    issues: tuple[StoredIssue, ...]

    @property
    def count(self) -> int:
        return len(self.issues)

    @property
    def ids(self) -> list[int]:
        """Every row the group stands for (its issues and their consequences)."""
        return [i for issue in self.issues for i in issue.ids]

    @property
    def last_seen(self) -> str:
        return max((i.last_seen for i in self.issues), default="")

    @property
    def dismissed(self) -> bool:
        return all(i.dismissed for i in self.issues)

    @property
    def people(self) -> list[StoredIssue]:
        """The issues Retry can sync again (people)."""
        return [i for i in self.issues if i.record_type == "person"]


def _words(record_type: str, count: int) -> str:
    one, many = _RECORD_WORDS.get(record_type, ("record", "records"))
    return f"{count} {one if count == 1 else many}"


def _answer_shape(problem: str) -> str:
    text = _QUOTED.sub(r"\1…\2", problem)
    text = _NUMBERS.sub("#", text)
    return _SPACES.sub(" ", text).strip()


def cause_of(issue: StoredIssue) -> tuple[str, str]:
    """(the cause's key, its kind): the kind picks the headline."""
    if issue.record_type == "permission":
        return f"permission:{issue.source}", "permission"
    if issue.source in _HAZARD_SOURCES and issue.problem.startswith("Deleted in Workbooks"):
        return f"hazard:crm:{issue.source}", "deleted-in-workbooks"
    if issue.source in _HAZARD_SOURCES and "was deleted in Outreach" in issue.problem:
        return f"hazard:outreach:{issue.source}", "deleted-in-outreach"
    if issue.source == WORKBOOKS_PUSH and issue.todo == UNMATCHED_TODO:
        if issue.problem.startswith("Matched"):
            return f"{WORKBOOKS_PUSH}:lead-only", "lead-only"
        return f"{WORKBOOKS_PUSH}:unmatched", "unmatched"
    shape = _answer_shape(issue.problem)
    return f"{issue.source}:{issue.record_type}:{shape}", "refused"


def _title(kind: str, first: StoredIssue, count: int) -> str:
    things = _words(first.record_type, count)
    plural = count != 1
    if kind == "unmatched":
        return f"{things} {'have' if plural else 'has'} no Workbooks record"
    if kind == "lead-only":
        return f"{things} {'match' if plural else 'matches'} only a Workbooks sales lead"
    if kind == "deleted-in-workbooks":
        return f"{things} deleted in Workbooks {'are' if plural else 'is'} still in Outreach"
    if kind == "deleted-in-outreach":
        return f"{things} deleted in Outreach {'are' if plural else 'is'} still in Workbooks"
    if kind == "permission":
        return f"{first.record_label}: not allowed"
    where = _SERVICES.get(first.source.split(".")[0], SOURCE_LABELS.get(first.source, first.source))
    answer = first.problem if count == 1 else _answer_shape(first.problem).replace("#", "…")
    return f"{where} refused {things}: {answer}"


def group_issues(issues: Iterable[StoredIssue]) -> list[IssueGroup]:
    """The issues by cause, the group with the newest issue first (records newest first)."""
    found: dict[str, tuple[str, list[StoredIssue]]] = {}
    for issue in issues:
        key, kind = cause_of(issue)
        found.setdefault(key, (kind, []))[1].append(issue)
    groups = []
    for key, (kind, members) in found.items():
        first = members[0]
        groups.append(
            IssueGroup(
                cause=key,
                title=_title(kind, first, len(members)),
                where=SOURCE_LABELS.get(first.source, first.source),
                todo=first.todo,
                issues=tuple(members),
            )
        )
    groups.sort(key=lambda g: max(i.id for i in g.issues), reverse=True)
    return groups


def consequence_text(issue: StoredIssue) -> str:
    """ "And so: …" for a delete hazard that has consequences; "" otherwise."""
    if not issue.consequences and not issue.held_states:
        return ""
    count = issue.held_states
    states = (
        f"{count} sequence state{'s' if count != 1 else ''}" if count else "its sequence states"
    )
    return (
        f"And so: no Workbooks person for {states} of this prospect. They are kept, and "
        "written if a Workbooks person gets this prospect's address or Outreach id again."
    )
