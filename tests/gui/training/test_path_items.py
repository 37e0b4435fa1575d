"""Curves and grid drawn by Qt's C++: downsampling, clipping, log scale, markers, legend."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtGui import QColor, QImage

from cnnstudio.gui.plots.path_items import (
    EpochCurve,
    PathCurve,
    PathLayer,
    cosmetic_pen,
    downsample,
    visible_slice,
)

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


def test_peak_downsampling_keeps_every_bins_extremes() -> None:
    x = np.arange(1000.0)
    y = np.sin(x / 7.0)
    y[500] = 9.0  # one spike must survive
    xs, ys = downsample(x, y, 0.0, 1000.0, bins=50, method="peak")
    assert len(xs) == len(ys) == 100
    assert ys.max() == 9.0
    assert ys.min() == pytest.approx(y.min())
    assert np.all(np.diff(xs) >= 0)


def test_mean_downsampling_averages_bins() -> None:
    x = np.arange(100.0)
    y = np.repeat([1.0, 3.0], 50)
    xs, ys = downsample(x, y, 0.0, 100.0, bins=2, method="mean")
    assert list(ys) == [1.0, 3.0]
    assert list(xs) == [24.5, 74.5]


def test_few_points_pass_unchanged() -> None:
    x, y = np.arange(10.0), np.arange(10.0) ** 2
    xs, ys = downsample(x, y, 0.0, 10.0, bins=100, method="peak")
    assert xs is x
    assert ys is y


def test_visible_slice_keeps_one_point_either_side() -> None:
    x = np.arange(10.0)
    part = visible_slice(x, 3.5, 6.5)
    assert list(x[part]) == [3.0, 4.0, 5.0, 6.0, 7.0]


@pytest.fixture
def plot(qtbot) -> pg.PlotWidget:
    widget = pg.PlotWidget()
    widget.resize(400, 300)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    widget.getPlotItem().disableAutoRange()
    return widget


def _rendered(widget: pg.PlotWidget) -> QImage:
    return widget.grab().toImage()


def _has_colour(image: QImage, colour: QColor) -> bool:
    rgb = colour.rgb() & 0xFFFFFF
    return any(
        image.pixel(i, j) & 0xFFFFFF == rgb
        for i in range(0, image.width())
        for j in range(0, image.height())
    )


def test_curve_draws_only_the_visible_range_downsampled(plot) -> None:
    item = plot.getPlotItem()
    layer = PathLayer(item, "#808080", 0.2)
    curve = layer.add(PathCurve("peak", per_pixel=1.0, pen=cosmetic_pen("#ff0000")))
    x = np.linspace(0.0, 100.0, 100_000)
    curve.set_data(x, np.cos(x))
    item.setRange(xRange=(0, 10), yRange=(-1, 1), padding=0)
    path = curve.path()
    # ~1 bin per pixel of the visible tenth, two points per bin: far fewer than the 10k visible
    assert path.elementCount() <= 2 * item.getViewBox().width() + 4
    assert path.boundingRect().right() <= 10.1
    assert _has_colour(_rendered(plot), QColor("#ff0000"))
    assert curve.get_data()[0] is not None
    assert len(curve.get_data()[0]) == 100_000


def test_log_mode_draws_log10_of_positive_values(plot) -> None:
    item = plot.getPlotItem()
    layer = PathLayer(item, "#808080", 0.2)
    curve = layer.add(PathCurve("mean", pen=cosmetic_pen("#ff0000")))
    curve.set_data(np.array([1.0, 2.0, 3.0]), np.array([10.0, 100.0, 1000.0]))
    item.setRange(xRange=(0, 4), padding=0)
    item.setLogMode(y=True)
    box = curve.path().boundingRect()
    assert (box.top(), box.bottom()) == pytest.approx((1.0, 3.0))
    item.setLogMode(y=False)
    assert curve.path().boundingRect().bottom() == pytest.approx(1000.0)


def test_epoch_markers_stay_the_same_size_in_pixels(plot) -> None:
    item = plot.getPlotItem()
    layer = PathLayer(item, "#808080", 0.2)
    curve = layer.add(EpochCurve("s", size=8, pen=cosmetic_pen("#0000ff", 2)))
    curve.set_data(np.array([1.0, 2.0]), np.array([0.5, 0.25]))
    box = item.getViewBox()
    for x_span in (4.0, 40.0):
        item.setRange(xRange=(0, x_span), yRange=(0, 1), padding=0)
        width_data = curve.markers.path().boundingRect().width() - 1.0  # two markers 1 apart
        assert width_data * box.width() / x_span == pytest.approx(8.0, rel=0.05)


def test_grid_follows_the_axis_ticks(plot) -> None:
    item = plot.getPlotItem()
    layer = PathLayer(item, "#808080", 0.2)
    item.setRange(xRange=(0, 10), yRange=(0, 1), padding=0)
    ticks = item.getAxis("bottom").tickValues(0, 10, item.getViewBox().width())
    major = layer.grid.path()
    expected = len(ticks[0][1]) + len(item.getAxis("left").tickValues(0, 1, 1)[0][1])
    assert major.elementCount() >= 2 * len(ticks[0][1])
    assert major.elementCount() <= 2 * expected + 40
    assert not item.getAxis("bottom").grid  # pyqtgraph's own grid is off


def test_legend_shows_and_toggles_a_path_curve(plot, qtbot) -> None:
    item = plot.getPlotItem()
    legend = item.addLegend()
    layer = PathLayer(item, "#808080", 0.2)
    curve = layer.add(EpochCurve("o", pen=cosmetic_pen("#00aa00", 2)))
    legend.addItem(curve, "train")
    sample, label = legend.items[0]
    assert label.text == "train"
    qtbot.wait(10)
    sample.item.setVisible(False)  # what a click on the sample does
    assert not curve.isVisible()
    assert not curve.markers.isVisible()
