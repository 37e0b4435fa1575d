"""Horizontal bar charts labelled by class: predicted probabilities, class counts, vectors."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg

from cnnstudio.gui.plots.style import plot_colours, style_plot

MAX_NAMED = 25  # with more rows than this, names would overlap: label every n-th row instead


def _name_ticks(names: Sequence[str], rows: Sequence[int]) -> list[tuple[float, str]]:
    step = max(1, -(-len(rows) // MAX_NAMED))
    return [(float(y), names[r]) for y, r in enumerate(rows) if y % step == 0]


def bar_plot(plot: pg.PlotItem) -> pg.PlotItem:
    """A static, top-down bar plot: no mouse zoom, no context menu, rows read downwards."""
    style_plot(plot)
    plot.hideButtons()
    plot.setMenuEnabled(False)
    plot.setMouseEnabled(x=False, y=False)
    plot.invertY(True)
    plot.showGrid(x=True, y=False)
    plot.getAxis("left").setStyle(textFillLimits=[(0, 1.0)])  # every row keeps its name
    return plot


class ProbabilityBars:
    """The classes a sample was given most probability for, true class in green."""

    def __init__(self, plot: pg.PlotItem, rows: int = 10) -> None:
        self.plot = bar_plot(plot)
        self.rows = rows
        self.bars = pg.BarGraphItem(
            x0=[0], y=[0], height=0.7, width=[0], brush=plot_colours().smooth
        )
        plot.addItem(self.bars)
        plot.setXRange(0, 1, padding=0.02)
        plot.getAxis("bottom").setTicks([[(0.0, "0"), (0.5, "0.5"), (1.0, "1")], []])
        plot.setLabel("bottom", "probability")
        self.shown: list[int] = []
        self._ticks: list[tuple[float, str]] = []

    def set_probabilities(self, probs: np.ndarray, names: Sequence[str], label: int) -> None:
        c = plot_colours()
        order = [int(i) for i in np.argsort(-probs, kind="stable")[: self.rows]]
        predicted = order[0] if order else -1
        brushes = [c.good if i == label else (c.bad if i == predicted else c.muted) for i in order]
        self.bars.setOpts(
            x0=np.zeros(len(order)),
            y=np.arange(len(order)),
            width=probs[order],
            height=0.7,
            brushes=[pg.mkBrush(b) for b in brushes],
            pens=[pg.mkPen(None)] * len(order),
        )
        ticks = _name_ticks(names, order)
        if ticks != self._ticks:  # new ticks redraw the axis: only when the ranking changes
            self._ticks = ticks
            self.plot.getAxis("left").setTicks([ticks, []])
            self.plot.setYRange(-0.5, max(len(order), 1) - 0.5, padding=0.02)
        self.shown = order


class CountBars:
    """Training and validation samples per class, side by side."""

    def __init__(self, plot: pg.PlotItem) -> None:
        self.plot = bar_plot(plot)
        self.train = pg.BarGraphItem(x0=[0], y=[0], height=0.4, width=[0], pen=None)
        self.val = pg.BarGraphItem(x0=[0], y=[0], height=0.4, width=[0], pen=None)
        plot.addItem(self.train)
        plot.addItem(self.val)
        plot.setLabel("bottom", "images")
        self.retheme()

    def retheme(self) -> None:
        """Bar colours and the key in the current theme."""
        c = plot_colours()
        self.train.setOpts(brush=c.train)
        self.val.setOpts(brush=c.val)
        # A legend inside the plot would cover the longest bars: the key goes in the title.
        self.plot.setTitle(
            f'<span style="color:{c.train}">■</span> training &nbsp; '
            f'<span style="color:{c.val}">■</span> validation',
            color=c.foreground,
            size="9pt",
        )

    def set_counts(self, names: Sequence[str], train: Sequence[int], val: Sequence[int]) -> None:
        rows = np.arange(len(names), dtype=float)
        self.train.setOpts(
            x0=np.zeros(len(rows)), y=rows - 0.2, width=np.asarray(train), height=0.4
        )
        self.val.setOpts(x0=np.zeros(len(rows)), y=rows + 0.2, width=np.asarray(val), height=0.4)
        self.plot.getAxis("left").setTicks([_name_ticks(names, list(range(len(names)))), []])
        top = max([*train, *val, 1])
        self.plot.setXRange(0, top * 1.05, padding=0)
        self.plot.setYRange(-0.6, max(len(names), 1) - 0.4, padding=0)


class VectorBars:
    """A 1-D activation (a Linear layer's output) as one bar per value."""

    def __init__(self, plot: pg.PlotItem) -> None:
        style_plot(plot)
        plot.hideButtons()
        plot.setMenuEnabled(False)
        self.plot = plot
        self.bars = pg.BarGraphItem(x=[0], height=[0], width=0.8, pen=None)
        plot.addItem(self.bars)
        plot.setLabel("bottom", "unit")

    def set_values(self, values: np.ndarray) -> None:
        values = np.nan_to_num(np.asarray(values, dtype=np.float64).ravel())
        x = np.arange(values.size)
        self.bars.setOpts(x=x, height=values, width=0.8, brush=plot_colours().smooth)
        low, high = (
            min(float(values.min(initial=0.0)), 0.0),
            max(float(values.max(initial=0.0)), 0.0),
        )
        self.plot.setXRange(-0.5, max(values.size, 1) - 0.5, padding=0.01)
        self.plot.setYRange(low, high if high > low else low + 1.0, padding=0.05)
