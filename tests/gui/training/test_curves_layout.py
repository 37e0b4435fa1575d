"""The curves read as one chart: epochs line up, every label has room."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from PySide6.QtCore import QPointF

from cnnstudio.gui.plots.curves import CurvesView
from cnnstudio.gui.plots.history import RunHistory

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


def _run(epochs: int, lr: float) -> RunHistory:
    h = RunHistory()
    for epoch in range(1, epochs + 1):
        h.add_batches(
            SimpleNamespace(
                epoch=epoch, batch=10, batches_per_epoch=10, losses=np.full(10, 2.0 / epoch), lr=lr
            )
        )
        h.add_epoch(
            SimpleNamespace(
                epoch=epoch,
                train_loss=1.0 / epoch,
                val_loss=1.2 / epoch,
                train_accuracy=0.5,
                val_accuracy=0.9,
                lr=lr,
                row=lambda: {},
            )
        )
    return h


@pytest.fixture
def shown(qtbot):
    def make(history: RunHistory, first_epoch: int, epochs: int) -> CurvesView:
        view = CurvesView(history)
        view.resize(900, 420)
        qtbot.addWidget(view)
        view.show()
        qtbot.waitExposed(view)
        view.set_run_length(first_epoch, epochs)
        view.refresh(force=True)
        qtbot.wait(1)  # one paint: axes size their text while drawing
        return view

    return make


def _screen_x(widget, epoch: float) -> float:
    vb = widget.getPlotItem().vb
    return widget.mapToGlobal(widget.mapFromScene(vb.mapViewToScene(QPointF(epoch, 0)))).x()


def _screen_y(widget, value: float) -> float:
    vb = widget.getPlotItem().vb
    return widget.mapToGlobal(widget.mapFromScene(vb.mapViewToScene(QPointF(0, value)))).y()


def test_loss_and_accuracy_share_their_epochs_on_screen(qtbot, shown) -> None:
    view = shown(_run(4, 0.01), 1, 6)
    for epoch in (0.0, 2.0, 6.0):
        assert _screen_x(view.loss_plot, epoch) == pytest.approx(
            _screen_x(view.accuracy_plot, epoch), abs=1
        )
    assert view.loss_plot.getPlotItem().getAxis("bottom").style["showValues"]
    view.loss_plot.getPlotItem().vb.setXRange(1, 3, padding=0)  # the user zooms the loss
    assert view.accuracy_plot.getPlotItem().viewRange()[0] == pytest.approx([1, 3])


def test_continued_run_draws_the_same_epochs_in_every_plot(qtbot, shown) -> None:
    view = shown(_run(4, 0.01), 3, 4)  # a run continued at epoch 3, after two epochs shown
    ranges = [w.getPlotItem().viewRange()[0] for w in (view.loss_plot, view.accuracy_plot)]
    ranges.append(view.lr_plot.getPlotItem().viewRange()[0])
    assert ranges[1] == pytest.approx(ranges[0])
    assert ranges[2] == pytest.approx(ranges[0])
    assert ranges[0][0] <= 0.1
    assert ranges[0][1] >= 4.0


def test_axis_labels_do_not_collide(qtbot, shown) -> None:
    view = shown(_run(3, 0.00025), 1, 3)
    text = view.fontMetrics().height()
    loss_zero = _screen_y(view.loss_plot, 0.0)
    accuracy_top = _screen_y(view.accuracy_plot, 100.0)
    assert accuracy_top - loss_zero >= text  # "0" of the loss and "100" below it stay apart
    axis = view.lr_plot.getPlotItem().getAxis("left")
    title = 0.8 * axis.label.boundingRect().height()
    # The axis grows to the widest tick text it drew (0.0002), plus room for its "lr" title.
    qtbot.waitUntil(lambda: axis.width() >= axis.textWidth + title)
    assert axis.textWidth > 52 - title  # a fixed 52 px, as before, would not hold both
