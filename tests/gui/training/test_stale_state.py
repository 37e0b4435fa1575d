"""Nothing of an earlier run or network stays on show once it no longer applies (defect 5)."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMessageBox

from cnnstudio.core.commands import SetParams
from cnnstudio.core.graph import Edge

B = QMessageBox.StandardButton
RUN_S = 60_000  # ms to wait for a run on this busy, shared 2-core machine

# The offscreen platform cannot resize hints, raise or grab; the tests do not depend on it.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


def test_new_after_a_run_shows_blank_views(qtbot, window, dashboard, click, answer) -> None:
    with qtbot.waitSignal(dashboard.controller.run_ended, timeout=RUN_S):
        click("trainButton")
    assert len(dashboard.curves.raw_loss._x) > 0
    assert dashboard.feature_maps.samples.count() > 0
    answer(B.Discard)  # the trained weights are unsaved
    window.action_new.trigger()
    assert len(window.document.graph) == 0
    for curve in (dashboard.curves.raw_loss, dashboard.curves.val_loss, dashboard.curves.lr_curve):
        assert len(curve._x) == 0
    assert dashboard.curves.summary.text() == ""
    assert dashboard.feature_maps.samples.count() == 0
    assert not dashboard.feature_maps.prob_widget.isVisibleTo(dashboard)
    assert dashboard.control.info.text() == ""
    assert dashboard.control.progress.format() == "Fix 2 issues in the Issues list before training"


def test_cannot_train_banner_goes_once_the_network_is_fixed(qtbot, window, dashboard, click):
    window.document.push(SetParams("fc3", {"out_features": 10}))  # stays valid
    assert dashboard.control.progress.format() == "Ready to train"
    window.document.graph.disconnect(Edge("fc3", "out"))
    qtbot.waitUntil(lambda: not window.document.analysis.pending)
    assert dashboard.control.progress.format().startswith("Fix ")
    click("trainButton")
    banner = dashboard.control.banner
    assert banner.isVisibleTo(dashboard)
    assert "Cannot train yet" in banner.text.text()
    window.document.graph.connect(Edge("fc3", "out"))
    qtbot.waitUntil(lambda: not window.document.analysis.pending)
    assert not banner.isVisibleTo(dashboard)
    assert dashboard.control.progress.format() == "Ready to train"
