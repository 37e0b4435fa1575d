"""Curves and grid lines that Qt draws by itself: no Python runs when a live plot repaints.

pyqtgraph's curve, scatter and grid items paint in Python, and every Python call in the GUI
thread holds the GIL that the training thread needs between its torch calls. The loss plot
repaints ten times a second during a run, so these items are plain ``QGraphicsPathItem``\\ s
inside pyqtgraph's ViewBox instead: numpy builds their paths, downsampled to the pixels they
cover, only when the data or the view changes, and Qt's C++ draws them. The pens are cosmetic
(widths in pixels), so the paths live in data coordinates; a new view range rebuilds them only
to downsample afresh and to keep the markers' size in pixels.

``opts`` mirrors the keys pyqtgraph's legend reads (pen, symbol, size, brush), so a curve can
appear in a ``pg.LegendItem`` and be toggled from it.
"""

from __future__ import annotations

import math
from typing import TypeVar

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsPathItem

from cnnstudio.gui.plots.style import GRID_IN_PATHS

C = TypeVar("C", bound="PathCurve")

_EMPTY = np.zeros(0)


def cosmetic_pen(colour: str | QColor | Qt.GlobalColor, width: float = 0.0) -> QPen:
    """A pen ``width`` pixels wide at any zoom. Width 0 draws 1 px and is much the cheapest for
    long paths: a path item measures itself by stroking its whole path unless its pen is 0."""
    pen = QPen(QColor(colour), width)
    pen.setCosmetic(True)
    return pen


def visible_slice(x: np.ndarray, x0: float, x1: float) -> slice:
    """The points of sorted ``x`` within [x0, x1], plus one either side (the line leaves the
    view instead of stopping at its last point inside)."""
    start = max(int(np.searchsorted(x, x0, "left")) - 1, 0)
    stop = min(int(np.searchsorted(x, x1, "right")) + 1, len(x))
    return slice(start, stop)


def downsample(
    x: np.ndarray, y: np.ndarray, x0: float, x1: float, bins: int, method: str
) -> tuple[np.ndarray, np.ndarray]:
    """At most ``bins`` bins across [x0, x1]: each bin's minimum and maximum (``peak``: noise
    keeps its full height) or its mean (``mean``). Fewer points than that pass unchanged."""
    limit = 2 * bins if method == "peak" else bins
    if len(x) <= limit or bins < 1 or not x1 > x0:
        return x, y
    starts = np.searchsorted(x, np.linspace(x0, x1, bins + 1)[:-1], "left")
    starts[0] = 0  # points left of x0 (the one kept before the view) join the first bin
    starts = starts[np.flatnonzero(np.diff(starts, append=len(x)))]  # drop empty bins
    if method == "mean":
        counts = np.diff(np.append(starts, len(x)))
        return np.add.reduceat(x, starts) / counts, np.add.reduceat(y, starts) / counts
    low, high = np.fmin.reduceat(y, starts), np.fmax.reduceat(y, starts)
    ys = np.empty(2 * len(starts))
    ys[0::2], ys[1::2] = low, high
    return np.repeat(x[starts], 2), ys


def _log10(y: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(y > 0, np.log10(np.where(y > 0, y, 1.0)), np.nan)


def _polyline(x: np.ndarray, y: np.ndarray) -> QPainterPath:
    if len(x) == 0:
        return QPainterPath()
    finite = bool(np.isfinite(y).all() and np.isfinite(x).all())
    return pg.arrayToQPath(x, y, connect="all" if finite else "finite")


class PathCurve(QGraphicsPathItem):
    """A line through sorted x: all points when they fit the view's pixels, else ``method``
    (``peak`` or ``mean``) downsampled to ``per_pixel`` bins per pixel of the visible range."""

    def __init__(
        self, method: str = "peak", per_pixel: float = 1.5, pen: QPen | None = None
    ) -> None:
        super().__init__()
        self.method, self.per_pixel = method, per_pixel
        self.opts: dict[str, object] = {"antialias": False}
        self.set_pen(pen or cosmetic_pen(Qt.GlobalColor.black))
        self._x, self._y = _EMPTY, _EMPTY
        self._log_y = False
        self._view: tuple[float, float, float, float, float] | None = None

    def set_pen(self, pen: QPen) -> None:
        self.opts["pen"] = pen
        self.setPen(pen)

    def set_data(self, x: np.ndarray, y: np.ndarray) -> None:
        """Take the arrays as they are (callers hand over views of growing buffers)."""
        self._x, self._y = np.asarray(x, np.float64), np.asarray(y, np.float64)
        self.rebuild()

    def get_data(self) -> tuple[np.ndarray, np.ndarray]:
        return self._x, self._y

    def setLogMode(self, x_mode: bool, y_mode: bool) -> None:  # called by PlotItem.setLogMode
        self._log_y = bool(y_mode)
        self.rebuild()

    def set_view(self, x0: float, x1: float, pixels_x: float, dx: float, dy: float) -> None:
        """The visible x range, its width in pixels and the data size of one pixel."""
        self._view = (x0, x1, pixels_x, dx, dy)
        self.rebuild()

    def shown_y(self) -> np.ndarray:
        return _log10(self._y) if self._log_y else self._y

    def rebuild(self) -> None:
        x, y = self._x, self.shown_y()
        if self._view is not None and len(x):
            x0, x1, pixels, _, _ = self._view
            part = visible_slice(x, x0, x1)
            bins = max(int(pixels * self.per_pixel), 1)
            x, y = downsample(x[part], y[part], x0, x1, bins, self.method)
        self.setPath(_polyline(x, y))


class EpochCurve(PathCurve):
    """One point per epoch, joined, with a marker (``o`` or ``s``) of ``size`` pixels on each.

    The markers are a child path rebuilt when the view's scale changes, so they stay
    ``size`` pixels wide at any zoom.
    """

    def __init__(self, symbol: str, size: int = 6, pen: QPen | None = None) -> None:
        super().__init__(pen=pen)
        self.markers = QGraphicsPathItem(self)
        self.markers.setPen(QPen(Qt.PenStyle.NoPen))
        self.opts.update(symbol=symbol, size=size)
        self.set_brush(self.pen().color())

    def set_brush(self, colour: str | QColor) -> None:
        self.opts["brush"] = QBrush(QColor(colour))
        self.markers.setBrush(QBrush(QColor(colour)))

    def rebuild(self) -> None:
        x, y = self._x, self.shown_y()
        self.setPath(_polyline(x, y))
        path = QPainterPath()
        if self._view is not None:
            _, _, _, dx, dy = self._view
            size = float(self.opts["size"])  # type: ignore[arg-type]
            rx, ry = 0.5 * size * dx, 0.5 * size * dy
            round_ = self.opts["symbol"] == "o"
            for px, py in zip(x, y, strict=True):
                if not (math.isfinite(px) and math.isfinite(py)):
                    continue
                if round_:
                    path.addEllipse(QPointF(px, py), rx, ry)
                else:
                    path.addRect(QRectF(px - rx, py - ry, 2 * rx, 2 * ry))
        self.markers.setPath(path)


class GridLines(QGraphicsPathItem):
    """The plot's grid at its axes' tick positions (what ``showGrid`` draws, in C++)."""

    def __init__(self, plot: pg.PlotItem, colour: str, alpha: float) -> None:
        super().__init__()
        self.plot = plot
        self.minor = QGraphicsPathItem(self)
        self.setZValue(-100)
        self.set_colour(colour, alpha)

    def set_colour(self, colour: str, alpha: float) -> None:
        for item, strength in ((self, alpha), (self.minor, alpha * 0.5)):
            c = QColor(colour)
            c.setAlphaF(strength)
            item.setPen(cosmetic_pen(c))

    def rebuild(self, view: QRectF, width_px: float, height_px: float) -> None:
        paths = [QPainterPath(), QPainterPath()]
        left, right, top, bottom = view.left(), view.right(), view.top(), view.bottom()
        for axis_name, lo, hi, pixels, vertical in (
            ("bottom", left, right, width_px, True),
            ("left", top, bottom, height_px, False),
        ):
            axis = self.plot.getAxis(axis_name)
            if pixels < 1 or not hi > lo:
                continue
            for level, (_, values) in enumerate(axis.tickValues(lo, hi, pixels)[:2]):
                path = paths[level]
                for v in values:
                    if vertical:
                        path.moveTo(v, top)
                        path.lineTo(v, bottom)
                    else:
                        path.moveTo(left, v)
                        path.lineTo(right, v)
        self.setPath(paths[0])
        self.minor.setPath(paths[1])


class PathLayer:
    """The path items of one plot, kept in step with its view (range and size)."""

    def __init__(self, plot: pg.PlotItem, grid_colour: str, grid_alpha: float) -> None:
        self.plot = plot
        self.curves: list[PathCurve] = []
        self.grid = GridLines(plot, grid_colour, grid_alpha)
        setattr(plot, GRID_IN_PATHS, True)
        plot.showGrid(x=False, y=False)
        plot.addItem(self.grid, ignoreBounds=True)
        box = plot.getViewBox()
        box.sigRangeChanged.connect(self.follow_view)
        box.sigResized.connect(self.follow_view)

    def add(self, curve: C) -> C:
        """Add a curve in step with the view (only it: adding many stays linear)."""
        self.curves.append(curve)
        self.plot.addItem(curve, ignoreBounds=True)
        curve.set_view(*self._view()[0])
        return curve

    def follow_view(self, *_: object) -> None:
        view, (y0, y1), height = self._view()
        x0, x1, width = view[:3]
        for curve in self.curves:
            curve.set_view(*view)
        self.grid.rebuild(QRectF(x0, y0, x1 - x0, y1 - y0), width, height)

    def _view(self) -> tuple[tuple[float, float, float, float, float], tuple[float, float], float]:
        """``set_view``'s arguments, the y range and the height in pixels."""
        box = self.plot.getViewBox()
        (x0, x1), (y0, y1) = box.viewRange()
        width, height = box.width(), box.height()
        dx = (x1 - x0) / width if width > 0 else 0.0
        dy = (y1 - y0) / height if height > 0 else 0.0
        return (x0, x1, width, dx, dy), (y0, y1), height
