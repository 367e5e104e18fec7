"""The People page's one-off reads on reader threads: the filter counts and the sequences."""

from __future__ import annotations

from collections.abc import Callable

from syncmonitor.engine.services.people import PeopleFilter, PeopleService
from syncmonitor.ui.models.lazy import background_reader, read_in_background


class _Reader:
    """One kind of read: only the newest result is delivered (a generation number)."""

    def __init__(self, deliver: Callable[[object], None], *, slow: bool = False) -> None:
        self._deliver = deliver
        self._key = background_reader(self)
        self._slow = slow
        self.generation = 0

    def start(self, job: Callable[[], object]) -> None:
        """Read `job`'s result; a read still queued when a newer one starts is skipped."""
        self.generation += 1
        mine = self.generation

        def unless_stale() -> object:
            return None if mine != self.generation else job()

        read_in_background(unless_stale, self._key, mine, slow=self._slow)

    def _on_read(self, generation: int, result: object, _kind: str) -> None:
        # A failed count leaves the choices without numbers; the list itself reports the
        # cache's problems (its reads fail the same way, and say so).
        if (
            generation == self.generation
            and result is not None
            and not isinstance(result, Exception)
        ):
            self._deliver(result)


class PageReads:
    """The counts beside the filter choices and the sequences the Sequence filter offers."""

    def __init__(
        self, on_counts: Callable[[object], None], on_sequences: Callable[[object], None]
    ) -> None:
        self._counts = _Reader(on_counts, slow=True)
        self._sequences = _Reader(on_sequences)

    def read_counts(self, people: PeopleService, people_filter: PeopleFilter) -> None:
        self._counts.start(lambda: people.counts(people_filter))

    def read_sequences(self, people: PeopleService) -> None:
        self._sequences.start(people.sequences)
