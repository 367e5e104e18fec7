"""Undo and redo for editors of immutable values: every edit is a new value with a label.

Mappings are frozen dataclasses, so a history is simply the list of values the person went
through; undo moves back, redo forward, and a new edit after an undo drops the redo branch.
"Dirty" compares with the value last saved, so undoing back to it is clean again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

MAX_STEPS = 500


@dataclass(frozen=True, slots=True)
class _Step(Generic[T]):
    value: T
    label: str


class EditHistory(Generic[T]):
    """The values an editor went through, with the saved one remembered."""

    def __init__(self, saved: T) -> None:
        self._steps: list[_Step[T]] = [_Step(saved, "")]
        self._at = 0
        self._saved = saved

    @property
    def current(self) -> T:
        return self._steps[self._at].value

    @property
    def saved(self) -> T:
        return self._saved

    @property
    def dirty(self) -> bool:
        return self.current != self._saved

    @property
    def can_undo(self) -> bool:
        return self._at > 0

    @property
    def can_redo(self) -> bool:
        return self._at < len(self._steps) - 1

    @property
    def undo_label(self) -> str:
        return self._steps[self._at].label if self.can_undo else ""

    @property
    def redo_label(self) -> str:
        return self._steps[self._at + 1].label if self.can_redo else ""

    def do(self, value: T, label: str) -> None:
        """Record an edit; an edit that changes nothing is not a step."""
        if value == self.current:
            return
        del self._steps[self._at + 1 :]
        self._steps.append(_Step(value, label))
        if len(self._steps) > MAX_STEPS:
            del self._steps[0]
        self._at = len(self._steps) - 1

    def undo(self) -> T:
        if self.can_undo:
            self._at -= 1
        return self.current

    def redo(self) -> T:
        if self.can_redo:
            self._at += 1
        return self.current

    def mark_saved(self, value: T | None = None) -> None:
        """The current value (or `value`, what the store made of it) is now the saved one."""
        if value is not None and value != self.current:
            self.do(value, "Save")
        self._saved = self.current

    def revert(self) -> T:
        """Back to the saved value, as one more step (so a revert can be undone too)."""
        self.do(self._saved, "Revert")
        return self.current

    def reset(self, saved: T) -> None:
        """Start over from a newly loaded saved value (no undo past it)."""
        self._steps = [_Step(saved, "")]
        self._at = 0
        self._saved = saved
