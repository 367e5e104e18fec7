"""The notification names the configuration accepts are exactly the ones the engine registers
(review-reliability.md #19: `[notifications] off = ["nonexistent.event"]` is refused)."""

from __future__ import annotations

import importlib
from pathlib import Path

import syncmonitor
from syncmonitor.app.config import NOTIFICATION_EVENTS
from syncmonitor.engine.runs.notify_policy import EVENT_TYPES


def test_the_config_accepts_every_registered_notification_and_no_other() -> None:
    root = Path(syncmonitor.__file__).parent
    for source in root.rglob("*.py"):
        text = source.read_text(encoding="utf-8")
        if "register_event_type(EventType(" in text.replace("\n", "").replace(" ", ""):
            module = ".".join(("syncmonitor", *source.relative_to(root).with_suffix("").parts))
            importlib.import_module(module)
    assert sorted(EVENT_TYPES) == sorted(NOTIFICATION_EVENTS)
