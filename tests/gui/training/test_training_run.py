"""Training from the editor as a user does it: Train, watch, pause, stop, close, save."""

from __future__ import annotations

import time

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QMessageBox

from cnnstudio.core.commands import SetParams
from cnnstudio.core.project import EXTENSION, load_project
from cnnstudio.gui.main_window import MainWindow
from cnnstudio.gui.training.dashboard import READ_ONLY_REASON
from cnnstudio.train.run_state import RunState
from cnnstudio.train.weights import load_project_weights

pytestmark = [pytest.mark.slow, pytest.mark.qt_log_ignore("This plugin does not support")]
Yes, Discard = QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.Discard
RUN_S = 60_000  # ms to wait for a run's event on this busy, shared 2-core machine


def _long_run(window: MainWindow) -> None:
    """Enough epochs that the run is still going when the test acts on it."""
    window.document.project.training = {**(window.document.project.training or {}), "epochs": 200}


def test_train_fills_curves_feature_maps_and_confusion_matrix(
    qtbot, dashboard, click, events
) -> None:
    click("trainButton")
    info = events.wait("started")
    events.wait("epochs")
    qtbot.waitUntil(lambda: dashboard.confusion.matrix is not None, timeout=5000)
    qtbot.waitUntil(lambda: dashboard.feature_maps.shown is not None, timeout=5000)
    qtbot.waitUntil(lambda: not dashboard.confusion.dirty, timeout=5000)

    x, y = dashboard.curves.raw_loss.get_data()
    assert x is not None
    assert len(x) >= info.batches_per_epoch
    assert np.all(np.isfinite(y))
    node, count, size = dashboard.feature_maps.shown
    assert (node, count, size) == ("conv1", 6, (28, 28))  # conv1: 6 channels of 28x28
    mosaic = dashboard.feature_maps.mosaic
    assert mosaic is not None
    assert mosaic.count == 6
    assert mosaic.tile == (28, 28)
    image = dashboard.feature_maps.mosaic_item.image
    assert image.shape[:2] == (mosaic.rows * 29 - 1, mosaic.cols * 29 - 1)
    assert int(dashboard.confusion.matrix.sum()) == info.num_val == 50
    events.wait("ended")
    qtbot.waitUntil(lambda: len(dashboard.history.epoch_x) == 2, timeout=5000)
    assert dashboard.control.train_button.isEnabled()
    assert dashboard.control.progress.value() == dashboard.control.progress.maximum()


def test_pause_stops_batches_resume_continues_stop_ends_within_1s(
    qtbot, window, dashboard, click
) -> None:
    _long_run(window)
    controller = dashboard.controller
    with qtbot.waitSignal(controller.batches, timeout=RUN_S):
        click("trainButton")
    click("pauseButton")
    assert controller.state == RunState.PAUSED
    assert dashboard.control.pause_button.text() == "Resume"
    qtbot.wait(300)  # a report sent before the pause took effect may still arrive
    seen = len(dashboard.history.batch_x)
    qtbot.wait(700)
    assert len(dashboard.history.batch_x) == seen, "batches kept arriving while paused"

    with qtbot.waitSignal(controller.batches, timeout=RUN_S):
        click("pauseButton")  # now "Resume"
    assert len(dashboard.history.batch_x) > seen

    started = time.perf_counter()
    with qtbot.waitSignal(controller.run_ended, timeout=2000) as ended:
        click("stopButton")
    assert time.perf_counter() - started < 1.0
    assert ended.args[0].status == "stopped"
    assert controller.state == RunState.IDLE


def test_f5_trains_and_shift_f5_stops(qtbot, window, dashboard) -> None:
    _long_run(window)
    with qtbot.waitSignal(dashboard.controller.batches, timeout=RUN_S):
        qtbot.keyClick(window, Qt.Key.Key_F5)
    with qtbot.waitSignal(dashboard.controller.run_ended, timeout=2000):
        qtbot.keyClick(window, Qt.Key.Key_F5, Qt.KeyboardModifier.ShiftModifier)


def test_graph_edits_are_refused_with_a_hint_while_training(
    qtbot, window, dashboard, click
) -> None:
    _long_run(window)
    with qtbot.waitSignal(dashboard.controller.batches, timeout=RUN_S):
        click("trainButton")
    assert window.document.guard.reason == READ_ONLY_REASON
    window.scene.select_nodes(["conv2"])
    window.scene.delete_selection()
    assert "conv2" in window.document.graph
    assert "training is running" in window.statusBar().currentMessage()
    message = window.document.push(SetParams("conv1", {"out_channels": 8}))
    assert message is not None
    assert "training is running" in message
    assert window.document.graph.node("conv1").params["out_channels"] == 6
    assert not dashboard.data_panel.isEnabled()
    assert not dashboard.settings_panel.isEnabled()
    with qtbot.waitSignal(dashboard.controller.run_ended, timeout=2000):
        click("stopButton")
    assert window.document.guard.reason is None
    assert window.document.push(SetParams("conv1", {"out_channels": 8})) is None


def test_closing_while_training_asks_then_stops_cleanly(qtbot, window, dashboard, click, answer):
    _long_run(window)
    with qtbot.waitSignal(dashboard.controller.batches, timeout=RUN_S):
        click("trainButton")
    asked = answer(Yes, Discard)
    started = time.perf_counter()
    assert window.close()
    assert time.perf_counter() - started < 2.0
    assert asked == ["Training is running", "Unsaved changes"]  # the trained weights are news
    assert not window.isVisible()
    assert dashboard.controller.state == RunState.IDLE


def test_cancelling_the_close_keeps_training(qtbot, window, dashboard, click, answer) -> None:
    _long_run(window)
    with qtbot.waitSignal(dashboard.controller.batches, timeout=RUN_S):
        click("trainButton")
    answer(QMessageBox.StandardButton.Cancel)
    assert not window.close()
    assert window.isVisible()
    with qtbot.waitSignal(dashboard.controller.batches, timeout=RUN_S):
        pass  # still training
    with qtbot.waitSignal(dashboard.controller.run_ended, timeout=2000):
        click("stopButton")


def test_diverging_run_shows_a_message_and_the_app_stays_usable(
    qtbot, window, dashboard, click
) -> None:
    window.document.project.training = {
        **(window.document.project.training or {}),
        "optimizer": "sgd",
        "lr": 1e6,
    }
    with qtbot.waitSignal(dashboard.controller.run_ended, timeout=RUN_S) as ended:
        click("trainButton")
    result = ended.args[0]
    assert result.status == "failed"
    assert result.failure.kind == "nan"
    banner = dashboard.control.banner
    assert banner.isVisible()
    assert "diverged" in banner.text.text()
    assert "learning rate" in banner.text.text()
    assert "diverged" in window.statusBar().currentMessage()
    assert window.document.guard.reason is None
    assert dashboard.control.train_button.isEnabled()
    assert window.document.push(SetParams("fc1", {"out_features": 64})) is None


def test_trained_weights_are_saved_beside_the_project(qtbot, window, dashboard, click, tmp_path):
    with qtbot.waitSignal(dashboard.controller.run_ended, timeout=RUN_S):
        click("trainButton")
    assert window.isWindowModified()  # new weights are unsaved work
    assert window.save_project(window.document.project.path)
    assert not window.isWindowModified()
    beside = window.document.project.path.with_suffix(".safetensors")
    assert beside.is_file()
    assert window.document.project.weights["file"] == beside.name
    assert window.document.project.weights["epoch"] == 2
    reopened = load_project(window.document.project.path)
    load_project_weights(reopened)  # checksum and shapes fit

    elsewhere = tmp_path / "copy" / f"moved{EXTENSION}"
    elsewhere.parent.mkdir()
    assert window.save_project(elsewhere)
    assert elsewhere.with_suffix(".safetensors").is_file()
    load_project_weights(load_project(elsewhere))


def set_epochs(qtbot, dashboard, epochs: int) -> None:
    """Type a new Epochs setting in the Settings tab, as a user does."""
    dashboard.tabs.setCurrentWidget(dashboard.settings_panel)
    spin = dashboard.settings_panel.editors["epochs"]
    spin.setFocus()
    spin.selectAll()
    qtbot.keyClicks(spin, str(epochs))
    qtbot.keyClick(spin, Qt.Key.Key_Return)
    assert dashboard.project.training["epochs"] == epochs


def test_train_continues_the_run_or_restarts_from_scratch(qtbot, dashboard, click, events):
    click("trainButton")
    events.wait("ended")
    # Epochs is the total length of a run: the run has done its 2, so Train starts afresh ...
    assert dashboard.control.train_button.text() == "Train"
    assert not dashboard.control.continue_action.isEnabled()
    set_epochs(qtbot, dashboard, 4)  # ... until Epochs is raised: then it goes on up to 4
    assert dashboard.control.train_button.text() == "Continue training"
    click("trainButton")
    assert events.wait("started", 2).start_epoch == 3  # the run goes on after its 2 epochs
    assert events.wait("ended", 2).epochs_done == 4
    qtbot.waitUntil(lambda: len(dashboard.history.epoch_x) == 4, timeout=5000)
    assert list(dashboard.history.epoch_x.values) == [1, 2, 3, 4]  # the curves go on too

    dashboard.control.restart_action.trigger()
    assert events.wait("started", 3).start_epoch == 1
    assert events.wait("ended", 3).run_dir != events.wait("ended", 2).run_dir  # a new run
    assert list(dashboard.history.epoch_x.values) == [1, 2, 3, 4]


def network_in_view(window) -> bool:
    view = window.view
    seen = view.mapToScene(view.viewport().rect()).boundingRect()
    return all(seen.contains(item.sceneBoundingRect()) for item in window.scene.node_items())


def test_canvas_selection_views_and_live_node_thumbnails(qtbot, window, dashboard, click):
    window.show_start()
    assert network_in_view(window)
    with qtbot.waitSignal(dashboard.controller.run_ended, timeout=RUN_S):
        click("trainButton")
    assert set(window.document.node_images) == {"conv1", "pool1", "conv2", "pool2"}
    qtbot.waitUntil(lambda: network_in_view(window))  # the taller nodes are fitted again
    window.scene.select_nodes(["pool2"])
    assert dashboard.feature_maps.node == "pool2"
    assert dashboard.feature_maps.shown == ("pool2", 16, (5, 5))
    window.scene.select_nodes(["fc2"])  # a Linear output: bars, one per unit
    assert dashboard.feature_maps.shown == ("fc2", 1, (84,))
    window.scene.select_nodes(["conv2"])
    assert dashboard.filters.shown == ("conv2", (16, 6, 5, 5))

    action = window.findChild(type(window.action_fit), "actionLiveThumbnails")
    action.trigger()
    assert window.document.node_images == {}


def test_after_training_another_sample_is_probed_with_the_trained_weights(
    qtbot, dashboard, click
) -> None:
    with qtbot.waitSignal(dashboard.controller.run_ended, timeout=RUN_S):
        click("trainButton")
    strip = dashboard.feature_maps.samples
    assert strip.count() == 32
    rect = strip.visualItemRect(strip.item(3))
    qtbot.mouseClick(strip.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert dashboard.feature_maps.features.sample == 3
    assert dashboard.feature_maps.features.epoch == 2
    label = int(dashboard.dataset.val.y[3])
    assert dashboard.feature_maps.features.label == label


def test_clicking_a_confusion_cell_opens_its_images(qtbot, dashboard, click) -> None:
    with qtbot.waitSignal(dashboard.controller.run_ended, timeout=RUN_S):
        click("trainButton")
    view = dashboard.confusion
    matrix = view.matrix
    true, predicted = np.unravel_index(int(np.argmax(matrix)), matrix.shape)
    scene_pos = view.plot.vb.mapViewToScene(QPointF(predicted + 0.5, true + 0.5))
    pos = view.widget.mapFromScene(scene_pos)
    qtbot.mouseClick(view.widget.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    gallery = dashboard.gallery
    assert gallery.isVisible()
    assert len(gallery.indices) == matrix[true, predicted]
    assert gallery.grid.count() == matrix[true, predicted]
    predictions = dashboard.predictions
    assert all(predictions.targets[i] == true for i in gallery.indices)
    assert all(predictions.predictions[i] == predicted for i in gallery.indices)
    gallery.close()
