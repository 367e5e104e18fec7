"""The words for the sync status, shared by the status bar, the tray and its tooltip."""

from __future__ import annotations

from datetime import datetime

from syncmonitor.domain.timestamps import parse_iso
from syncmonitor.engine.runs.events import RunOutcome
from syncmonitor.engine.runs.scheduler import State
from syncmonitor.ui import formatting
from syncmonitor.ui.sync_controller import Phase, SyncController

TRAY_STATES = ("idle", "syncing", "paused", "offline", "attention", "error")


def tray_state(controller: SyncController) -> str:
    """Which of the six tray icons: what needs the person's eye most wins."""
    last = controller.last_result
    if controller.running:
        return "syncing"
    if controller.phase is Phase.START_FAILED:
        return "error"
    if last is not None and last.outcome is RunOutcome.FAILED:
        return "offline" if last.error_kind == "offline" else "error"
    if controller.service is not None and controller.state() is State.PAUSED:
        return "paused"
    if controller.issue_count or (last is not None and last.outcome is RunOutcome.PARTLY_FAILED):
        return "attention"
    return "idle"


def last_sync_text(controller: SyncController, now: datetime) -> str:
    last = controller.last_result
    if controller.service is None and last is None:
        return ""
    finished = parse_iso(last.finished_at) if last else None
    if last is None or finished is None:
        return "Never synced"
    ago = formatting.relative_past(finished, now)
    if last.outcome is RunOutcome.FAILED:
        return f"Last sync failed {ago}"
    if last.outcome is RunOutcome.CANCELLED:
        return f"Last sync cancelled {ago}"
    if last.outcome is RunOutcome.PARTLY_FAILED:
        return f"Last sync partly failed {ago}"
    return f"Last sync {ago}"


def next_sync_text(controller: SyncController, now: datetime) -> str:
    if controller.running:
        return "Next sync: after this one"
    if controller.phase is not Phase.IDLE or controller.service is None:
        return ""
    state = controller.state()
    if state is State.PAUSED:
        return "Syncing paused"
    due = controller.next_due
    if due is None:
        return ""
    kind = controller.next_kind
    what = f"Next {kind.label.lower()} sync" if kind is not None else "Next sync"
    when = formatting.relative_future(max(due, now), now)
    if state is State.BACKING_OFF:
        return f"Retrying {when}" if when != "now" else "Retrying now"
    return f"{what} due now" if when == "now" else f"{what} {when}"


def status_line(controller: SyncController, now: datetime) -> str:
    """One line for the tray menu: what it is doing and when it last synced."""
    state = tray_state(controller)
    if controller.phase is Phase.STARTING:
        return controller.starting_message
    if state == "syncing":
        current = controller.current
        return f"Syncing: {current.target.describe()}…" if current else "Syncing…"
    head = {
        "idle": "Up to date",
        "paused": "Paused",
        "offline": "Offline",
        "attention": f"{controller.issue_count} issues to review"
        if controller.issue_count
        else "Part of the last sync failed",
        "error": "The last sync failed",
    }[state]
    last = last_sync_text(controller, now)
    return f"{head} · {last}" if last else head
