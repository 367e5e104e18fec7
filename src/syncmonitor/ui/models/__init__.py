"""Table models behind the pages: each reads the cache in bounded windows, never a whole table."""

from syncmonitor.ui.models.current_states import CurrentStatesModel
from syncmonitor.ui.models.lazy import ROW_ROLE, LazyTableModel
from syncmonitor.ui.models.people import PeopleModel
from syncmonitor.ui.models.timeline import TimelineModel

__all__ = [
    "ROW_ROLE",
    "CurrentStatesModel",
    "LazyTableModel",
    "PeopleModel",
    "TimelineModel",
]
