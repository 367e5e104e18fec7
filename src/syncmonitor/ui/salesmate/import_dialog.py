"""Import a Salesmate sequence enrolment export: choose the file, check the mapping, see every
row's problems, import all or nothing.

Reading, checking and writing run off the GUI thread (asyncio on the app's qasync loop: a worker
thread for the file and the cache, the network for Salesmate); the dialog only shows results.
A newer check makes an older one stale, so changing the mapping quickly never shows old results.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from syncmonitor.app.errors import UserFacingError
from syncmonitor.domain.export_dates import DateOrder
from syncmonitor.domain.salesmate_export import Column
from syncmonitor.engine.services.imports import (
    ImportOutcome,
    ImportsService,
    LoadedExport,
    Preview,
)
from syncmonitor.ui.files import remember_folder, start_folder
from syncmonitor.ui.models.import_preview import ImportPreviewModel
from syncmonitor.ui.widgets import compact_table, named, section_title

log = logging.getLogger(__name__)

NOT_IN_FILE = "(not in the file)"


class SalesmateImportDialog(QDialog):
    """The import dialog; show it with `open()`. `imported` fires after a successful import."""

    imported = Signal(object)  # ImportOutcome

    def __init__(
        self,
        imports: ImportsService,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import Salesmate sequence enrolments")
        self.setObjectName("salesmateImport")
        self.resize(980, 640)
        self._imports = imports
        self.export: LoadedExport | None = None
        self._loaded_path: Path | None = None
        self.preview: Preview | None = None
        self.outcome: ImportOutcome | None = None
        self._generation = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._importing: asyncio.Task[None] | None = None
        self._busy = False

        self.path_edit = named(QLineEdit(), "importPath")
        # A typed or pasted path works too: Enter (or leaving the field) reads it.
        self.path_edit.setPlaceholderText(
            "Type or paste the path of a CSV file exported from Salesmate, or choose it"
        )
        self.path_edit.editingFinished.connect(self._typed_path)
        self.browse_button = QPushButton("Choose file…")
        self.browse_button.clicked.connect(self._choose_file)
        self.file_info = named(QLabel(), "hint")

        self.combos: dict[Column, QComboBox] = {}
        mapping_box = QWidget()
        mapping = QGridLayout(mapping_box)
        mapping.setContentsMargins(0, 0, 0, 0)
        mapping.setHorizontalSpacing(10)
        for i, column in enumerate(Column):
            combo = QComboBox()
            combo.setObjectName(f"column_{column.value}")
            combo.setMinimumContentsLength(14)
            combo.setToolTip(
                f"Which column holds the {column.label.lower()}"
                + ("" if column.required else " (optional)")
            )
            combo.currentIndexChanged.connect(self._recheck)
            self.combos[column] = combo
            label = QLabel(column.label + ("" if column.required else " (optional)"))
            mapping.addWidget(label, i // 3 * 2, i % 3)
            mapping.addWidget(combo, i // 3 * 2 + 1, i % 3)

        self.date_order = named(QComboBox(), "dateOrder")
        for order in DateOrder:
            self.date_order.addItem(order.description.capitalize(), order)
        self.date_order.currentIndexChanged.connect(lambda _i: self._recheck(ask_salesmate=False))
        self.zone = named(QComboBox(), "timeZone")
        local = datetime.now().astimezone().tzname() or "local"
        self.zone.addItem(f"This computer's time ({local})", "local")
        self.zone.addItem("UTC", "UTC")
        self.zone.currentIndexChanged.connect(lambda _i: self._recheck(ask_salesmate=False))
        dates = QFormLayout()
        dates.addRow("Numeric dates", self.date_order)
        dates.addRow("Dates without a zone", self.zone)

        self.notes = named(QLabel(), "importNotes")
        self.notes.setWordWrap(True)
        self.notes.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.model = ImportPreviewModel(self)
        self.table = compact_table(self.model)
        self.table.setObjectName("importPreview")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        header = self.table.horizontalHeader()
        for number, width in ((0, 48), (1, 80), (2, 210), (3, 130), (4, 230), (5, 120)):
            self.table.setColumnWidth(number, width)
        header.setSectionResizeMode(ImportPreviewModel.PROBLEMS, QHeaderView.ResizeMode.Stretch)
        self.only_problems = QCheckBox("Show only rows with problems")
        self.only_problems.toggled.connect(self.model.set_only_problems)
        # Every problem in full, one per line, to read or copy (the table's cells are clipped).
        self.problem_list = named(QPlainTextEdit(), "importProblems")
        self.problem_list.setReadOnly(True)
        self.problem_list.setMaximumHeight(96)
        self.problem_list.setPlaceholderText("No problems.")

        self.summary = named(QLabel(), "importSummary")
        self.summary.setWordWrap(True)
        self.skip_invalid = QCheckBox("Skip the rows with errors and import the rest")
        self.skip_invalid.setToolTip(
            "An import is all or nothing. Tick this to import the rows without errors; the "
            "skipped lines stay listed here so you can fix them and import them later."
        )
        self.skip_invalid.toggled.connect(self._skip_changed)

        self.buttons = QDialogButtonBox()
        self.import_button = self.buttons.addButton(
            "Import", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.import_button.setObjectName("importButton")
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.import_button.clicked.connect(self._start_import)
        self.close_button.clicked.connect(self.reject)

        file_row = QHBoxLayout()
        file_row.addWidget(self.path_edit, 1)
        file_row.addWidget(self.browse_button)
        layout = QVBoxLayout(self)
        layout.setSpacing(8)
        layout.addLayout(file_row)
        layout.addWidget(self.file_info)
        layout.addWidget(section_title("Columns"))
        layout.addWidget(mapping_box)
        layout.addLayout(dates)
        layout.addWidget(self.notes)
        preview_title = QHBoxLayout()
        preview_title.addWidget(section_title("Rows"))
        preview_title.addStretch(1)
        preview_title.addWidget(self.only_problems)
        layout.addLayout(preview_title)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.problem_list)
        layout.addWidget(self.summary)
        bottom = QHBoxLayout()
        bottom.addWidget(self.skip_invalid)
        bottom.addStretch(1)
        bottom.addWidget(self.buttons)
        layout.addLayout(bottom)
        self._show_empty()

    # -- choosing and reading the file -------------------------------------------------------

    def _choose_file(self) -> None:
        chooser = QFileDialog(self, "Choose a Salesmate export")
        chooser.setNameFilters(["CSV files (*.csv *.txt *.tsv)", "All files (*)"])
        chooser.setFileMode(QFileDialog.FileMode.ExistingFile)
        chooser.setDirectory(str(start_folder("salesmate")))
        chooser.fileSelected.connect(self._chosen)
        chooser.open()  # never exec(): the event loop (and qasync) keeps running

    def _chosen(self, name: str) -> None:
        remember_folder("salesmate", Path(name))
        self.load_file(Path(name))

    def _typed_path(self) -> None:
        text = self.path_edit.text().strip().strip('"').strip("'")
        if not text or (self.export is not None and text == str(self._loaded_path)):
            return
        path = Path(text).expanduser()
        if not path.is_file():
            self.export = self.preview = None
            self._loaded_path = None
            self._show_empty(
                f"No file at {path}: check the path, or use Choose file… to find the export."
            )
            return
        remember_folder("salesmate", path)
        self.load_file(path)

    def load_file(self, path: Path) -> None:
        """Read `path` in the background, guess the columns and check every row."""
        self.path_edit.setText(str(path))
        self._loaded_path = path
        self._spawn(self._load(path))

    async def _load(self, path: Path) -> None:
        generation = self._next_generation("Reading the file…")
        try:
            export = await self._imports.load_async(path)
        except UserFacingError as exc:
            if generation == self._generation:
                self.export = self.preview = None
                self._show_empty(f"{exc.title}: {exc.message}")
            return
        if generation != self._generation:
            return
        self.export = export
        self.file_info.setText(f"{export.name}: {export.describe()}.")
        for column, combo in self.combos.items():
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(NOT_IN_FILE, None)
            for index, header in enumerate(export.headers):
                combo.addItem(header or f"Column {index + 1}", index)
            guessed = export.guessed.get(column)
            combo.setCurrentIndex(0 if guessed is None else guessed + 1)
            combo.blockSignals(False)
        await self._check(generation, ask_salesmate=True)

    # -- checking ----------------------------------------------------------------------------

    def mapping(self) -> dict[Column, int | None]:
        return {column: combo.currentData() for column, combo in self.combos.items()}

    def _recheck(self, *_args: object, ask_salesmate: bool = True) -> None:
        if self.export is None:
            return
        generation = self._next_generation("Checking the rows…")
        self._spawn(self._check(generation, ask_salesmate=ask_salesmate))

    async def _check(self, generation: int, *, ask_salesmate: bool) -> None:
        assert self.export is not None
        known = self.preview.contacts if self.preview and not ask_salesmate else None
        zone = UTC if self.zone.currentData() == "UTC" else _local_zone()
        try:
            preview = await self._imports.check(
                self.export,
                mapping=self.mapping(),
                date_order=DateOrder(self.date_order.currentData()),  # Qt hands back a str
                zone=zone,
                contacts=known,
            )
        except Exception as exc:  # shown, never lost in the loop's handler
            log.exception("Checking the Salesmate export failed")
            if generation == self._generation:
                self._show_empty(f"The file could not be checked: {exc}")
            return
        if generation != self._generation:
            return
        self.preview = preview
        self._busy = False
        self._show_preview()

    def _show_preview(self) -> None:
        assert self.preview is not None
        checked = self.preview.checked
        notes = [p.message for p in checked.file_errors]
        notes += [p.message for p in checked.warnings if p.line is None]  # a repeated header
        if checked.date_decision is not None and not any(
            p.kind == "date-order" for p in checked.file_errors
        ):
            notes.append(checked.date_decision.note())
        if self.preview.salesmate_note:
            notes.append(self.preview.salesmate_note)
        self.notes.setText("\n".join(notes))
        self.notes.setProperty("error", bool(checked.file_errors))
        export = self.preview.export
        rows = checked.shown if checked.shown else export.sample
        self.model.show(rows, self.preview.mapping, checked)
        self.problem_list.setPlainText(
            "\n".join(
                f"Line {p.line}: {p.severity.value}: {p.message}"
                for p in checked.problems
                if p.line is not None
            )
        )
        self.summary.setText(self._summary_text())
        self._update_buttons()

    def _skip_changed(self) -> None:
        if self.preview is not None and self.outcome is None and not self._busy:
            self.summary.setText(self._summary_text())
        self._update_buttons()

    def _summary_text(self) -> str:
        assert self.preview is not None
        checked = self.preview.checked
        errors = checked.error_row_count
        warnings = checked.warning_row_count
        ready = checked.ready_count
        parts = [f"{checked.row_count:,} rows: {ready:,} ready"]
        if errors:
            parts.append(f"{errors:,} with errors")
        if warnings:
            parts.append(f"{warnings:,} with warnings")
        text = ", ".join(parts) + "."
        shown = len(checked.shown or self.preview.export.sample)
        if shown < checked.row_count:
            text += (
                f" The table shows {shown:,} of them: the first rows, then rows with problems "
                "(every row is checked and counted)."
            )
        if checked.file_errors:
            text += " Fix the problem above before importing."
        elif errors and self.skip_invalid.isChecked():
            rows = "1 row" if errors == 1 else f"{errors:,} rows"
            text += f" {rows} with errors will be skipped."
        elif errors:
            text += (
                " Nothing is imported while a row has an error: fix the file, or skip those rows."
            )
        return text

    # -- importing ---------------------------------------------------------------------------

    def _update_buttons(self) -> None:
        skip = self.skip_invalid.isChecked()
        ok = (
            not self._busy
            and self.outcome is None
            and self.preview is not None
            and self.preview.importable(skip_invalid_rows=skip)
        )
        self.import_button.setEnabled(ok)
        self.skip_invalid.setEnabled(
            self.outcome is None
            and bool(self.preview and self.preview.checked.error_row_count)
            and not (self.preview and self.preview.checked.file_errors)
        )
        if self.preview is not None and self.outcome is None:
            # The label follows "Skip the rows with errors": with errors and no skip, nothing
            # would be imported, so it names no count (the summary says why).
            checked = self.preview.checked
            count = checked.ready_count
            skipped = checked.error_row_count
            if not ok:
                self.import_button.setText("Import")
            elif skipped and skip:
                rows = f"{count:,} row" + ("" if count == 1 else "s")
                self.import_button.setText(f"Import {rows}, skip {skipped:,}")
            else:
                self.import_button.setText(f"Import {count:,} row" + ("" if count == 1 else "s"))

    def _start_import(self) -> None:
        if self.preview is None or self._busy:
            return
        self._busy = True
        self._update_buttons()
        self.summary.setText("Importing…")
        self._importing = self._spawn(self._import(self.preview, self.skip_invalid.isChecked()))

    async def _import(self, preview: Preview, skip: bool) -> None:
        try:
            outcome = await self._imports.write_async(preview, skip_invalid_rows=skip)
        except UserFacingError as exc:
            self._busy = False
            self.summary.setText(f"{exc.title}: {exc.message}")
            self._update_buttons()
            return
        except Exception as exc:
            log.exception("The Salesmate import failed")
            self._busy = False
            self.summary.setText(
                f"Nothing was imported: the cache refused the write ({exc}). Try again; if it "
                "keeps failing, report it with the log file."
            )
            self._update_buttons()
            return
        self._busy = False
        self.outcome = outcome
        self.summary.setText(outcome.summary())
        self.close_button.setText("Close")
        self.import_button.setText("Imported")
        self._update_buttons()
        self.imported.emit(outcome)

    # -- plumbing ----------------------------------------------------------------------------

    def _next_generation(self, message: str) -> int:
        self._generation += 1
        self._busy = True
        self.summary.setText(message)
        self._update_buttons()
        return self._generation

    def _spawn(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _show_empty(self, message: str = "") -> None:
        self._busy = False
        self.model.show({}, {}, None)
        self.problem_list.clear()
        self.notes.setText(message)
        self.summary.setText("" if message else "Choose the file Salesmate exported.")
        self._update_buttons()

    def done(self, result: int) -> None:
        # Checks are abandoned; an import under way finishes (its transaction is all or nothing).
        for task in list(self._tasks):
            if task is not self._importing:
                with contextlib.suppress(RuntimeError):
                    task.cancel()
        super().done(result)

    async def wait_idle(self) -> None:
        """Wait for the dialog's background work (tests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


def _local_zone() -> tzinfo:
    return datetime.now().astimezone().tzinfo or UTC
