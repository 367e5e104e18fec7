"""A NoticeSink that keeps every posted notice, for the tests of every suite."""

from __future__ import annotations

from dataclasses import dataclass, field

from syncmonitor.engine.runs.notices import Notice


@dataclass
class RecordingSink:
    """Keeps every posted notice, for tests."""

    posted: list[Notice] = field(default_factory=list)

    def post(self, notice: Notice) -> None:
        self.posted.append(notice)

    def begin_batch(self) -> None:
        """Recorded notices are never batched."""

    def end_batch(self) -> None:
        """Recorded notices are never batched."""

    def forget(self, event: str, key: str = "") -> None:
        """A recording remembers everything."""

    def events(self) -> list[str]:
        return [n.event for n in self.posted]
