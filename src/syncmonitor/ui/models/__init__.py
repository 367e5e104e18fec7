"""Table models behind the pages: each reads the cache in bounded windows, never a whole table.

The names below load on first use (PEP 562), so importing one model module (or `lazy`, which
the app needs at start) does not load every page's models and the engine services behind them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from syncmonitor.ui.models.current_states import CurrentStatesModel
    from syncmonitor.ui.models.lazy import ROW_ROLE, LazyTableModel
    from syncmonitor.ui.models.people import PeopleModel
    from syncmonitor.ui.models.timeline import TimelineModel

_MODULES = {
    "CurrentStatesModel": "current_states",
    "LazyTableModel": "lazy",
    "ROW_ROLE": "lazy",
    "PeopleModel": "people",
    "TimelineModel": "timeline",
}

__all__ = [
    "ROW_ROLE",
    "CurrentStatesModel",
    "LazyTableModel",
    "PeopleModel",
    "TimelineModel",
]


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
