"""Marking the buttons that change the store or ask a remote: on a team store whose login may only
watch, the window turns every marked button off with the reason (ui/team_watch.py)."""

from __future__ import annotations

from PySide6.QtWidgets import QAbstractButton

ACTS = "syncmonitorActs"  # a dynamic property: True on a button that acts


def acts(*buttons: QAbstractButton) -> None:
    for button in buttons:
        button.setProperty(ACTS, True)
