"""The "Import Salesmate…" toolbar action: opens the import dialog on the app's cache.

Kept out of main_window.py so the window only needs one line to offer it. The action is enabled
once the cache is open; after an import the People page re-reads what it shows (the imported
people and transitions appear at once) and a notification says what was imported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QAction

from syncmonitor.ui.resources import icon

if TYPE_CHECKING:  # the dialog and the service load when the action is first used
    from syncmonitor.engine.services.imports import ImportOutcome, ImportsService
    from syncmonitor.ui.main_window import MainWindow
    from syncmonitor.ui.salesmate.import_dialog import SalesmateImportDialog
    from syncmonitor.ui.service_protocols import ServicesLike


def install_salesmate_import(window: MainWindow) -> QAction:
    """Add the action to the window's toolbar and wire it; returns the action."""
    action = QAction(icon("people"), "Import Salesmate…", window)
    action.setObjectName("importSalesmate")
    action.setToolTip(
        "Import a Salesmate sequence enrolment export (CSV): preview, check every row, "
        "import all or nothing"
    )
    action.setEnabled(False)
    window.toolbar.addAction(action)
    imports: list[ImportsService] = []

    def ready(services: ServicesLike) -> None:
        imports[:] = [services.imports]
        action.setEnabled(True)

    def open_dialog() -> None:
        if not imports:
            return
        from syncmonitor.ui.salesmate.import_dialog import SalesmateImportDialog

        dialog = SalesmateImportDialog(imports[0], window)
        dialog.imported.connect(lambda outcome: _after_import(window, outcome, dialog))
        dialog.finished.connect(dialog.deleteLater)
        window.salesmate_import_dialog = dialog
        dialog.open()

    window.controller.services_ready.connect(ready)
    action.triggered.connect(open_dialog)
    return action


def _after_import(
    window: MainWindow, outcome: ImportOutcome, dialog: SalesmateImportDialog
) -> None:
    window.people.model.refresh()
    window.people.detail.refresh()
    from syncmonitor.engine.services.imports import ImportsService

    # Through the notification policy, so its per-event switch and snooze apply.
    name = dialog.export.name if dialog.export else "Salesmate export"
    ImportsService.tell(window.controller.notices, outcome, name)
