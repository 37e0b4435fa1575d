"""The learning-rate finder next to the lr setting: the sweep plotted, its suggestion marked,
"Use it" an undoable edit, and Cancel stopping the sweep with the project untouched."""

from __future__ import annotations

import math
from typing import Any

import pytest
from PySide6.QtCore import Qt

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


def _open_settings(qtbot: Any, dashboard: Any) -> None:
    bar = dashboard.tabs.tabBar()
    tab = bar.tabRect(dashboard.tabs.indexOf(dashboard.settings_panel)).center()
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=tab)


def test_the_suggested_lr_is_plotted_marked_and_used_as_an_undoable_edit(
    qtbot, window, dashboard, click
) -> None:
    document = window.document
    # 500 training images in batches of 5: a sweep of 100 steps, long enough for the smoothed
    # loss to show its fall (the fixture's 10 batches are not)
    document.set_section("dataset", {**document.section("dataset"), "num_samples": 600}, "data")
    document.set_section("training", {**document.section("training"), "batch_size": 5}, "bs")
    before = document.project.to_dict()
    _open_settings(qtbot, dashboard)
    click("findLearningRate")
    finder = dashboard.settings_panel.lr_finder
    assert finder is not None
    assert finder.isVisible()
    qtbot.waitUntil(lambda: not finder.running, timeout=60_000)

    assert finder.suggested is not None, finder.status.text()
    assert len(finder.lrs) >= 2
    assert finder.lrs == sorted(finder.lrs)
    x, y = finder.curve.xData, finder.curve.yData
    assert list(x) == finder.lrs
    assert list(y) == finder.losses
    assert finder.plot.getPlotItem().ctrl.logXCheck.isChecked()  # a log lr axis
    assert finder.marker.isVisible()
    assert finder.marker.value() == pytest.approx(math.log10(finder.suggested))
    assert finder.progress.value() == finder.progress.maximum()
    assert document.project.to_dict() == before  # the sweep changed nothing
    assert document.undo_stack.count() == 2

    lr_box = dashboard.settings_panel.editors["lr"]
    lr_box.setValue(0.0123)  # typed in the lr field first: its own undo step
    typed = document.project.to_dict()
    qtbot.mouseClick(finder.use_button, Qt.MouseButton.LeftButton)
    assert document.project.training["lr"] == finder.suggested
    assert lr_box.value() == pytest.approx(finder.suggested)
    window.action_undo.trigger()
    assert document.project.to_dict() == typed
    window.action_undo.trigger()
    assert document.project.to_dict() == before
    qtbot.mouseClick(
        finder.findChild(type(finder.use_button), "lrFinderClose"), Qt.MouseButton.LeftButton
    )
    assert not finder.isVisible()


def test_cancel_stops_the_sweep_and_leaves_the_lr(qtbot, window, dashboard, click) -> None:
    document = window.document
    # batches of one: a sweep of 200 steps, still going when Cancel is clicked
    document.set_section("training", {**document.section("training"), "batch_size": 1}, "bs")
    before = document.project.to_dict()
    _open_settings(qtbot, dashboard)
    click("findLearningRate")
    finder = dashboard.settings_panel.lr_finder
    qtbot.mouseClick(finder.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not finder.running, timeout=60_000)
    assert finder.status.text().startswith("Cancelled after")
    assert len(finder.lrs) < 200
    assert finder.suggested is None
    assert not finder.use_button.isEnabled()
    assert document.project.to_dict() == before
