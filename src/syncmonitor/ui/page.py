"""What every page of the main window can be told. Adding a page is one line in MainWindow."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QWidget

from syncmonitor.engine.runs.events import RunResult

if TYPE_CHECKING:
    from syncmonitor.ui.service_protocols import ServicesLike


class Page(QWidget):
    """A page in the sidebar. Override what the page needs; every hook does nothing by default."""

    title = "Page"
    icon_name = ""

    def set_waiting(self, message: str) -> None:
        """The cache is not open yet; `message` says why ("Starting the sandbox…")."""

    def set_services(self, services: ServicesLike | None) -> None:
        """The engine's services are running (or stopped, with None): read through them."""

    def sync_finished(self, result: RunResult) -> None:
        """A run ended (whatever its outcome); re-read what the page shows."""

    def has_unsaved_changes(self) -> bool:
        """True while the page holds edits that leaving would lose (see can_leave)."""
        return False

    def can_leave(self, next_page: Page | None) -> bool:
        """May the person leave this page for `next_page` (None: the window closes)? A page
        with unsaved edits asks here; False keeps the person on it."""
        return True

    def save_state(self, settings: QSettings) -> None:
        """Keep splitter positions and the like for the next start."""

    def restore_state(self, settings: QSettings) -> None:
        """Put back what save_state kept."""
