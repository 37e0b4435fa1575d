"""Iterating on a design from the dashboard: compare runs' curves, reopen a trained project,
continue a run with its earlier epochs drawn, and keep the best (or last) weights after Stop."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QMessageBox

from cnnstudio.core.commands import SetParams
from cnnstudio.train.run_curves import read_curves
from cnnstudio.train.runs import BEST, LAST, RunFolder

pytestmark = [pytest.mark.slow, pytest.mark.qt_log_ignore("This plugin does not support")]
Discard = QMessageBox.StandardButton.Discard


def show_tab(qtbot: Any, dashboard: Any, page: Any) -> None:
    bar = dashboard.tabs.tabBar()
    tab = bar.tabRect(dashboard.tabs.indexOf(page)).center()
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=tab)
    assert dashboard.tabs.currentWidget() is page


def click_run(qtbot: Any, panel: Any, run: Path, ctrl: bool = False) -> None:
    """Click a run's row in the Runs tab (with Ctrl: add it to the selection)."""
    proxy, table = panel.proxy, panel.table
    row = next(
        r
        for r in range(proxy.rowCount())
        if panel.model.records[proxy.mapToSource(proxy.index(r, 0)).row()].path == run
    )
    pos: QPoint = table.visualRect(proxy.index(row, 0)).center()
    modifier = Qt.KeyboardModifier.ControlModifier if ctrl else Qt.KeyboardModifier.NoModifier
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, modifier, pos)


def key_names(dashboard: Any) -> list[str]:
    """The runs the key above the plots names (it is hidden when it names none)."""
    key = dashboard.curves.runs_key
    assert key.isHidden() != bool(key.names)  # (isVisible: also whether its tab is shown)
    for name in key.names:
        assert name in key.text()
    return key.names


def legend_names(dashboard: Any) -> list[str]:
    return [label.text for _, label in dashboard.curves.legends[0].items]


def set_setting(qtbot: Any, dashboard: Any, name: str, text: str) -> None:
    """Type (a number) or choose (an option) a setting in the Settings tab, as a user does."""
    show_tab(qtbot, dashboard, dashboard.settings_panel)
    editor = dashboard.settings_panel.editors[name]
    if hasattr(editor, "findData"):
        editor.setCurrentIndex(editor.findData(text))
        editor.activated.emit(editor.currentIndex())  # what a pick from the popup sends
    else:
        editor.setFocus()
        editor.selectAll()
        qtbot.keyClicks(editor, text)
        qtbot.keyClick(editor, Qt.Key.Key_Return)


def test_selected_runs_overlay_their_curves_with_the_live_run(
    qtbot, window, dashboard, click, events
) -> None:
    click("trainButton")
    first = events.wait("ended")
    assert window.document.push(SetParams("conv1", {"out_channels": 8})) is None
    click("trainButton")
    second = events.wait("ended", 2)
    names = ["batch", "smoothed", "train", "val"]
    assert legend_names(dashboard) == names
    assert key_names(dashboard) == []  # nothing compared yet

    panel = dashboard.runs_panel
    show_tab(qtbot, dashboard, panel)
    click_run(qtbot, panel, first.run_dir)
    click_run(qtbot, panel, second.run_dir, ctrl=True)
    assert sorted(panel.compared()) == sorted([first.run_dir, second.run_dir])
    click("runsCompare")  # the curves come forward
    assert dashboard.tabs.currentIndex() == 0

    # The second run is the one the curves show: named, not drawn twice; the first overlaid.
    curves = dashboard.curves
    assert key_names(dashboard) == [first.run_dir.name, f"{second.run_dir.name} (current)"]
    assert legend_names(dashboard) == names  # the live run's own legend stays as it was
    slot = curves.overlay.slots[0]
    expected = read_curves(first.run_dir)
    loss_items = curves.loss_plot.getPlotItem().items
    accuracy_items = curves.accuracy_plot.getPlotItem().items
    assert slot.val_loss in loss_items
    assert slot.train_loss in loss_items
    assert slot.val_accuracy in accuracy_items
    assert slot.train_accuracy in accuracy_items
    assert all(item.isVisible() for item in slot.lines())
    # a click on the run's name in the key hides its lines (struck through), another shows them
    key = curves.runs_key
    at = QPoint(10, key.height() // 2)  # the first entry: the compared run's swatch
    qtbot.mouseClick(key, Qt.MouseButton.LeftButton, pos=at)
    assert not any(item.isVisible() for item in slot.lines())
    assert key.text().count("<s>") == 1
    assert key_names(dashboard) == [first.run_dir.name, f"{second.run_dir.name} (current)"]
    qtbot.mouseClick(key, Qt.MouseButton.LeftButton, pos=at)
    assert all(item.isVisible() for item in slot.lines())
    assert "<s>" not in key.text()
    x, y = slot.val_loss.get_data()
    assert list(x) == [1.0, 2.0]
    assert np.allclose(y, [r["val_loss"] for r in first.history])
    _, accuracy = slot.val_accuracy.get_data()
    assert np.allclose(accuracy, [100 * r["val_accuracy"] for r in first.history])
    assert np.allclose(slot.train_loss.get_data()[1], expected.train_loss)
    assert slot.train_loss.pen().style() == Qt.PenStyle.DashLine  # training dashed
    assert slot.val_loss.pen().style() == Qt.PenStyle.SolidLine  # validation solid
    x_range = curves.loss_plot.getPlotItem().viewRange()[0]
    assert x_range[0] <= 1.0
    assert x_range[1] >= 2.0

    # A third run goes live while both are compared: both drawn, in colours of their own.
    show_tab(qtbot, dashboard, panel)
    assert window.document.push(SetParams("conv1", {"out_channels": 10})) is None
    click("trainButton")
    third = events.wait("started", 3)
    qtbot.waitUntil(lambda: len(curves.overlay.runs) == 2)
    newest_first = [second.run_dir.name, first.run_dir.name]  # as the Runs tab lists them
    assert key_names(dashboard) == newest_first
    colours = {s.val_loss.pen().color().name() for s in curves.overlay.slots[:2]}
    assert len(colours) == 2
    assert dashboard.info.run_dir == third.run_dir
    events.wait("ended", 3)
    qtbot.waitUntil(lambda: len(dashboard.history.epoch_x) == 2)  # the live run drew too

    show_tab(qtbot, dashboard, panel)  # the list is read again: the selection stays
    assert sorted(panel.compared()) == sorted([first.run_dir, second.run_dir])
    click_run(qtbot, panel, first.run_dir)  # one run only
    assert key_names(dashboard) == [first.run_dir.name]
    assert not curves.overlay.slots[1].val_loss.isVisible()
    panel.table.clearSelection()
    assert key_names(dashboard) == []
    assert not any(item.isVisible() for s in curves.overlay.slots for item in s.lines())


def test_reopened_project_shows_its_latest_run_and_continue_draws_the_earlier_epochs(
    qtbot, window, dashboard, click, events, answer
) -> None:
    click("trainButton")
    trained = events.wait("ended")
    path = window.document.path
    assert window.save_project(path)  # the weights of that run are kept with the project
    assert window.document.push(SetParams("conv1", {"out_channels": 8})) is None
    click("trainButton")
    later = events.wait("ended", 2)  # a run of an edited network, never saved

    answer(Discard)
    assert window.open_project(path)
    # At once, before any training: the latest run's curves, confusion matrix and outcome.
    assert dashboard.shown_run == later.run_dir
    assert list(dashboard.history.epoch_x.values) == [1, 2]
    assert np.allclose(
        dashboard.history.val_accuracy.values, [100 * r["val_accuracy"] for r in later.history]
    )
    x, _ = dashboard.curves.val_loss.get_data()
    assert list(x) == [1.0, 2.0]
    lr_x, lr = dashboard.curves.lr_curve.get_data()  # the schedule too, one point an epoch
    assert list(lr_x) == [1.0, 2.0]
    assert np.allclose(lr, [r["lr"] for r in later.history])
    last_row = RunFolder(later.run_dir).read_metrics()[-1]
    assert dashboard.confusion.matrix is not None
    assert dashboard.confusion.matrix.tolist() == last_row["confusion"]
    assert dashboard.confusion.class_names[0] == "circle"
    assert dashboard.control.progress.format().startswith(
        f"Last run {later.run_dir.name}: completed"
    )
    assert "val " in dashboard.curves.summary.text()

    # The saved network is the first run's: raising Epochs continues that run, whose two
    # epochs are drawn (from its folder) before the new ones.
    set_setting(qtbot, dashboard, "epochs", "3")
    assert dashboard.control.train_button.text() == "Continue training"
    click("trainButton")
    started = events.wait("started", 3)
    assert (started.run_dir, started.start_epoch) == (trained.run_dir, 3)
    assert list(dashboard.history.epoch_x.values)[:2] == [1, 2]
    assert np.allclose(
        dashboard.history.val_loss.values[:2], [r["val_loss"] for r in trained.history]
    )
    assert events.wait("ended", 3).epochs_done == 3
    qtbot.waitUntil(lambda: list(dashboard.history.epoch_x.values) == [1, 2, 3], timeout=5000)


def test_stop_keeps_the_best_epochs_weights_or_the_last_when_chosen(
    qtbot, window, dashboard, click, events
) -> None:
    assert dashboard.settings_panel.editors["keep_weights"].currentData() == "best"
    set_setting(qtbot, dashboard, "epochs", "200")
    click("trainButton")
    events.wait("epochs", 3)
    click("stopButton")
    stopped = events.wait("ended")
    assert stopped.status == "stopped"
    kept = window.document.weights.pending
    assert kept is not None
    assert kept.file == RunFolder(stopped.run_dir).weights(BEST)
    assert (kept.epoch, kept.val_accuracy) == (stopped.best_epoch, stopped.best_val_accuracy)
    assert dashboard.control.progress.format().startswith(
        f"Training stopped after {stopped.epochs_done} epochs; keeping the best weights "
        f"(epoch {stopped.best_epoch}, validation accuracy"
    )

    set_setting(qtbot, dashboard, "keep_weights", "last")
    assert window.document.project.training["keep_weights"] == "last"
    dashboard.control.restart_action.trigger()
    events.wait("epochs", 3 + 2)
    click("stopButton")
    stopped = events.wait("ended", 2)
    kept = window.document.weights.pending
    assert kept is not None
    assert kept.file == RunFolder(stopped.run_dir).weights(LAST)
    assert kept.epoch == stopped.epochs_done
    assert f"; keeping the last weights (epoch {stopped.epochs_done}" in (
        dashboard.control.progress.format()
    )
    assert window.save_project(window.document.path)
    assert window.document.project.weights["epoch"] == stopped.epochs_done
