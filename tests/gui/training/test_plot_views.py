"""Plot views that Qt repaints in C++: range changes still show at the next repaint."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest
import shiboken6
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QGraphicsView

from cnnstudio.gui.plots.path_items import PathCurve, cosmetic_pen
from cnnstudio.gui.plots.views import GraphicsLayoutWidget, PlotWidget, ViewBox

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


def test_no_python_runs_between_qt_and_a_repaint() -> None:
    for view in (PlotWidget, GraphicsLayoutWidget):
        assert issubclass(view, pg.GraphicsView)
        assert view.paintEvent is QGraphicsView.paintEvent


def _line_row(widget: PlotWidget) -> float:
    """The mean row of the red pixels in the widget's viewport."""
    image = widget.viewport().grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    pixels = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), -1, 4)
    rows, _ = np.nonzero((pixels[..., 2] > 200) & (pixels[..., 1] < 80))
    assert rows.size, "the line is not drawn"
    return float(rows.mean())


def test_a_new_range_is_drawn_at_the_next_repaint(qtbot) -> None:
    widget = PlotWidget()
    qtbot.addWidget(widget)
    plot = widget.getPlotItem()
    plot.hideAxis("left")
    plot.hideAxis("bottom")
    curve = PathCurve(pen=cosmetic_pen(QColor("red"), 3))
    curve.set_data(np.array([0.0, 10.0]), np.array([1.0, 1.0]))
    plot.addItem(curve)
    widget.resize(300, 200)
    widget.show()
    qtbot.waitExposed(widget)
    plot.setRange(xRange=(0, 10), yRange=(0, 2), padding=0)
    qtbot.wait(20)
    height = widget.viewport().height()
    assert _line_row(widget) == pytest.approx(height / 2, abs=3)

    plot.setYRange(0, 4, padding=0)  # the line at y=1 moves to three quarters down
    qtbot.wait(20)
    assert not plot.getViewBox()._matrixNeedsUpdate
    assert _line_row(widget) == pytest.approx(height * 3 / 4, abs=3)


def test_a_view_closed_before_its_prepare_step_is_skipped(qtbot) -> None:
    widget = PlotWidget()
    widget.show()
    widget.getPlotItem().setYRange(0, 5)  # asks for a prepare step...
    shiboken6.delete(widget)  # ...that finds the scene gone
    qtbot.wait(20)  # an exception in the queued call would fail the test


# pyqtgraph takes clicks through its scene, so QTest hears the view itself ignore them.
@pytest.mark.qt_log_ignore("Mouse event .* not accepted", "This plugin does not support")
def test_the_context_menu_is_built_on_the_first_right_click(qtbot) -> None:
    widget = PlotWidget()
    qtbot.addWidget(widget)
    widget.resize(300, 200)
    widget.show()
    qtbot.waitExposed(widget)
    box = widget.getPlotItem().getViewBox()
    assert box.menu is None
    assert box.menuEnabled()

    qtbot.mouseClick(widget.viewport(), Qt.MouseButton.RightButton, pos=QPoint(150, 100))
    qtbot.waitUntil(lambda: box.menu is not None and box.menu.isVisible())
    assert any(a.text() == "View All" for a in box.menu.actions())
    box.menu.close()


def test_a_view_box_without_a_menu_never_builds_one(qtbot) -> None:
    box = ViewBox(enableMenu=False)
    assert not box.menuEnabled()
    assert box.getMenu(None) is None
    assert box.getContextMenus(None) == []
