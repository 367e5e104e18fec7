"""The mapping pages of the main window, built around one shared workspace."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from syncmonitor.domain.mappings.values import StatusKind
from syncmonitor.ui.mappings.editor_page import MappingEditorPage
from syncmonitor.ui.mappings.field_page import FieldMappingPage
from syncmonitor.ui.mappings.status_page import StatusMappingPage
from syncmonitor.ui.mappings.workspace import MappingWorkspace


def mapping_pages(window: QWidget) -> list[MappingEditorPage]:
    """Lead Status, Contact Status and Field mappings pages (in sidebar order), over one
    workspace owned by `window`."""
    workspace = MappingWorkspace(window)
    return [
        StatusMappingPage(workspace, StatusKind.LEAD),
        StatusMappingPage(workspace, StatusKind.CONTACT),
        FieldMappingPage(workspace),
    ]
