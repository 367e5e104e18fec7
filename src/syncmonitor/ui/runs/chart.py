"""A small chart of runs over time, drawn with QPainter (QtCharts would add 100 MB to installers).

One bar per run, its height the duration and its colour the outcome; a line over the bars shows
the records each run read and wrote (right-hand scale). Hovering a bar names the run. A slow run,
a run of failures, or a sudden jump in records reads at a glance here, not in a table.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QMouseEvent, QPainter, QPainterPath, QPaintEvent, QPen
from PySide6.QtWidgets import QToolTip, QWidget

from syncmonitor.ui import formatting
from syncmonitor.ui.models.runs import OUTCOME_COLOURS, RunRow, kind_text
from syncmonitor.ui.style import fg_colour, is_dark, tones


def _text() -> QColor:
    return QColor(tones().muted)


def _grid() -> QColor:
    return QColor(tones().grid)


def _line() -> QColor:
    return QColor(tones().accent)


def _bar(outcome: str) -> QColor:
    # Colours are read at paint time, so a switch to the dark look repaints legibly.
    return fg_colour(OUTCOME_COLOURS.get(outcome, "#5e6c84"))


def nice_ceiling(value: float) -> float:
    """The round number at or above `value` a scale should end on (1, 2, 5 × 10^n)."""
    if value <= 0:
        return 1.0
    power = 1.0
    while power * 10 <= value:
        power *= 10
    while power > value:
        power /= 10
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power


class RunChart(QWidget):
    """Duration bars and a records line for the newest runs, oldest on the left."""

    run_clicked = Signal(int)  # run id

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("runChart")
        self.setMinimumHeight(150)
        self.setMouseTracking(True)
        self.runs: list[RunRow] = []
        self._bars: list[tuple[QRectF, RunRow]] = []

    def sizeHint(self) -> QSize:
        return QSize(600, 190)

    def set_runs(self, runs: Sequence[RunRow]) -> None:
        self.runs = [r for r in runs if r.outcome != "running"]
        self.update()

    def _plot_rect(self) -> QRectF:
        return QRectF(self.rect()).adjusted(54, 26, -64, -26)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor(tones().base))
        font = QFont(self.font())
        font.setPointSizeF(max(font.pointSizeF() - 1, 7))
        painter.setFont(font)
        self._bars = []
        if not self.runs:
            painter.setPen(_text())
            painter.drawText(
                self.rect(),
                Qt.AlignmentFlag.AlignCenter,
                "No runs yet: the chart fills in as syncs run.",
            )
            return
        plot = self._plot_rect()
        max_duration = nice_ceiling(max((r.duration_s or 0.0) for r in self.runs))
        max_records = nice_ceiling(max(r.records_read + r.records_written for r in self.runs))
        self._draw_axes(painter, plot, max_duration, max_records)
        slot = plot.width() / len(self.runs)
        bar_width = max(min(slot * 0.7, 18.0), 1.0)
        line = QPainterPath()
        for i, run in enumerate(self.runs):
            x = plot.left() + slot * i + (slot - bar_width) / 2
            height = plot.height() * (run.duration_s or 0.0) / max_duration
            bar = QRectF(x, plot.bottom() - max(height, 1.5), bar_width, max(height, 1.5))
            colour = _bar(run.outcome)
            painter.fillRect(bar, colour.darker(115) if is_dark() else colour.lighter(115))
            self._bars.append(
                (QRectF(plot.left() + slot * i, plot.top(), slot, plot.height()), run)
            )
            records = run.records_read + run.records_written
            point = QPointF(
                x + bar_width / 2, plot.bottom() - plot.height() * records / max_records
            )
            if i == 0:
                line.moveTo(point)
            else:
                line.lineTo(point)
        painter.setPen(QPen(_line(), 2))
        painter.drawPath(line)
        self._draw_legend(painter)

    def _draw_axes(
        self, painter: QPainter, plot: QRectF, max_duration: float, max_records: float
    ) -> None:
        metrics = painter.fontMetrics()
        for step in range(5):
            fraction = step / 4
            y = plot.bottom() - plot.height() * fraction
            painter.setPen(QPen(_grid(), 1))
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            painter.setPen(_text())
            left = _seconds(max_duration * fraction)
            painter.drawText(
                QRectF(0, y - 8, plot.left() - 6, 16),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                left,
            )
            painter.drawText(
                QRectF(plot.right() + 6, y - 8, 60, 16),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                f"{int(max_records * fraction):,}",
            )
        first, last = self.runs[0].started_at, self.runs[-1].started_at
        painter.drawText(
            QRectF(plot.left(), plot.bottom() + 4, 200, metrics.height()),
            Qt.AlignmentFlag.AlignLeft,
            formatting.short_time(first),
        )
        painter.drawText(
            QRectF(plot.right() - 200, plot.bottom() + 4, 200, metrics.height()),
            Qt.AlignmentFlag.AlignRight,
            formatting.short_time(last),
        )

    def _draw_legend(self, painter: QPainter) -> None:
        x, y = 54.0, 6.0
        items = [
            ("Duration (left)", _bar("succeeded")),
            ("Failed", _bar("failed")),
            ("Partly failed", _bar("partly_failed")),
            ("Cancelled", _bar("cancelled")),
            ("Records read + written (right)", _line()),
        ]
        metrics = painter.fontMetrics()
        for text, colour in items:
            painter.fillRect(QRectF(x, y + 3, 10, 10), colour)
            painter.setPen(_text())
            painter.drawText(QPointF(x + 14, y + 12), text)
            x += 14 + metrics.horizontalAdvance(text) + 16

    def run_at(self, x: float, y: float) -> RunRow | None:
        for rect, run in self._bars:
            if rect.contains(QPointF(x, y)):
                return run
        return None

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        run = self.run_at(pos.x(), pos.y())
        if run is None:
            QToolTip.hideText()
            return
        text = (
            f"{formatting.full_time(run.started_at)} · {kind_text(run)} · {run.trigger}\n"
            f"{_seconds(run.duration_s or 0.0)} · read {run.records_read:,} · "
            f"wrote {run.records_written:,} · {run.outcome}"
        )
        if run.error_title:
            text += f"\n{run.error_title}"
        QToolTip.showText(event.globalPosition().toPoint(), text, self)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        run = self.run_at(pos.x(), pos.y())
        if run is not None:
            self.run_clicked.emit(run.id)


def _seconds(value: float) -> str:
    if value >= 120:
        return f"{value / 60:.0f} min"
    if value >= 10 or value == 0:
        return f"{value:.0f} s"
    return f"{value:.1f} s"
