"""The kinds of scheduled sync, in a module of their own: the scheduler and the window need the
names without loading the jobs (and the connectors and the store behind them)."""

from __future__ import annotations

import enum


class SyncKind(enum.StrEnum):
    """The two kinds of scheduled sync."""

    INBOUND = "inbound"  # remote changes into the cache
    FULL = "full"  # inbound, then everything the app writes back

    @property
    def label(self) -> str:
        return {"inbound": "Inbound", "full": "Full"}[self.value]
