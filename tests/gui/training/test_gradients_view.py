"""The Gradients tab during a run, and the training warnings it feeds to the Issues list."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from cnnstudio.gui.plots.views import PlotWidget
from cnnstudio.train.callbacks import Diagnostics

pytestmark = [pytest.mark.slow, pytest.mark.qt_log_ignore("This plugin does not support")]
LAYERS = ("conv1", "conv2", "fc1", "fc2", "fc3")  # LeNet-5's parametrised layers, in order


def test_gradient_report_arrives_and_draws_one_curve_per_layer(
    qtbot, dashboard, click, events
) -> None:
    with qtbot.waitSignal(dashboard.controller.diagnostics, timeout=60_000) as got:
        click("trainButton")
    first: Diagnostics = got.args[0]
    assert first.layers == LAYERS
    assert first.epoch == 1
    assert np.all(first.grad_norm > 0)
    events.wait("ended")
    tabs = dashboard.view_tabs
    index = next(i for i in range(tabs.count()) if tabs.tabText(i) == "Gradients")
    qtbot.mouseClick(
        tabs.tabBar(), Qt.MouseButton.LeftButton, pos=tabs.tabBar().tabRect(index).center()
    )
    assert tabs.currentWidget() is dashboard.gradients
    plot = dashboard.findChild(PlotWidget, "gradientsPlot")
    assert plot is not None
    qtbot.waitUntil(lambda: not dashboard.gradients.dirty, timeout=5000)
    curves = plot.getPlotItem().listDataItems()
    assert [c.name() for c in curves] == list(LAYERS)  # legend by node name, network order
    x, y = curves[0].getData()
    assert list(x) == [1.0, 2.0]  # one point per epoch
    assert np.all(np.isfinite(y))
    legend = [label.text for _, label in dashboard.gradients.legend.items]
    assert legend == list(LAYERS)
    ratios = dashboard.findChild(PlotWidget, "updateRatioPlot")
    assert ratios is not None
    assert len(ratios.getPlotItem().listDataItems()) == len(LAYERS)
    assert plot.getPlotItem().getAxis("left").logMode


def test_vanishing_gradients_and_dead_relus_reach_the_issues_list(
    qtbot, window, dashboard, click, events
) -> None:
    """A report as the training process sends it: conv1 got 1e-5 of fc3's gradient all epoch,
    relu1 gave 99 % zeros on the validation batch."""
    report = Diagnostics(
        epoch=1,
        layers=LAYERS,
        grad_norm=np.array([1e-6, 0.01, 0.05, 0.08, 0.1]),
        update_ratio=np.full(5, 1e-3),
        peak_grad_share=np.array([1e-5, 0.1, 0.5, 0.8, 1.0]),
        batches=3,
        relu_zeros={"relu1": 0.99, "relu2": 0.4},
    )
    dashboard.controller.diagnostics.emit(report)
    issues = window.issues

    def rows() -> list[str]:
        return [issues.item(i).text() for i in range(issues.count())]

    qtbot.waitUntil(lambda: any("vanishing gradients before conv1" in r for r in rows()))
    texts = rows()
    assert any(
        r.startswith("vanishing gradients before conv1 — consider BatchNorm or a residual")
        for r in texts
    )
    assert any(r.startswith("relu1 (ReLU): dead on the validation set — 99%") for r in texts)
    assert not any("relu2" in r or "before conv2" in r for r in texts)
    row = next(i for i, r in enumerate(texts) if "before conv1" in r)
    rect = issues.visualItemRect(issues.item(row))
    qtbot.mouseClick(issues.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: window.document.selection == ["conv1"])
    # The next run starts without the last one's warnings.
    click("trainButton")
    events.wait("started")
    assert not any("before conv1" in r or "relu1 (ReLU): dead" in r for r in rows())
    events.wait("ended")
