"""Each parametrised layer's gradient norm and weight-update ratio per epoch, on log axes.

Vanishing gradients show as the first layers' curves lying decades below the last ones';
an update ratio far from ~1e-3 says the learning rate is too high (above) or too low (below).
One curve per layer, in network order, named after its node in the legend.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QVBoxLayout, QWidget

from cnnstudio.gui.plots.style import LiveText, plot_colours, style_plot, style_widget
from cnnstudio.gui.plots.views import PlotWidget
from cnnstudio.train.callbacks import Diagnostics

WAITING = "Gradient norms per layer appear after the first epoch."
# Tableau's ten qualitative colours, readable on the light and the dark background alike.
LAYER_COLOURS = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)


class DecadeAxis(pg.AxisItem):
    """A log axis labelled at whole decades only, its 2…9 ticks unlabelled: pyqtgraph labels
    every one of them on a range of a decade or two, and in a small plot they overlap."""

    def logTickValues(
        self, minVal: float, maxVal: float, size: float, stdTicks: list[tuple[float, list[float]]]
    ) -> list[tuple[float | None, list[float]]]:
        low, high = int(np.floor(minVal)), int(np.ceil(maxVal))
        decades = [float(v) for v in range(low, high + 1) if minVal <= v <= maxVal]
        steps = np.log10(np.arange(2, 10))
        minor = [float(v + t) for v in range(low, high) for t in steps if minVal < v + t < maxVal]
        return [(1.0, decades), (None, minor)]

    def tickStrings(self, values: list[float], scale: float, spacing: float | None) -> list[str]:
        if spacing is None:
            return [""] * len(values)
        return super().tickStrings(values, scale, spacing)


def _decades(series: list[np.ndarray]) -> tuple[float, float] | None:
    """The whole decades (log10) spanning every finite value, so that a decade is labelled."""
    finite = np.concatenate(series) if series else np.empty(0)
    finite = finite[np.isfinite(finite)]
    if finite.size == 0:
        return None
    low, high = np.floor(np.log10(finite.min())), np.ceil(np.log10(finite.max()))
    return float(low), float(max(high, low + 1))


def _positive(values: list[float]) -> np.ndarray:
    """A log axis cannot show zero or NaN: those points are left out of the curve."""
    array = np.asarray(values, dtype=np.float64)
    return np.where(array > 0, array, np.nan)


class GradientsView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("gradientsView")
        self.setAutoFillBackground(True)  # opaque: a redraw stops here, not at the tabs
        self.epochs: list[int] = []
        self.layers: tuple[str, ...] = ()
        self.norms: dict[str, list[float]] = {}
        self.ratios: dict[str, list[float]] = {}
        self.curves: dict[str, tuple[pg.PlotDataItem, pg.PlotDataItem]] = {}
        self._dirty = False
        self.caption = LiveText(WAITING)
        self.caption.setObjectName("gradientsCaption")
        self.norm_plot = self._plot("gradientsPlot", "gradient norm")
        self.ratio_plot = self._plot("updateRatioPlot", "update ‖Δw‖/‖w‖")
        self.ratio_plot.getPlotItem().setXLink(self.norm_plot.getPlotItem())
        self.legend = self.norm_plot.getPlotItem().addLegend(offset=(-8, 8))
        self.legend.setLabelTextColor(plot_colours().foreground)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.caption)
        layout.addWidget(self.norm_plot, 3)
        layout.addWidget(self.ratio_plot, 2)

    @staticmethod
    def _plot(name: str, label: str) -> PlotWidget:
        widget = PlotWidget(axisItems={"left": DecadeAxis("left")})
        widget.setObjectName(name)
        widget.setMinimumHeight(60)
        style_widget(widget)
        plot = widget.getPlotItem()
        style_plot(plot)
        plot.setLogMode(y=True)
        plot.getAxis("left").enableAutoSIPrefix(False)  # 0.001, not 1 with "(x0.001)"
        plot.setLabel("left", label)
        plot.setLabel("bottom", "epoch")
        plot.getAxis("left").setWidth(52)
        plot.hideButtons()
        plot.setMenuEnabled(False)
        return widget

    def add(self, report: Diagnostics) -> None:
        """Keep one epoch's figures; drawn by ``refresh`` (the live timer)."""
        if report.layers != self.layers:  # a new network: its own curves
            self.clear()
            self.layers = report.layers
        self.epochs.append(report.epoch)
        for i, layer in enumerate(report.layers):
            self.norms.setdefault(layer, []).append(float(report.grad_norm[i]))
            self.ratios.setdefault(layer, []).append(float(report.update_ratio[i]))
        self._dirty = True

    def clear(self) -> None:
        self.epochs, self.layers, self.norms, self.ratios = [], (), {}, {}
        for norm, ratio in self.curves.values():
            self.norm_plot.removeItem(norm)
            self.ratio_plot.removeItem(ratio)
        self.legend.clear()
        self.curves = {}
        self.caption.setText(WAITING)
        self._dirty = False

    @property
    def dirty(self) -> bool:
        return self._dirty

    def refresh(self) -> None:
        if not self._dirty:
            return
        self._dirty = False
        x = np.asarray(self.epochs, dtype=np.float64)
        norms = {layer: _positive(self.norms[layer]) for layer in self.layers}
        ratios = {layer: _positive(self.ratios[layer]) for layer in self.layers}
        for widget, series in ((self.norm_plot, norms), (self.ratio_plot, ratios)):
            span = _decades(list(series.values()))
            if span is not None:
                widget.getPlotItem().setYRange(*span, padding=0.04)
        for i, layer in enumerate(self.layers):
            if layer not in self.curves:
                colour = LAYER_COLOURS[i % len(LAYER_COLOURS)]
                style = {"pen": pg.mkPen(colour, width=2), "symbol": "o", "symbolSize": 5}
                style |= {"symbolBrush": colour, "symbolPen": colour, "connect": "finite"}
                norm = self.norm_plot.plot(name=layer, **style)
                ratio = self.ratio_plot.plot(**style)
                self.curves[layer] = (norm, ratio)
            norm, ratio = self.curves[layer]
            norm.setData(x, norms[layer])
            ratio.setData(x, ratios[layer])
        last = len(self.epochs) - 1
        if last >= 0:
            largest = max(self.norms[layer][last] for layer in self.layers)
            self.caption.setText(
                f"Epoch {self.epochs[last]}: {len(self.layers)} layers, largest gradient norm "
                f"{largest:.3g}"
            )
