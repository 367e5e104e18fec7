"""Pieces every mapping page shares: the editor bar (undo, redo, import, export, preview, save,
revert, the unsaved-changes marker) and the question asked before leaving unsaved edits."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QWidget,
)

from syncmonitor.domain.mappings.statuses import Issue
from syncmonitor.ui.files import remember_folder, start_folder
from syncmonitor.ui.mappings.workspace import MappingWorkspace
from syncmonitor.ui.style import bg, bg_colour, fg
from syncmonitor.ui.widgets import named


def error_background() -> QColor:
    """A row with an error: a red tint (deep on the dark look, pale on the light one)."""
    return bg_colour("#fde8e6")


def warning_background() -> QColor:
    return bg_colour("#fff4d6")


def unmapped_background() -> QColor:
    return bg_colour("#fff4d6")


FILE_FILTER = "Mapping files (*.json *.csv);;JSON (*.json);;CSV (*.csv)"


def issue_text(issues: list[Issue]) -> str:
    return "\n".join(
        ("Error: " if i.is_error else "Warning: ")
        + i.message
        + (
            f" (suggested: {i.suggestion})"
            if i.suggestion and i.suggestion not in i.message
            else ""
        )
        for i in issues
    )


class EditorBar(QWidget):
    """Undo, Redo, Import, Export, Preview, Revert, Save, and what state the edits are in."""

    preview_requested = Signal()

    def __init__(self, workspace: MappingWorkspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.undo = QPushButton("Undo")
        self.redo = QPushButton("Redo")
        self.import_button = QPushButton("Import…")
        self.export_button = QPushButton("Export…")
        self.preview = QPushButton("Preview…")
        self.revert = QPushButton("Revert")
        self.save = QPushButton("Save")
        self.save.setDefault(True)
        self.state = named(QLabel(), "hint")
        self.import_button.setToolTip(
            "Replace the mappings with a JSON or CSV file (checked whole)"
        )
        self.export_button.setToolTip("Write every mapping to a JSON or CSV file")
        self.preview.setToolTip("See what a sync would send and load for sample records")
        self.revert.setToolTip("Go back to the saved mappings (can be undone)")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        for button in (self.undo, self.redo, self.import_button, self.export_button, self.preview):
            layout.addWidget(button)
        layout.addStretch(1)
        layout.addWidget(self.state)
        layout.addWidget(self.revert)
        layout.addWidget(self.save)
        self.undo.clicked.connect(workspace.undo)
        self.redo.clicked.connect(workspace.redo)
        self.save.clicked.connect(workspace.save)
        self.revert.clicked.connect(workspace.revert)
        self.import_button.clicked.connect(self._import)
        self.export_button.clicked.connect(self._export)
        self.preview.clicked.connect(self.preview_requested)
        # Ctrl+Z, Ctrl+Y / Ctrl+Shift+Z and Ctrl+S are the window's Edit menu (window_menu.py),
        # so they are listed there and work wherever the focus is on this page.
        workspace.changed.connect(self.update_state)
        workspace.busy_changed.connect(lambda _text: self.update_state())
        self.update_state()

    def update_state(self) -> None:
        w = self.workspace
        h = w.history
        self.undo.setEnabled(h.can_undo)
        self.redo.setEnabled(h.can_redo)
        self.undo.setToolTip(f"Undo {h.undo_label} (Ctrl+Z)" if h.can_undo else "Nothing to undo")
        self.redo.setToolTip(
            f"Redo {h.redo_label} (Ctrl+Y or Ctrl+Shift+Z)" if h.can_redo else "Nothing to redo"
        )
        self.save.setEnabled(w.dirty and not w.busy)
        self.revert.setEnabled(w.dirty)
        # Short enough for the row at 1024 px; the tooltip says the rest (and that Lead Status,
        # Contact Status and Field mappings are one set, saved together).
        together = "Lead Status, Contact Status and Field mappings are saved together."
        if w.busy:
            self.state.setText(w.busy)
            self.state.setToolTip(w.busy)
        elif w.dirty:
            self.state.setText("● Unsaved changes")
            self.state.setToolTip(f"The sync uses the last saved mappings until Save. {together}")
        elif w.saved_at:
            self.state.setText(f"Saved {w.saved_at[:16].replace('T', ' ')} UTC")
            self.state.setToolTip(f"The next sync uses these mappings. {together}")
        else:
            self.state.setText("Not saved yet")
            self.state.setToolTip(
                f"The sync does not use these mappings until they are saved. {together}"
            )

    def choose_import(self) -> Path | None:
        name, _ = QFileDialog.getOpenFileName(
            self, "Import mappings", str(start_folder("mappings")), FILE_FILTER
        )
        if name:
            remember_folder("mappings", Path(name))
        return Path(name) if name else None

    def choose_export(self) -> Path | None:
        suggested = start_folder("mappings") / "mappings.json"
        name, _ = QFileDialog.getSaveFileName(self, "Export mappings", str(suggested), FILE_FILTER)
        if name:
            remember_folder("mappings", Path(name))
        return Path(name) if name else None

    def _import(self) -> None:
        path = self.choose_import()
        if path is not None:
            self.workspace.import_file(path)

    def _export(self) -> None:
        path = self.choose_export()
        if path is not None:
            self.workspace.export_file(path)


class MessageLine(QLabel):
    """The page's last message: a success in grey, a failure in red (dismissed by the next)."""

    def __init__(self, workspace: MappingWorkspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setVisible(False)
        workspace.notice.connect(self.show_notice)
        workspace.failed.connect(self.show_failure)

    def _on_other_page(self) -> bool:
        """True when this line's page is in the window but not the page shown: the three
        mapping pages share one workspace, and an import refused on Lead Status must not
        appear on Field mappings."""
        child: QWidget = self
        parent = child.parentWidget()
        while parent is not None:
            if isinstance(parent, QStackedWidget):
                return parent.currentWidget() is not child
            child, parent = parent, parent.parentWidget()
        return False

    def show_notice(self, text: str) -> None:
        if self._on_other_page():
            return
        self.setObjectName("hint")
        self.setStyleSheet(f"color: {fg('#5e6c84')};")
        self.setText(text)
        self.setVisible(True)

    def show_failure(self, title: str, message: str) -> None:
        if self._on_other_page():
            return
        self.setStyleSheet(
            f"color: {fg('#ae2a19')}; background: {bg('#fdecea')}; padding: 6px; "
            "border-radius: 4px;"
        )
        self.setText(f"{title}: {message}")
        self.setVisible(True)


def ask_unsaved(parent: QWidget) -> QMessageBox.StandardButton:
    """Save, Discard or Cancel before leaving unsaved mapping edits."""
    return QMessageBox.question(
        parent,
        "Unsaved mapping changes",
        "The mappings have changes that are not saved. The sync keeps using the saved ones "
        "until you save.",
        QMessageBox.StandardButton.Save
        | QMessageBox.StandardButton.Discard
        | QMessageBox.StandardButton.Cancel,
        QMessageBox.StandardButton.Save,
    )
