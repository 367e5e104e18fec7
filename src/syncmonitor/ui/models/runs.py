"""The Runs list: every sync run, newest first, with what it read and wrote per object."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Qt

from syncmonitor.domain.durations import duration_text
from syncmonitor.domain.timestamps import parse_iso
from syncmonitor.engine.services.runs import RunsService
from syncmonitor.ui import formatting
from syncmonitor.ui.models.lazy import LazyTableModel
from syncmonitor.ui.style import fg_colour

Role = Qt.ItemDataRole
CHART_RUNS = 300  # the chart shows the newest runs; the table pages through all of them

OBJECT_NAMES = {
    "sequence_states": "sequence states",
    "prospects": "prospects",
    "pages": "pages",
    "transitions": "new transitions",
    "people_queued": "people queued for Workbooks",
    "workbooks_people": "Workbooks people updated",
    "workbooks_people_checked": "Workbooks people checked",
    "unmatched_people": "people not found in Workbooks",
    "workbooks_failed": "Workbooks updates refused",
    "unknown_states": "unknown states",
    "states_without_prospect": "states without a prospect",
}
# The two-way sync's figures.
for _plural, _outreach in (
    ("people", "prospects"),
    ("organisations", "accounts"),
    ("opportunities", "opportunities"),
):
    OBJECT_NAMES.update(
        {
            f"outbound_{_plural}": f"Workbooks {_plural} to send",
            f"outreach_{_plural}_created": f"Outreach {_outreach} created",
            f"outreach_{_plural}_updated": f"Outreach {_outreach} updated",
            f"outreach_{_plural}_workbooks_updated": f"Workbooks {_plural} updated from Outreach",
            f"outreach_{_plural}_duplicates": f"{_plural} flagged as duplicates",
            f"outreach_{_plural}_refused": f"{_plural} refused",
            f"outreach_{_plural}_conflicts": f"conflicts ({_plural})",
            f"outreach_{_plural}_delete_hazards": f"{_plural} deleted on one side only",
        }
    )
OBJECT_NAMES.update(
    {
        "outreach_tasks": "Outreach tasks",
        "outreach_calls": "Outreach calls",
        # "Skipped" is read as complete-but-not-completed: an inference (remote-contract.md).
        "workbooks_cancelled_tasks": "Cancelled tasks created (skips inferred)",
        "workbooks_call_activities": "call activities created",
        "workbooks_meeting_activities": "meeting activities created",
        "workbooks_step_numbers": "step numbers written",
        "activity_failures": "activities refused",
        "activities_parked": "activities parked (no Workbooks person yet)",
        "people_unparked": "waiting people now matched in Workbooks",
        "parked_activities_created": "parked activities created",
    }
)
OUTCOME_COLOURS = {
    "succeeded": "#2e7d32",
    "failed": "#c62828",
    "partly_failed": "#d84315",
    "cancelled": "#8d6e00",
    "skipped": "#8d6e00",
    "off": "#5e6c84",
}
OUTCOME_WORDS = {
    "succeeded": "Succeeded",
    "failed": "Failed",
    "partly_failed": "Partly failed",
    "cancelled": "Cancelled",
    "running": "Running",
    "skipped": "Skipped",
    "off": "Not run",
}


@dataclass(frozen=True)
class RunRow:
    """One run as the table shows it."""

    id: int
    kind: str
    trigger: str
    target: str
    started_at: str
    duration_s: float | None
    outcome: str
    read: dict[str, int]
    written: dict[str, int]
    error_title: str | None
    error_message: str | None
    jobs: tuple[dict[str, Any], ...] = ()  # each part's stored outcome (engine JobReport JSON)

    @property
    def records_read(self) -> int:
        return sum(v for k, v in self.read.items() if k in ("sequence_states", "prospects"))

    @property
    def records_written(self) -> int:
        return sum(v for k, v in self.written.items() if k in ("transitions", "workbooks_people"))


def _row(item: dict[str, Any]) -> RunRow:
    return RunRow(
        id=int(item["id"]),
        kind=str(item["kind"]),
        trigger=str(item["trigger"]),
        target=str(item.get("target") or ""),
        started_at=str(item["started_at"]),
        duration_s=item["duration_s"],
        outcome=str(item["outcome"]),
        read=dict(item["records_read"]),
        written=dict(item["records_written"]),
        error_title=item["error_title"],
        error_message=item["error_message"],
        jobs=tuple(item.get("jobs") or ()),
    )


def per_object(counts: dict[str, int]) -> str:
    """'1,200 sequence states, 300 prospects' (the table's tooltip and the detail)."""
    order = list(OBJECT_NAMES)
    keys = sorted(counts, key=lambda k: (order.index(k) if k in order else len(order), k))
    return ", ".join(f"{counts[k]:,} {OBJECT_NAMES.get(k, k.replace('_', ' '))}" for k in keys)


def kind_text(row: RunRow) -> str:
    kind = {"sequence_states": "Full", "full": "Full", "inbound": "Inbound"}.get(
        row.kind, row.kind.title()
    )
    if row.target.startswith("person:"):
        return f"{kind}: one person"
    return kind


class RunsModel(LazyTableModel[RunRow]):
    """All runs, newest first, 200 at a time; the extra read is the chart's newest runs."""

    STARTED, KIND, TRIGGER, DURATION, READ, WRITTEN, OUTCOME = range(7)
    headers = ("Started", "Kind", "Trigger", "Duration", "Read", "Written", "Outcome")

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(page_size=200, parent=parent)
        self.chart_rows: list[RunRow] = []

    @staticmethod
    def read_window(source: RunsService, query: Any, after: RunRow | None, limit: int) -> list[Any]:
        items = source.window(after.id if after else None, limit)
        return [_row(i) for i in items]

    @staticmethod
    def read_extra(source: RunsService, query: Any) -> list[RunRow]:
        return [_row(i) for i in source.window(None, CHART_RUNS)]

    def apply_extra(self, extra: list[RunRow]) -> None:
        self.chart_rows = list(reversed(extra))  # oldest first, left to right

    def cell(self, row: RunRow, column: int, role: int) -> Any:
        if role == Role.DisplayRole:
            if column == self.STARTED:
                return formatting.short_time(row.started_at)
            if column == self.KIND:
                return kind_text(row)
            if column == self.TRIGGER:
                return row.trigger.replace("-", " ").capitalize()
            if column == self.DURATION:
                return duration_text(row.duration_s, unknown="")
            if column == self.READ:
                return f"{row.records_read:,}"
            if column == self.WRITTEN:
                return f"{row.records_written:,}"
            if column == self.OUTCOME:
                words = OUTCOME_WORDS.get(row.outcome, row.outcome.capitalize())
                if row.outcome in ("failed", "partly_failed") and row.error_title:
                    return f"{words}: {row.error_title}"
                return words
        if role == Role.ToolTipRole:
            if column == self.STARTED:
                return formatting.full_time(row.started_at)
            if column == self.READ:
                return per_object(row.read) or "Nothing read"
            if column == self.WRITTEN:
                return per_object(row.written) or "Nothing written"
            if column == self.OUTCOME and row.error_message:
                return f"{row.error_title}: {row.error_message}"
        if role == Role.ForegroundRole and column == self.OUTCOME:
            return fg_colour(OUTCOME_COLOURS.get(row.outcome, "#5e6c84"))
        if role == Role.TextAlignmentRole and column in (self.DURATION, self.READ, self.WRITTEN):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


def started(row: RunRow) -> float:
    when = parse_iso(row.started_at)
    return when.timestamp() if when else 0.0
