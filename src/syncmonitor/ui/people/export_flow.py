"""Export CSV… and Save view… on the People page: their dialogs (opened with open(), never exec())
and what they say when done.

The export writes every person the filters give (not only the rows loaded) on a reader thread,
through PeopleService.export_csv (UTF-8 with a BOM so Excel reads names right; every cell made
spreadsheet-safe). The save dialog opens in the folder used last, else Documents.
"""

from __future__ import annotations

import html
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, QStandardPaths, Qt, QUrl
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox, QWidget
from shiboken6 import isValid

from syncmonitor.app.errors import UserFacingError
from syncmonitor.engine.services.people import NamedView, PeopleFilter, PeopleService
from syncmonitor.ui import formatting
from syncmonitor.ui.models.lazy import background_reader, read_in_background

if TYPE_CHECKING:
    from collections.abc import Callable

    from syncmonitor.ui.people.page import PeoplePage

FOLDER_KEY = "people/export_folder"


def documents_folder() -> str:
    found = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return found or str(Path.home())


def file_name_for(people_filter: PeopleFilter, view: NamedView | None, today: date) -> str:
    """ "people-opted-out-this-week-2026-12-01.csv": the view's name, else "people"."""
    stem = "people"
    if view is not None:
        words = "".join(c if c.isalnum() else "-" for c in view.name.lower())
        stem = "people-" + "-".join(w for w in words.split("-") if w)
    elif not people_filter.is_empty:
        stem = "people-filtered"
    return f"{stem}-{today.isoformat()}.csv"


class PeopleExport:
    """The export's dialog, its read on a reader thread, and the message when it is done."""

    def __init__(self, page: PeoplePage) -> None:
        self.page = page
        self.dialog: QFileDialog | None = None
        self._reader = background_reader(self)
        self._generation = 0
        self._target: Path | None = None
        self.running = False

    def ask(self) -> None:
        page = self.page
        if page.people_service is None or self.running:
            return
        if self.dialog is not None:
            self.dialog.raise_()
            return
        folder = str(QSettings().value(FOLDER_KEY, "") or "")
        if not folder or not Path(folder).is_dir():
            folder = documents_folder()
        dialog = QFileDialog(page.window(), "Export the people listed as CSV")
        dialog.setObjectName("exportDialog")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setFileMode(QFileDialog.FileMode.AnyFile)
        dialog.setNameFilter("CSV files (*.csv)")
        dialog.setDefaultSuffix("csv")
        dialog.setDirectory(folder)
        dialog.selectFile(file_name_for(page.people_filter(), page.current_view, date.today()))
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.fileSelected.connect(lambda chosen: self.write(Path(chosen)))
        dialog.finished.connect(self._closed)
        self.dialog = dialog
        dialog.open()

    def _closed(self, _result: int) -> None:
        if self.dialog is not None:
            self.dialog.deleteLater()
        self.dialog = None

    def write(self, path: Path) -> None:
        """Write the filtered list to `path` on a reader thread."""
        people = self.page.people_service
        if people is None:
            return
        QSettings().setValue(FOLDER_KEY, str(path.parent))
        people_filter = self.page.people_filter()
        self._generation += 1
        self._target = path
        self.running = True
        self.page.export_button.setEnabled(False)
        self.page.tell(f"Exporting to {html.escape(str(path))}…")
        read_in_background(
            lambda: people.export_csv(people_filter, path), self._reader, self._generation
        )

    def _on_read(self, generation: int, result: object, _kind: str) -> None:
        if generation != self._generation or not isValid(self.page):
            return  # (the window closed while the file was written: it was written)
        self.running = False
        self.page.export_button.setEnabled(True)
        path = self._target or Path()
        if isinstance(result, OSError):
            self.page.tell(
                f"Nothing was exported: {html.escape(str(path))} could not be written "
                f"({html.escape(result.strerror or str(result))}). Choose another folder, or "
                "check there is free space.",
                error=True,
            )
            return
        if isinstance(result, Exception):
            self.page.tell(
                f"Nothing was exported: {html.escape(str(result))}. Try again after the sync "
                "finishes; if it happens again, the log has the details.",
                error=True,
            )
            return
        assert isinstance(result, int)
        folder = QUrl.fromLocalFile(str(path.parent)).toString()
        self.page.tell(
            f"Wrote {formatting.people_count(result)} to {html.escape(str(path))}. "
            f'<a href="{html.escape(folder)}">Open the folder</a>'
        )


def save_view_dialog(
    page: QWidget,
    people: PeopleService,
    people_filter: PeopleFilter,
    on_saved: Callable[[NamedView], None],
) -> QInputDialog:
    """Ask for the view's name (suggesting the filters in words) and keep it."""
    dialog = QInputDialog(page.window())
    dialog.setObjectName("saveViewDialog")
    dialog.setWindowTitle("Save view")
    dialog.setLabelText(
        f"Name this view ({people_filter.describe()}).\nIt appears in the sidebar under People."
    )
    dialog.setTextValue("" if people_filter.is_empty else people_filter.describe()[:60])
    dialog.setWindowModality(Qt.WindowModality.WindowModal)

    def chosen(name: str) -> None:
        try:
            view = people.views.save(name, people_filter)
        except UserFacingError as error:
            box = QMessageBox(QMessageBox.Icon.Warning, error.title, error.what, parent=page)
            box.setObjectName("viewError")
            box.setInformativeText(error.todo)
            box.finished.connect(lambda _r: box.deleteLater())
            box.open()
            return
        on_saved(view)

    dialog.textValueSelected.connect(chosen)
    dialog.finished.connect(lambda _r: dialog.deleteLater())
    dialog.open()
    return dialog
