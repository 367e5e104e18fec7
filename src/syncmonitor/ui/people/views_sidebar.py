"""The named People views in the sidebar, under the pages: one click opens one.

Each line is the view's name and how many people it holds now (read on a reader thread when the
cache opens, after each sync and after a view changes). Right-click (or the context-menu key)
renames or deletes a view; the People page's "Save view…" adds one. The views are kept by the
engine in the settings folder (engine/people/views.py), so they survive restarts.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QMessageBox,
    QSizePolicy,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from syncmonitor.app.errors import UserFacingError
from syncmonitor.engine.services.people import NamedView, PeopleService
from syncmonitor.ui.models.lazy import background_reader, read_in_background
from syncmonitor.ui.widgets import named

VIEW_ROLE = int(Qt.ItemDataRole.UserRole) + 11
COUNT_ROLE = int(Qt.ItemDataRole.UserRole) + 12


class _ViewDelegate(QStyledItemDelegate):
    """The name on the left (cut with … when long), the count on the right, always whole."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Any) -> None:
        count = index.data(COUNT_ROLE)
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        text, opt.text = opt.text, ""
        style = opt.widget.style() if opt.widget else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        rect = opt.rect.adjusted(10, 0, -8, 0)
        metrics = opt.fontMetrics
        count_text = "…" if count is None else f"{count:,}"
        count_width = metrics.horizontalAdvance(count_text)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        painter.save()
        # The selected line keeps the text colour: the style sheet's selection is a light tint
        # (dark in the dark look), on which the palette's "highlighted text" white is unreadable.
        painter.setPen(opt.palette.color(opt.palette.ColorRole.Text))
        name_rect = QRect(rect.left(), rect.top(), rect.width() - count_width - 8, rect.height())
        painter.drawText(
            name_rect,
            int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft),
            metrics.elidedText(text, Qt.TextElideMode.ElideRight, name_rect.width()),
        )
        if not selected:
            painter.setPen(opt.palette.color(opt.palette.ColorRole.PlaceholderText))
        font = painter.font()
        font.setBold(selected)
        painter.setFont(font)
        painter.drawText(
            rect, int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight), count_text
        )
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: Any) -> QSize:
        return QSize(0, 28)


class PeopleViewsList(QWidget):
    """ "Views" under the sidebar's pages: `open_view` when one is clicked."""

    open_view = Signal(object)  # NamedView
    views_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._people: PeopleService | None = None
        self._reader = background_reader(self)
        self._generation = 0
        self._counts: dict[str, int] = {}
        self._dialog: QWidget | None = None
        self.title = named(QLabel("People views"), "viewsTitle")
        self.title.setContentsMargins(12, 10, 8, 2)
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        self.list = named(QListWidget(), "peopleViews")
        self.list.setFrameShape(QFrame.Shape.NoFrame)
        self.list.setItemDelegate(_ViewDelegate(self.list))
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Expanding)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._menu)
        self.list.itemClicked.connect(self._clicked)
        self.list.itemActivated.connect(self._clicked)
        self.list.setToolTip("Click a view to open it on the People page; right-click to rename")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.title)
        layout.addWidget(self.list, 1)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Expanding)
        self.setVisible(False)

    def set_people(self, people: PeopleService | None) -> None:
        self._people = people
        self.setVisible(people is not None)
        self.reload()

    def views(self) -> list[NamedView]:
        return self._people.views.all() if self._people else []

    def reload(self) -> None:
        """Show the views as kept, then read their counts."""
        current = self.list.currentItem()
        chosen = current.data(VIEW_ROLE).name if current else None
        self.list.clear()
        for view in self.views():
            item = QListWidgetItem(view.name)
            item.setData(VIEW_ROLE, view)
            item.setData(COUNT_ROLE, self._counts.get(view.name))
            item.setToolTip(f"{view.name}: {view.filter.describe()}")
            self.list.addItem(item)
            if view.name == chosen:
                self.list.setCurrentItem(item)
        self.refresh_counts()

    def refresh_counts(self) -> None:
        people = self._people
        if people is None:
            return
        self._generation += 1
        views = self.views()
        mine = self._generation

        def counts() -> object:  # skipped when a newer read is queued behind it
            return None if mine != self._generation else people.view_counts(views)

        read_in_background(counts, self._reader, mine, slow=True)

    def _on_read(self, generation: int, result: object, _kind: str) -> None:
        if generation != self._generation or not isinstance(result, dict) or not isValid(self.list):
            return  # a failed count leaves "…": the People page reports cache problems
        self._counts = result
        for row in range(self.list.count()):
            item = self.list.item(row)
            item.setData(COUNT_ROLE, result.get(item.data(VIEW_ROLE).name))

    def count_of(self, name: str) -> int | None:
        return self._counts.get(name)

    def show_current(self, view: NamedView | None) -> None:
        """Highlight the view the People page shows (None: the page shows no saved view)."""
        self.list.blockSignals(True)
        self.list.clearSelection()
        self.list.setCurrentRow(-1)
        for row in range(self.list.count()):
            item = self.list.item(row)
            if view is not None and item.data(VIEW_ROLE).name == view.name:
                self.list.setCurrentItem(item)
        self.list.blockSignals(False)

    def _clicked(self, item: QListWidgetItem) -> None:
        self.open_view.emit(item.data(VIEW_ROLE))

    # Rename and delete -------------------------------------------------------------------------

    def _menu(self, point: QPoint) -> None:
        item = self.list.itemAt(point)
        if item is None:
            return
        view: NamedView = item.data(VIEW_ROLE)
        menu = QMenu(self)
        menu.addAction("Open", lambda: self.open_view.emit(view))
        menu.addAction("Rename…", lambda: self.ask_rename(view))
        menu.addAction("Delete…", lambda: self.ask_delete(view))
        menu.popup(self.list.viewport().mapToGlobal(point))

    def ask_rename(self, view: NamedView) -> None:
        dialog = QInputDialog(self.window())
        dialog.setObjectName("renameView")
        dialog.setWindowTitle("Rename view")
        dialog.setLabelText("New name:")
        dialog.setTextValue(view.name)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.textValueSelected.connect(lambda name: self.rename(view, name))
        dialog.finished.connect(lambda _r: dialog.deleteLater())
        self._dialog = dialog
        dialog.open()

    def rename(self, view: NamedView, name: str) -> None:
        if self._people is None or name.strip() == view.name:
            return
        try:
            renamed = self._people.views.rename(view.name, name)
        except UserFacingError as error:
            self._tell(error)
            return
        if view.name in self._counts:
            self._counts[renamed.name] = self._counts.pop(view.name)
        self.reload()
        self.views_changed.emit()

    def ask_delete(self, view: NamedView) -> None:
        """Delete a view after asking: it is the admin's saved work, and there is no undo."""
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Delete view",
            f"Delete the view '{view.name}'?",
            parent=self.window(),
        )
        box.setInformativeText(
            "Only this saved set of filters goes; the people and their history stay as they are."
        )
        delete = box.addButton("Delete view", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setObjectName("deleteView")
        box.setWindowModality(Qt.WindowModality.WindowModal)

        def answered(_result: int) -> None:
            if box.clickedButton() is delete:
                self.delete(view)
            box.deleteLater()

        box.finished.connect(answered)
        self._dialog = box
        box.open()

    def delete(self, view: NamedView) -> None:
        if self._people is None:
            return
        try:
            self._people.views.delete(view.name)
        except UserFacingError as error:
            self._tell(error)
            return
        self.reload()
        self.views_changed.emit()

    def _tell(self, error: UserFacingError) -> None:
        box = QMessageBox(QMessageBox.Icon.Warning, error.title, error.what, parent=self.window())
        box.setInformativeText(error.todo)
        box.setObjectName("viewError")
        box.finished.connect(lambda _r: box.deleteLater())
        box.open()
