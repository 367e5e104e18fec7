"""Small building blocks every page uses, so the pages look alike."""

from __future__ import annotations

from typing import TypeVar

from PySide6.QtCore import QAbstractItemModel, QByteArray, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

W = TypeVar("W", bound=QWidget)


def named(widget: W, name: str) -> W:
    """Give a widget the object name the style sheet (and tests) know it by."""
    widget.setObjectName(name)
    return widget


def compact_table(model: QAbstractItemModel, parent: QWidget | None = None) -> QTableView:
    """A dense, read-only table: fixed row height (fast with long models), whole-row selection."""
    view = QTableView(parent)
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setShowGrid(False)
    view.setWordWrap(False)
    view.setTextElideMode(Qt.TextElideMode.ElideRight)
    view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
    view.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
    rows = view.verticalHeader()
    rows.setVisible(False)
    rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    rows.setDefaultSectionSize(view.fontMetrics().height() + 10)
    header = view.horizontalHeader()
    header.setHighlightSections(False)
    header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setMinimumSectionSize(48)
    return view


def section_title(text: str) -> QLabel:
    """A small heading above a block of a page."""
    return named(QLabel(text), "sectionTitle")


class EmptyState(QWidget):
    """A calm message where a table has nothing to show, saying what to do next."""

    def __init__(self, title: str, hint: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = named(QLabel(title), "emptyTitle")
        self.hint = named(QLabel(hint), "emptyHint")
        for label in (self.title, self.hint):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label.setWordWrap(True)
            label.setTextFormat(Qt.TextFormat.PlainText)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 32, 32, 32)
        layout.addStretch(1)
        layout.addWidget(self.title)
        layout.addWidget(self.hint)
        layout.addStretch(2)

    def set_text(self, title: str, hint: str = "") -> None:
        self.title.setText(title)
        self.hint.setText(hint)
        self.hint.setVisible(bool(hint))


def empty_state(title: str, hint: str = "") -> EmptyState:
    return EmptyState(title, hint)


class AdaptiveSplitter(QSplitter):
    """A list and its detail side by side when there is room, the detail under the list when not.

    At 1024 px a side-by-side detail pane squeezes the list until its key columns (state, ETA)
    scroll away; stacked, the list keeps its full width and the detail keeps a readable height.
    `wide_from` is the width (px) from which the two fit side by side; `stacked_share` is the
    list's share of the height once stacked.
    """

    def __init__(
        self, wide_from: int, stacked_share: float = 0.55, parent: QWidget | None = None
    ) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.wide_from = wide_from
        self.stacked_share = stacked_share
        self.setChildrenCollapsible(False)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit(event.size().width())

    def restoreState(self, state: QByteArray | bytes | bytearray | memoryview) -> bool:
        restored = super().restoreState(state)
        self._fit(self.width())  # a state saved on a wider screen brings its orientation along
        return restored

    def _fit(self, width: int) -> None:
        wanted = Qt.Orientation.Horizontal if width >= self.wide_from else Qt.Orientation.Vertical
        if wanted is self.orientation() or self.count() < 2:
            return
        self.setOrientation(wanted)
        horizontal = wanted is Qt.Orientation.Horizontal
        length = width if horizontal else self.height()
        first = round(length * (0.55 if horizontal else self.stacked_share))
        self.setSizes([first, length - first])
