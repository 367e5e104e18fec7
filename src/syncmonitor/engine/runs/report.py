"""What one job of a run did: the same report from every job, so the run service needs to know
no job by name.

A job fills its `JobReport` as it works (what it read and wrote per object, the records it put
on the Issues list, the notices to tell) and the service sets its outcome: succeeded; failed,
with the error in the remote's own words; skipped, because a job it depends on failed; off,
because what it needs is not set up or writes are held; or cancelled. A run's outcome follows
from its jobs' (see `run_outcome`).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from syncmonitor.domain.timestamps import format_iso
from syncmonitor.engine.runs.events import RunOutcome, RunResult
from syncmonitor.engine.runs.notices import Notice, NoticeLevel


class JobOutcome(enum.StrEnum):
    """How one job of a run ended."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"  # a job it depends on failed, so it did not start
    OFF = "off"  # not set up, turned off, or writes are held until confirmed: nothing to do
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return {
            "succeeded": "Succeeded",
            "failed": "Failed",
            "skipped": "Skipped",
            "off": "Not run",
            "cancelled": "Cancelled",
        }[self.value]


@dataclass
class JobReport:
    """What one job read and wrote, the issues it raised, and how it ended."""

    job: str  # the job's stable name ("outreach.pull")
    label: str  # in words ("Sequence states from Outreach")
    outcome: JobOutcome = JobOutcome.SUCCEEDED
    read: dict[str, int] = field(default_factory=dict)
    written: dict[str, int] = field(default_factory=dict)
    issues: set[str] = field(default_factory=set)  # record keys now on the Issues list
    notices: list[Notice] = field(default_factory=list)  # told when the run ends
    # failed: the error as the remote or the engine worded it; skipped/off: why
    error_title: str | None = None
    error_message: str | None = None
    error_kind: str | None = None  # "offline", "auth", "permission", "rate-limited", ...
    service: str | None = None  # the remote that failed, when one did
    reason: str | None = None

    def off(self, reason: str) -> None:
        """Nothing to do this run (not set up, turned off, writes held), and why."""
        self.outcome = JobOutcome.OFF
        self.reason = reason

    @property
    def failed(self) -> bool:
        return self.outcome is JobOutcome.FAILED

    def sentence(self) -> str:
        """One line for a terminal or a tooltip: "Calls into Workbooks: failed (…)"."""
        if self.outcome is JobOutcome.FAILED:
            return f"{self.label}: failed. {self.error_title}: {self.error_message}"
        if self.outcome in (JobOutcome.SKIPPED, JobOutcome.OFF) and self.reason:
            return f"{self.label}: {self.outcome.label.lower()} ({self.reason})"
        return f"{self.label}: {self.outcome.label.lower()}"

    def to_json(self) -> dict[str, Any]:
        """What is stored with the run and printed by `runs --json` (no notices, no keys)."""
        data: dict[str, Any] = {
            "job": self.job,
            "label": self.label,
            "outcome": self.outcome.value,
            "read": dict(sorted(self.read.items())),
            "written": dict(sorted(self.written.items())),
            "issues": len(self.issues),
        }
        if self.outcome is JobOutcome.FAILED:
            data["error"] = {
                "title": self.error_title,
                "message": self.error_message,
                "kind": self.error_kind,
                "service": self.service,
            }
        if self.reason:
            data["reason"] = self.reason
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> JobReport:
        error = data.get("error") or {}
        try:
            outcome = JobOutcome(str(data.get("outcome")))
        except ValueError:
            outcome = JobOutcome.FAILED
        return cls(
            job=str(data.get("job", "")),
            label=str(data.get("label", data.get("job", ""))),
            outcome=outcome,
            read={str(k): int(v) for k, v in dict(data.get("read") or {}).items()},
            written={str(k): int(v) for k, v in dict(data.get("written") or {}).items()},
            error_title=error.get("title"),
            error_message=error.get("message"),
            error_kind=error.get("kind"),
            service=error.get("service"),
            reason=data.get("reason"),
        )


def run_outcome(reports: Sequence[JobReport], *, cancelled: bool = False) -> RunOutcome:
    """Succeeded when no job failed; Failed when no job that had work succeeded; else Partly
    failed. A skipped job counts as not done, like a failed one."""
    if cancelled:
        return RunOutcome.CANCELLED
    bad = [r for r in reports if r.outcome in (JobOutcome.FAILED, JobOutcome.SKIPPED)]
    if not bad:
        return RunOutcome.SUCCEEDED
    if any(r.outcome is JobOutcome.SUCCEEDED for r in reports):
        return RunOutcome.PARTLY_FAILED
    return RunOutcome.FAILED


@dataclass(frozen=True)
class Cause:
    """One distinct reason for failure across a run's jobs (several jobs may share one)."""

    title: str
    message: str
    kind: str | None
    jobs: tuple[str, ...]  # the labels of the jobs it failed
    service: str | None = None  # the remote that failed ("Outreach"), when one did


def causes(reports: Iterable[JobReport]) -> list[Cause]:
    """The distinct failures of a run, in job order: one notification each."""
    seen: dict[tuple[str, str], list[JobReport]] = {}
    for report in reports:
        if report.outcome is JobOutcome.FAILED:
            key = (report.error_title or "", report.error_message or "")
            seen.setdefault(key, []).append(report)
    return [
        Cause(title, message, group[0].error_kind, tuple(r.label for r in group), group[0].service)
        for (title, message), group in seen.items()
    ]


def merged(reports: Iterable[JobReport]) -> tuple[dict[str, int], dict[str, int]]:
    """The run's read and written figures: every job's, summed by object."""
    read: dict[str, int] = {}
    written: dict[str, int] = {}
    for report in reports:
        for into, counts in ((read, report.read), (written, report.written)):
            for key, value in counts.items():
                into[key] = into.get(key, 0) + value
    return read, written


def failure_notices(result: RunResult) -> list[Notice]:
    """One "sync.failed" notice per distinct cause of a failed or partly failed run.

    Keyed by its title and the parts it failed (not by its message, which may carry counts),
    so the policy tells each once until a run succeeds again."""
    if result.outcome not in (RunOutcome.FAILED, RunOutcome.PARTLY_FAILED):
        return []
    found = causes(result.jobs)
    if not found:  # a run that could not start, or one recorded before jobs had reports
        title = result.error_title or "The sync failed"
        message = result.error_message or "See the status bar for details."
        return [Notice("sync.failed", NoticeLevel.ERROR, title, message, key=title)]
    notices = []
    for cause in found:
        parts = ", ".join(cause.jobs)
        partly = result.outcome is RunOutcome.PARTLY_FAILED
        message = f"{cause.message} (Failed: {parts}."
        message += " The other parts of the run went through.)" if partly else ")"
        key = f"{cause.title} ({parts})"
        notices.append(Notice("sync.failed", NoticeLevel.ERROR, cause.title, message, key=key))
    return notices


def result_of(
    run_id: int,
    reports: list[JobReport],
    started: datetime,
    finished: datetime,
    duration_s: float,
) -> RunResult:
    """The run's result from its jobs' reports: figures summed, the failures in words."""
    cancelled = any(r.outcome is JobOutcome.CANCELLED for r in reports)
    outcome = run_outcome(reports, cancelled=cancelled)
    read, written = merged(reports)
    title = message = kind = None
    found = causes(reports)
    if outcome is RunOutcome.CANCELLED:
        title, message = "Cancelled", "The run was cancelled; what it had read is kept."
    elif len(found) == 1 and outcome is RunOutcome.FAILED:
        title, message, kind = found[0].title, found[0].message, found[0].kind
    elif found:
        parts = [r.label for r in reports if r.outcome is JobOutcome.FAILED]
        partly = outcome is RunOutcome.PARTLY_FAILED
        title = f"{_and(parts)} failed" if partly else found[0].title
        if len(found) == 1:
            message = f"{found[0].title}: {found[0].message}"
        else:
            message = " ".join(f"{_and(c.jobs)}: {c.title}. {c.message}" for c in found)
        if partly:
            message += " The other parts of the run went through."
        kinds = {c.kind for c in found}
        kind = kinds.pop() if len(kinds) == 1 else None
    return RunResult(
        run_id=run_id,
        outcome=outcome,
        started_at=format_iso(started),
        finished_at=format_iso(finished),
        duration_s=duration_s,
        records_read=read,
        records_written=written,
        error_title=title,
        error_message=message,
        error_kind=kind,
        jobs=tuple(reports),
    )


def _and(items: list[str] | tuple[str, ...]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"
