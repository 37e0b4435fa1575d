"""The validation confusion matrix after each epoch: counts, per-class accuracy, click for images.

Cells are coloured by the fraction of the true class (row) they hold, so a rare class reads as
clearly as a common one; the count is written in each cell when the classes are few enough to
read. Clicking a cell emits ``cell_clicked(true, predicted)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter
from PySide6.QtWidgets import QVBoxLayout, QWidget

from cnnstudio.gui import theme
from cnnstudio.gui.plots.style import (
    LiveText,
    blank_until_drawn,
    plot_colours,
    style_plot,
    style_widget,
)
from cnnstudio.gui.plots.views import PlotWidget

MAX_COUNTS_SHOWN = 15  # more classes than this and numbers in cells would not fit
MAX_NAMED = 30
MIN_COUNT_PX = 7.0  # counts smaller than this are not written in the cells, only shown on hover
CELL_FILL = 0.85  # the share of a cell's width (and height) its count may take
CLICK_HINT = "Click a cell to see its validation images"


class CellCounts(pg.GraphicsObject):
    """Every cell's count in one item: one paint call instead of one text item per cell.

    (100 pyqtgraph TextItems took ~60 ms to create and ~10 ms to update; this takes ~1 ms.)
    Text is drawn in device pixels at each cell's centre, so it stays sharp at any zoom, in a
    font shrunk until the widest count fits its cell; below ``MIN_COUNT_PX`` none is written
    (the count shows on hover instead).
    """

    def __init__(self) -> None:
        super().__init__()
        self.n = 0
        self.texts: list[str] = []
        self.colours: list[QColor] = []
        self.font_px: float | None = None  # the text height last drawn; None: too small to draw

    def set_counts(self, texts: list[str], colours: list[QColor], n: int) -> None:
        self.prepareGeometryChange()
        self.texts, self.colours, self.n = texts, colours, n
        self.update()

    def boundingRect(self) -> QRectF:
        return QRectF(0, 0, self.n, self.n)

    def fitted_font(self, font: QFont, cell: QRectF) -> QFont | None:
        """``font``, made smaller if need be so every count fits in ``cell`` (device pixels)."""
        metrics = QFontMetricsF(font)
        widest = max((metrics.horizontalAdvance(t) for t in self.texts if t), default=0.0)
        if not widest:
            return None
        scale = min(
            1.0, CELL_FILL * cell.width() / widest, CELL_FILL * cell.height() / metrics.height()
        )
        if metrics.height() * scale < MIN_COUNT_PX:
            return None
        fitted = QFont(font)
        fitted.setPointSizeF(font.pointSizeF() * scale)
        return fitted

    def paint(self, painter: QPainter, *args: object) -> None:
        if not self.n:
            return
        to_device = painter.transform()
        painter.resetTransform()
        cell = to_device.mapRect(QRectF(0, 0, 1, 1))
        font = self.fitted_font(painter.font(), cell)
        self.font_px = QFontMetricsF(font).height() if font is not None else None
        if font is None:
            return
        painter.setFont(font)
        for i, (text, colour) in enumerate(zip(self.texts, self.colours, strict=True)):
            if not text:
                continue
            row, col = divmod(i, self.n)
            centre = to_device.map(QPointF(col + 0.5, row + 0.5))
            box = QRectF(
                centre.x() - cell.width() / 2,
                centre.y() - cell.height() / 2,
                cell.width(),
                cell.height(),
            )
            painter.setPen(colour)
            painter.drawText(box, int(Qt.AlignmentFlag.AlignCenter), text)


def heat_table() -> np.ndarray:
    """From the plot background to the accent colour: empty cells vanish, full ones stand out."""
    t = theme.current_theme()
    start = QColor(t.base)
    end = QColor(t.accent).darker(130) if not t.dark else QColor(t.accent)
    a = np.array([start.red(), start.green(), start.blue()], dtype=float)
    b = np.array([end.red(), end.green(), end.blue()], dtype=float)
    ramp = np.linspace(0.0, 1.0, 256)[:, None] ** 0.7  # small fractions still visibly tinted
    return np.ascontiguousarray((a + (b - a) * ramp).round(), dtype=np.uint8)


class ConfusionView(QWidget):
    cell_clicked = Signal(int, int)  # true class, predicted class

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("confusionMatrix")
        self.setAutoFillBackground(True)  # opaque: a redraw stops here, not at the tabs
        self.matrix: np.ndarray | None = None
        self.class_names: tuple[str, ...] = ()
        self._per_class: np.ndarray | None = None
        self._epoch = 0
        self._dirty = False
        self._shown_n = 0
        self._ticks: dict[str, list[tuple[float, str]]] = {}
        self.counts = CellCounts()
        self.caption = LiveText("The confusion matrix appears after the first epoch.", lines=2)
        self.caption.setObjectName("confusionCaption")
        self.widget = PlotWidget()
        style_widget(self.widget)
        plot = self.widget.getPlotItem()
        style_plot(plot)
        plot.showGrid(x=False, y=False)
        plot.hideButtons()
        plot.setMenuEnabled(False)
        plot.setMouseEnabled(x=False, y=False)
        plot.invertY(True)
        plot.setAspectLocked(True)
        plot.showAxis("right")
        plot.setLabel("left", "true class")
        plot.setLabel("bottom", "predicted class")
        plot.getAxis("right").setLabel("class accuracy")
        self.plot = plot
        self.image = pg.ImageItem(axisOrder="row-major")
        plot.addItem(self.image)
        plot.addItem(self.counts)
        plot.scene().sigMouseClicked.connect(self._clicked)
        plot.scene().sigMouseMoved.connect(self._hovered)
        self.widget.setToolTip(CLICK_HINT)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.addWidget(self.caption)
        layout.addWidget(self.widget, 1)
        blank_until_drawn(self.widget)  # empty axes would show meaningless numbers

    def set_result(
        self,
        confusion: np.ndarray,
        per_class_accuracy: np.ndarray,
        class_names: Sequence[str],
        epoch: int,
    ) -> None:
        self.matrix = np.asarray(confusion)
        self._per_class = np.asarray(per_class_accuracy, dtype=float)
        self.class_names = tuple(class_names)
        self._epoch = epoch
        self._dirty = True

    def clear(self) -> None:
        self.matrix = None
        self._dirty = False
        self._shown_n = 0
        self._ticks = {}
        self.image.clear()
        self.counts.set_counts([], [], 0)
        self.widget.hide()
        self.caption.setText("The confusion matrix appears after the first epoch.")

    @property
    def dirty(self) -> bool:
        return self._dirty

    def redraw(self) -> None:
        """Draw again what is shown (e.g. in a new theme's colours)."""
        self._dirty = self.matrix is not None
        self.refresh()

    def refresh(self) -> None:
        if not self._dirty or self.matrix is None:
            return
        self._dirty = False
        m = self.matrix
        n = len(m)
        rows = m.sum(axis=1, keepdims=True)
        fraction = np.divide(m, rows, out=np.zeros(m.shape, float), where=rows > 0)
        index = np.clip(fraction * 255.0 + 0.5, 0, 255).astype(np.uint8)
        self.image.setImage(heat_table()[index], autoLevels=False)
        self._set_ticks(n)
        self._write_counts(m, fraction)
        if n != self._shown_n:  # an axis re-range redraws every axis's text (~1 ms each)
            self._shown_n = n
            self.image.setRect(0, 0, n, n)
            self.plot.setRange(xRange=(0, n), yRange=(0, n), padding=0.02)
        self.widget.show()
        total = int(m.sum())
        correct = int(np.trace(m))
        accuracy = 100.0 * correct / max(total, 1)
        self.caption.setText(
            f"Epoch {self._epoch}: {correct:,} of {total:,} validation images right "
            f"({accuracy:.2f} %). Click a cell to see its images."
        )

    def _set_ticks(self, n: int) -> None:
        step = max(1, math.ceil(n / MAX_NAMED))
        names = [(i + 0.5, f"{i} {self.class_names[i]}") for i in range(0, n, step)]
        numbers = [(i + 0.5, str(i)) for i in range(0, n, step)]
        per_class = self._per_class if self._per_class is not None else np.full(n, np.nan)
        accuracy = [
            (i + 0.5, "-" if math.isnan(per_class[i]) else f"{100 * per_class[i]:.0f} %")
            for i in range(0, n, step)
        ]
        for side, ticks in (("left", names), ("bottom", numbers), ("right", accuracy)):
            if self._ticks.get(side) != ticks:  # new ticks redraw the axis's text
                self._ticks[side] = ticks
                self.plot.getAxis(side).setTicks([ticks, []])

    def _write_counts(self, m: np.ndarray, fraction: np.ndarray) -> None:
        n = len(m)
        if n > MAX_COUNTS_SHOWN:
            self.counts.set_counts([], [], 0)
            return
        dark, light = QColor(plot_colours().foreground), QColor("#ffffff")
        texts = [str(int(v)) if v else "" for v in m.ravel()]
        colours = [light if f > 0.55 else dark for f in fraction.ravel()]
        self.counts.set_counts(texts, colours, n)

    def cell_at(self, scene_pos: QPointF) -> tuple[int, int] | None:
        """(true, predicted) of the cell at a scene position, or None outside the matrix."""
        if self.matrix is None or not self.plot.vb.sceneBoundingRect().contains(scene_pos):
            return None
        point = self.plot.vb.mapSceneToView(scene_pos)
        n = len(self.matrix)
        col, row = math.floor(point.x()), math.floor(point.y())
        if 0 <= row < n and 0 <= col < n:
            return row, col
        return None

    def _hovered(self, scene_pos: QPointF) -> None:
        """The cell under the mouse, with its count, becomes the tooltip (small cells show no
        numbers of their own)."""
        cell = self.cell_at(scene_pos)
        if cell is None or self.matrix is None:
            self.widget.setToolTip(CLICK_HINT)
            return
        true, predicted = cell
        count = int(self.matrix[true, predicted])
        names = self.class_names
        self.widget.setToolTip(
            f"true {true} {names[true]}, predicted {predicted} {names[predicted]}: "
            f"{count:,} image{'s' * (count != 1)}. Click to see them."
        )

    def _clicked(self, event: object) -> None:
        cell = self.cell_at(event.scenePos())  # type: ignore[attr-defined]
        if cell is not None:
            self.cell_clicked.emit(*cell)
