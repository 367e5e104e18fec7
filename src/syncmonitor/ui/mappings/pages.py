"""The mapping pages of the main window, built around one shared workspace."""

from __future__ import annotations

from typing import Any

from syncmonitor.domain.mappings.values import StatusKind
from syncmonitor.ui.mappings.editor_page import MappingEditorPage
from syncmonitor.ui.mappings.field_page import FieldMappingPage
from syncmonitor.ui.mappings.status_page import StatusMappingPage
from syncmonitor.ui.mappings.workspace import MappingWorkspace


def add_mapping_pages(window: Any, controller: Any) -> list[MappingEditorPage]:
    """Lead Status, Contact Status and Field mappings pages, added to `window`'s sidebar."""
    workspace = MappingWorkspace(window)
    pages: list[MappingEditorPage] = [
        StatusMappingPage(workspace, StatusKind.LEAD),
        StatusMappingPage(workspace, StatusKind.CONTACT),
        FieldMappingPage(workspace),
    ]
    for page in pages:
        window.add_page(page)
    return pages
