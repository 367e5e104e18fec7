"""The timeline as a feed: each transition a two-line entry, like an activity log.

Line one: the state's dot and label, and when it changed. Line two, muted: the sequence, the step,
the raw value the provider sent and when Sync Monitor saw it. A table with six columns would not fit
beside the people list; this reads at a glance and keeps every fact visible.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from syncmonitor.ui import formatting
from syncmonitor.ui.models.timeline import DETAIL_ROLE, TIME_ROLE, TimelineModel
from syncmonitor.ui.style import fg_colour

PAD_X, PAD_Y, DOT, GAP = 10, 6, 10, 8


class TimelineDelegate(QStyledItemDelegate):
    """Paints one transition as headline + time, with a muted detail line below."""

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        metrics = QFontMetrics(option.font)
        return QSize(200, metrics.height() * 2 + PAD_Y * 2 + 3)

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        widget = option.widget
        style = widget.style() if widget else QApplication.style()
        panel = QStyleOptionViewItem(option)
        self.initStyleOption(panel, index)
        style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewRow, panel, painter, widget)
        style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, panel, painter, widget)

        rect: QRect = option.rect.adjusted(PAD_X, PAD_Y, -PAD_X, -PAD_Y)
        metrics = QFontMetrics(option.font)
        line = metrics.height()
        painter.save()
        icon = index.data(Qt.ItemDataRole.DecorationRole)
        if icon is not None:
            icon.paint(painter, QRect(rect.left(), rect.top() + (line - DOT) // 2, DOT, DOT))
        text_left = rect.left() + DOT + GAP

        when = index.data(TIME_ROLE) or ""
        muted = fg_colour(formatting.MUTED_TEXT.name())
        painter.setPen(muted)
        painter.setFont(option.font)
        when_width = metrics.horizontalAdvance(when)
        painter.drawText(
            QRect(rect.right() - when_width, rect.top(), when_width, line),
            int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
            when,
        )

        headline_font = QFont(option.font)
        headline_font.setWeight(QFont.Weight.DemiBold)
        custom = index.data(Qt.ItemDataRole.FontRole)
        if isinstance(custom, QFont) and custom.italic():
            headline_font.setItalic(True)
        colour = index.data(Qt.ItemDataRole.ForegroundRole)
        palette: QPalette = option.palette
        painter.setPen(colour if colour is not None else palette.color(QPalette.ColorRole.Text))
        painter.setFont(headline_font)
        headline_width = rect.right() - when_width - GAP - text_left
        headline = QFontMetrics(headline_font).elidedText(
            index.data(Qt.ItemDataRole.DisplayRole) or "",
            Qt.TextElideMode.ElideRight,
            headline_width,
        )
        painter.drawText(
            QRect(text_left, rect.top(), headline_width, line),
            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
            headline,
        )

        painter.setFont(option.font)
        painter.setPen(muted)
        detail_width = rect.right() - text_left
        detail = metrics.elidedText(
            index.data(DETAIL_ROLE) or "", Qt.TextElideMode.ElideRight, detail_width
        )
        painter.drawText(
            QRect(text_left, rect.top() + line + 3, detail_width, line),
            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
            detail,
        )
        painter.restore()


def timeline_view(model: TimelineModel, parent: QWidget | None = None) -> QListView:
    """A list of transitions that reads more as the person scrolls (the model pages lazily)."""
    view = QListView(parent)
    view.setObjectName("timeline")
    view.setModel(model)
    view.setItemDelegate(TimelineDelegate(view))
    view.setUniformItemSizes(True)  # one size for every row: fast however long the history
    view.setAlternatingRowColors(True)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
    view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    return view
