"""The base of the mapping pages: the shared workspace, the preview, and leaving unsaved edits."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget

from syncmonitor.domain.mappings.fields import ObjectPair
from syncmonitor.engine.runs.events import RunResult
from syncmonitor.ui.mappings.common import ask_unsaved
from syncmonitor.ui.mappings.workspace import MappingWorkspace
from syncmonitor.ui.page import Page
from syncmonitor.ui.service_protocols import ServicesLike


class MappingEditorPage(Page):
    """A page that edits the shared mappings."""

    @property
    def preview_pair(self) -> ObjectPair:
        """The pair of objects the preview opens on."""
        return ObjectPair.PERSON_PROSPECT

    def __init__(self, workspace: MappingWorkspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.preview_dialog: QWidget | None = None

    def set_services(self, services: ServicesLike | None) -> None:
        service = services.mappings if services else None
        if service is not self.workspace.service:
            self.workspace.set_service(service)

    def sync_finished(self, result: RunResult) -> None:
        self.workspace.sources_changed.emit()  # the preview's sample records may be newer

    def has_unsaved_changes(self) -> bool:
        return bool(self.workspace.dirty)

    def can_leave(self, next_page: Page | None) -> bool:
        """Ask before leaving unsaved edits for a page that is not a mapping editor."""
        if isinstance(next_page, MappingEditorPage) or not self.workspace.dirty:
            return True
        answer = self.ask_unsaved()
        if answer == QMessageBox.StandardButton.Save:
            return self.workspace.save()
        if answer == QMessageBox.StandardButton.Discard:
            self.workspace.revert()
            return True
        return False

    def ask_unsaved(self) -> QMessageBox.StandardButton:
        return ask_unsaved(self)

    def open_preview(self) -> QWidget:
        from syncmonitor.ui.mappings.preview import PreviewDialog

        dialog = PreviewDialog(self.workspace, self.preview_pair, self)
        dialog.open()
        self.preview_dialog = dialog
        return dialog
