"""Counts in the confusion matrix fit their cells, or show on hover when cells are too small."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF
from PySide6.QtGui import QFontMetricsF

from cnnstudio.gui.plots.confusion import MIN_COUNT_PX, ConfusionView

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


def _shown(qtbot, size: int, matrix: np.ndarray) -> ConfusionView:
    view = ConfusionView()
    view.resize(size, size)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    n = len(matrix)
    view.set_result(matrix, np.full(n, 0.5), tuple(f"c{i}" for i in range(n)), epoch=1)
    view.refresh()
    return view


def _cell_px(view: ConfusionView) -> float:
    vb = view.plot.vb
    return vb.mapViewToScene(QPointF(1, 0)).x() - vb.mapViewToScene(QPointF(0, 0)).x()


def test_three_digit_counts_shrink_to_fit_their_cells(qtbot) -> None:
    matrix = np.full((12, 12), 7)
    np.fill_diagonal(matrix, 988)
    view = _shown(qtbot, 380, matrix)
    qtbot.waitUntil(lambda: view.counts.font_px is not None)
    usual = QFontMetricsF(view.widget.font())
    drawn = view.counts.font_px
    assert MIN_COUNT_PX <= drawn < usual.height()  # shrunk...
    assert usual.horizontalAdvance("988") * drawn / usual.height() <= _cell_px(view)  # ...to fit


def test_cells_too_small_for_numbers_show_the_count_on_hover(qtbot) -> None:
    matrix = np.full((15, 15), 3)
    np.fill_diagonal(matrix, 975)
    view = _shown(qtbot, 160, matrix)
    qtbot.waitUntil(lambda: view.counts.texts != [] and view.counts.font_px is None)
    scene_pos = view.plot.vb.mapViewToScene(QPointF(4.5, 4.5))
    qtbot.mouseMove(view.widget.viewport(), view.widget.mapFromScene(scene_pos))
    qtbot.waitUntil(lambda: "975 images" in view.widget.toolTip())
    assert view.widget.toolTip().startswith("true 4 c4, predicted 4 c4: 975 images")
