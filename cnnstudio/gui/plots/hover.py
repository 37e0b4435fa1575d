"""A readout that names the values under the mouse: nearest point of each series at the mouse's x."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt

from cnnstudio.gui.plots.style import plot_colours

Series = tuple[str, np.ndarray, np.ndarray, str]  # label, x, y, number format


class HoverReadout:
    """A dashed vertical line at the mouse and a label listing every series' nearest value."""

    def __init__(
        self,
        plot: pg.PlotItem,
        series: Callable[[], Sequence[Series]],
        x_label: str = "epoch",
    ) -> None:
        self.plot = plot
        self.series = series
        self.x_label = x_label
        self.text = ""
        c = plot_colours()
        self.line = pg.InfiniteLine(
            angle=90, movable=False, pen=pg.mkPen(c.muted, style=Qt.PenStyle.DashLine)
        )
        self.label = pg.TextItem(color=c.foreground, anchor=(0, 0), fill=pg.mkBrush(c.background))
        self.label.setZValue(10)
        for item in (self.line, self.label):
            item.hide()
            plot.addItem(item, ignoreBounds=True)
        plot.scene().sigMouseMoved.connect(self.move_to)

    def move_to(self, scene_pos: QPointF) -> None:
        """Follow the mouse (scene coordinates); hide when it leaves the plot area."""
        box = self.plot.vb
        if not box.sceneBoundingRect().contains(scene_pos):
            self.hide()
            return
        x = box.mapSceneToView(scene_pos).x()
        lines = []
        for name, xs, ys, fmt in self.series():
            if len(xs) == 0:
                continue
            i = int(np.clip(np.searchsorted(xs, x), 0, len(xs) - 1))
            if i > 0 and abs(xs[i - 1] - x) < abs(xs[i] - x):
                i -= 1
            lines.append(f"{name}: {format(float(ys[i]), fmt)}")
        if not lines:
            self.hide()
            return
        self.text = f"{self.x_label} {x:.2f}\n" + "\n".join(lines)
        self.label.setText(self.text)
        (left, right), (_, top) = box.viewRange()
        self.line.setPos(x)
        self.label.setAnchor((0, 0) if x < (left + right) / 2 else (1, 0))
        self.label.setPos(x, top)
        self.line.show()
        self.label.show()

    def hide(self) -> None:
        self.text = ""
        self.line.hide()
        self.label.hide()
