"""Plot colours taken from the application theme, so plots match the light and dark looks."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QFrame, QGraphicsItem, QScrollArea, QSizePolicy, QWidget

from cnnstudio.gui import theme

ACTIVATION_MAP = "viridis"  # perceptually uniform, readable for colour-blind users
GRID_IN_PATHS = "cnnstudio_grid_in_paths"  # set on a PlotItem whose grid a PathLayer draws
# One colour per compared run (cycled past ten): distinct in both themes, and neither the blue
# nor the orange of the live run's own train and validation curves.
RUN_COLOURS = (
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#17becf",
    "#e377c2",
    "#8c564b",
    "#bcbd22",
    "#7f7f7f",
    "#1b9e77",
    "#a6761d",
)


@dataclass(frozen=True)
class PlotColours:
    background: str
    foreground: str
    muted: str
    grid_alpha: float
    raw: QColor  # per-batch loss, drawn faint
    smooth: str
    train: str
    val: str
    lr: str
    good: str
    bad: str
    gap: tuple[int, int, int]  # between and around mosaic tiles: the plot background


def plot_colours() -> PlotColours:
    t = theme.current_theme()
    accent, base = QColor(t.accent), QColor(t.base)
    # Faint but opaque: blending a translucent line costs more than drawing an opaque one.
    raw = QColor(
        round(0.3 * accent.red() + 0.7 * base.red()),
        round(0.3 * accent.green() + 0.7 * base.green()),
        round(0.3 * accent.blue() + 0.7 * base.blue()),
    )
    return PlotColours(
        background=t.base,
        foreground=t.fg,
        muted=t.muted,
        grid_alpha=0.25 if t.dark else 0.15,
        raw=raw,
        smooth=t.accent,
        train=t.accent,
        val="#e8730c" if not t.dark else "#ffa94d",
        lr="#8e5bd0" if not t.dark else "#b58cf0",
        good=t.ok,
        bad=t.error,
        gap=(base.red(), base.green(), base.blue()),
    )


def style_plot(plot: pg.PlotItem, colours: PlotColours | None = None) -> None:
    """Axis pens, label colours and a light grid in the theme's colours; cached axes."""
    c = colours or plot_colours()
    for name in ("left", "bottom", "right", "top"):
        axis = plot.getAxis(name)
        axis.setPen(pg.mkPen(c.muted))
        axis.setTextPen(pg.mkPen(c.foreground))
        # Axes are repainted with every curve update; from a cached pixmap that is a copy
        # instead of ~0.5 ms of text drawing each (the cache is redrawn when the ticks change).
        axis.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
    if not getattr(plot, GRID_IN_PATHS, False):  # path_items draws this plot's grid
        plot.showGrid(x=True, y=True, alpha=c.grid_alpha)
    plot.titleLabel.setAttr("color", c.foreground)
    if plot.titleLabel.text:  # setAttr alone does not redraw a title already shown
        plot.titleLabel.setText(plot.titleLabel.text)


def style_widget(widget: pg.GraphicsView, colours: PlotColours | None = None) -> None:
    widget.setBackground((colours or plot_colours()).background)


def blank_until_drawn(widget: QWidget) -> None:
    """Hide a plot that has nothing to show yet, keeping its place in the layout (so showing
    it later moves nothing); ``widget.show()`` once it is drawn."""
    policy = widget.sizePolicy()
    policy.setRetainSizeWhenHidden(True)
    widget.setSizePolicy(policy)
    widget.hide()


def layout_boundary(widget: QWidget) -> QScrollArea:
    """``widget`` in a frameless scroll area, where its layout changes stop.

    Showing a hidden page (a tab switch, a plot drawn for the first time) makes Qt lay out every
    parent up to the main window, which then repaints the canvas and the docks: ~5 ms each time
    in the training dock. A scroll area takes the new size itself, so only ``widget`` is laid
    out and repainted; when the dock is smaller than ``widget`` can be, it scrolls.
    """
    area = QScrollArea()
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidgetResizable(True)
    area.setWidget(widget)
    return area


def restyle(root: QWidget) -> None:
    """Give every plot under ``root`` the current theme's background and axes (theme switch).

    Data colours stay; images pick the theme up on their next draw.
    """
    colours = plot_colours()
    for view in root.findChildren(pg.GraphicsView):
        style_widget(view, colours)
        if isinstance(view, pg.PlotWidget):
            style_plot(view.getPlotItem(), colours)


@cache
def lookup_table(name: str) -> np.ndarray:
    """A 256 x 3 uint8 colour table of a pyqtgraph colormap, for numpy-side colouring."""
    table = pg.colormap.get(name).getLookupTable(nPts=256, mode="byte", alpha=False)
    return np.ascontiguousarray(table[:, :3], dtype=np.uint8)


@cache
def diverging_table() -> np.ndarray:
    """Blue (negative) - white (zero) - red (positive), for signed weights."""
    t = np.linspace(-1.0, 1.0, 256)[:, None]
    blue, white, red = np.array([40, 90, 200]), np.array([245, 245, 245]), np.array([200, 50, 40])
    table = np.where(t < 0, white + (blue - white) * -t, white + (red - white) * t)
    return np.ascontiguousarray(table.round(), dtype=np.uint8)


class LiveText(QWidget):
    """Text that changes during a run: it repaints itself and never asks for a new layout.

    A QLabel asks its parents to lay out again on every ``setText``; in the dashboard that
    cascaded up to the main window and repainted every view 10 times a second.
    """

    def __init__(self, text: str = "", lines: int = 1) -> None:
        super().__init__()
        self._text = text
        self.lines = lines
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(self.fontMetrics().lineSpacing() * lines + 4)

    def text(self) -> str:
        return self._text

    def setText(self, text: str) -> None:
        if text != self._text:
            self._text = text
            self.setToolTip(text if self.lines == 1 else "")
            self.update()

    def clear(self) -> None:
        self.setText("")

    def sizeHint(self) -> QSize:
        return QSize(120, self.height())

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setPen(self.palette().color(QPalette.ColorRole.WindowText))
        box = self.rect().adjusted(2, 2, -2, -2)
        if self.lines == 1:
            metrics = self.fontMetrics()
            text = metrics.elidedText(self._text, Qt.TextElideMode.ElideRight, box.width())
            flags = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
            painter.drawText(box, int(flags), text)
        else:
            flags = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop
            painter.drawText(box, int(flags | Qt.TextFlag.TextWordWrap), self._text)
        painter.end()
