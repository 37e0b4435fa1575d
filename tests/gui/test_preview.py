"""Live activations while designing: the Preview toggle, the thumbnails in every block, their
statistics in the tooltips, updates after edits (the newest only) and the dead-ReLU warning.

The preview runs for real: the LeNet-5 example on a small shapes dataset, its own thread, torch.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import safetensors.torch
import torch
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QAction, QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QSpinBox

from cnnstudio.core.activations import ActivationStats
from cnnstudio.core.commands import SetParams
from cnnstudio.core.graph import Edge
from cnnstudio.core.project import EXTENSION, load_project
from cnnstudio.gui import settings
from cnnstudio.gui.editor.mime import block_mime_data
from cnnstudio.gui.main_window import MainWindow
from cnnstudio.gui.preview import live
from cnnstudio.gui.templates import examples_dir
from cnnstudio.torch_backend.compiler import compile_graph, feature_extractor
from cnnstudio.train.data.config import dataset_from_config
from cnnstudio.train.data.normalize import to_float

LIMIT = live.PARAMS_LIMIT  # read before the GUI tests' fixture turns the preview off
TINY_DATA = {"source": "shapes", "num_samples": 300}
WAIT_MS = 30_000  # the first preview imports torch and generates the data (seconds, loaded CI)

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


class Watch:
    """Every generation requested, drawn and cancelled, so a test can wait for one that may
    already have come."""

    def __init__(self, window: MainWindow) -> None:
        self.preview = window.preview
        self.requested: list[int] = []
        self.drawn: list[int] = []
        self.cancelled: list[int] = []
        self.preview.requested.connect(self.requested.append)
        self.preview.drawn.connect(self.drawn.append)
        self.preview.engine.cancelled.connect(self.cancelled.append)

    def newest_drawn(self, qtbot: Any) -> int:
        """Wait until the newest request is drawn; its generation."""
        qtbot.waitUntil(
            lambda: bool(self.requested) and self.drawn[-1:] == self.requested[-1:],
            timeout=WAIT_MS,
        )
        return self.drawn[-1]

    def next_drawn(self, qtbot: Any, after: int) -> int:
        qtbot.waitUntil(lambda: bool(self.drawn) and self.drawn[-1] > after, timeout=WAIT_MS)
        return self.newest_drawn(qtbot)


@pytest.fixture
def window(qtbot: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[MainWindow]:
    """The LeNet-5 example with a small shapes dataset, opened from tmp_path and shown."""
    monkeypatch.setattr(live, "PARAMS_LIMIT", LIMIT)
    monkeypatch.setattr(settings, "_MEMORY", {})
    project = load_project(examples_dir() / f"lenet5{EXTENSION}")
    project.dataset = dict(TINY_DATA)
    project.save(tmp_path / f"lenet5{EXTENSION}")
    w = MainWindow(str(project.path))
    w.resize(1400, 950)

    def before_close(w: MainWindow) -> None:
        w.document.undo_stack.setClean()

    qtbot.addWidget(w, before_close_func=before_close)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


@pytest.fixture
def watch(window: MainWindow) -> Watch:
    return Watch(window)


def toggle(window: MainWindow) -> QAction:
    action = window.findChild(QAction, "actionPreview")
    assert action is not None
    return action


def click_toggle(qtbot: Any, window: MainWindow) -> None:
    button = window.toolbar.widgetForAction(toggle(window))
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def expected_stats(window: MainWindow, sample: int) -> dict[str, ActivationStats]:
    """The statistics computed here, apart from the app: the seeded network on the sample."""
    document = window.document
    dataset = dataset_from_config(document.project.dataset, (1, 28, 28), check_shape=False)
    x = dataset.normalization.apply(to_float(dataset.val.x[sample].unsqueeze(0)))
    with torch.no_grad():
        out = feature_extractor(compile_graph(document.graph, seed=0)).eval()(x)
    stats = {}
    for node_id, value in out.items():
        a = value[0].double().numpy()
        share = float(np.mean(a == 0))
        stats[node_id] = ActivationStats(a.mean(), a.std(), a.min(), a.max(), share)
    return stats


def test_every_block_shows_its_activation_and_statistics(qtbot, window, watch) -> None:
    assert toggle(window).isChecked()  # on by default: LeNet-5 has 61.7 k parameters
    watch.newest_drawn(qtbot)
    ids = {n.id for n in window.document.graph}
    assert set(window.document.node_images) == ids
    for item in window.scene.node_items():
        assert item.thumbnail is not None, item.node_id
    images = window.document.node_images
    assert (images["input"].width(), images["input"].height()) == (28, 28)
    assert (images["conv1"].width(), images["conv1"].height()) == (28, 28)
    assert (images["pool2"].width(), images["pool2"].height()) == (5, 5)
    assert (images["fc1"].width(), images["fc1"].height()) == (32, 4)  # 120 values in rows
    expected = expected_stats(window, 0)
    for node_id in ("conv1", "relu1", "fc3"):
        tooltip = window.scene.node_item(node_id).toolTip()
        assert expected[node_id].describe() in tooltip, (node_id, tooltip)
    assert "zeros" in window.scene.node_item("relu1").toolTip()
    assert "validation sample 0" in toggle(window).toolTip()

    sample = window.findChild(QSpinBox, "previewSample")
    assert sample.isEnabled()
    assert sample.maximum() == 49
    before = watch.drawn[-1]
    sample.setValue(7)
    watch.next_drawn(qtbot, before)
    tooltip = window.scene.node_item("relu1").toolTip()
    assert expected_stats(window, 7)["relu1"].describe() in tooltip
    assert "Sample 7" in tooltip
    assert "validation sample 7" in toggle(window).toolTip()


def test_an_undoable_edit_updates_the_thumbnails(qtbot, window, watch) -> None:
    first = watch.newest_drawn(qtbot)
    conv1 = window.document.node_images["conv1"]
    relu1_tip = window.scene.node_item("relu1").toolTip()
    window.document.push(SetParams("conv1", {"out_channels": 3}))
    edited = watch.next_drawn(qtbot, first)
    assert window.scene.node_item("conv1").shape_text == "3x28x28"
    tip = window.scene.node_item("relu1").toolTip()
    assert tip != relu1_tip
    assert expected_stats(window, 0)["relu1"].describe() in tip
    window.action_undo.trigger()
    watch.next_drawn(qtbot, edited)
    assert window.document.node_images["conv1"] == conv1  # the same seeded network again
    assert window.scene.node_item("relu1").toolTip() == relu1_tip


def test_moving_a_block_computes_nothing(qtbot, window, watch, mouse_on) -> None:
    watch.newest_drawn(qtbot)
    requested = len(watch.requested)
    item = window.scene.node_item("fc1")
    window.view.centerOn(item)
    before = window.document.graph.node("fc1").position
    mouse_on(window.view).drag(item.scenePos(), item.scenePos() + QPointF(40, 30))
    assert window.document.graph.node("fc1").position != before
    qtbot.wait(300)
    assert len(watch.requested) == requested


def test_a_superseded_computation_is_never_drawn(qtbot, window, watch) -> None:
    first = watch.newest_drawn(qtbot)
    document = window.document
    with qtbot.waitSignal(window.preview.requested, timeout=WAIT_MS) as older:
        document.push(SetParams("conv1", {"out_channels": 3}))
    changes: list[int] = []
    document.node_images_changed.connect(lambda: changes.append(1))
    # The second edit follows before the GUI thread could take the first one's result: its
    # request is made at once rather than when the analysis catches up on the next turn.
    document.push(SetParams("conv1", {"out_channels": 4}))
    window.preview.refresh()
    superseded, latest = older.args[0], watch.requested[-1]
    assert latest == superseded + 1
    assert watch.next_drawn(qtbot, first) == latest
    assert superseded in watch.cancelled
    assert superseded not in watch.drawn
    assert changes == [1]  # the newest pictures only
    expected = expected_stats(window, 0)
    assert expected["relu1"].describe() in window.scene.node_item("relu1").toolTip()


def test_a_dead_relu_is_listed_in_the_issues(qtbot, window, watch, tmp_path) -> None:
    first = watch.newest_drawn(qtbot)
    assert not any(
        "dead activations" in i.message for i in window.document.analysis.analysis.issues
    )
    weights = compile_graph(window.document.graph, seed=0).state_dict()
    weights["conv1.bias"] = torch.full_like(weights["conv1.bias"], -100.0)  # no pixel passes
    file = tmp_path / "killed.safetensors"
    safetensors.torch.save_file(dict(weights), file)
    window.document.adopt_weights(file)
    watch.next_drawn(qtbot, first)
    assert "trained weights" in toggle(window).toolTip()
    issues = window.document.analysis.analysis.warnings
    dead = [i for i in issues if "dead activations" in i.message]
    assert [i.node for i in dead] == ["relu1"]
    assert "100% of its outputs are zero" in dead[0].message
    rows = [window.issues.item(r).text() for r in range(window.issues.count())]
    assert any(r.startswith("relu1 (ReLU): dead activations") for r in rows), rows
    assert "zeros 100%" in window.scene.node_item("relu1").toolTip()

    click_toggle(qtbot, window)  # off: the warning goes with the pictures
    qtbot.waitUntil(lambda: window.issues.count() == len(window.document.analysis.analysis.issues))
    rows = [window.issues.item(r).text() for r in range(window.issues.count())]
    assert not any("dead activations" in r for r in rows)


def test_the_toggle_clears_and_restores_the_thumbnails(qtbot, window, watch) -> None:
    first = watch.newest_drawn(qtbot)
    click_toggle(qtbot, window)
    assert not toggle(window).isChecked()
    assert window.document.node_images == {}
    assert window.document.node_notes == {}
    assert all(item.thumbnail is None for item in window.scene.node_items())
    assert "mean" not in window.scene.node_item("conv1").toolTip()
    assert toggle(window).toolTip().startswith("Preview is off")
    assert not window.findChild(QSpinBox, "previewSample").isEnabled()
    click_toggle(qtbot, window)
    assert toggle(window).isChecked()
    watch.next_drawn(qtbot, first)
    assert set(window.document.node_images) == {n.id for n in window.document.graph}


def test_a_block_dropped_on_a_wire_shows_its_output(qtbot, window, watch) -> None:
    first = watch.newest_drawn(qtbot)
    item = window.scene.edge_item(Edge("conv1", "relu1"))
    at = item.mapToScene(item.path().pointAtPercent(0.5))
    window.view.centerOn(at)
    viewport = window.view.viewport()
    pixel: QPoint = window.view.mapFromScene(at)
    mime = block_mime_data("BatchNorm2d")
    copy, left, none = Qt.DropAction.CopyAction, Qt.MouseButton.LeftButton, Qt.KeyboardModifier(0)
    QApplication.sendEvent(viewport, QDragEnterEvent(pixel, copy, mime, left, none))
    QApplication.sendEvent(viewport, QDragMoveEvent(pixel, copy, mime, left, none))
    QApplication.sendEvent(viewport, QDropEvent(QPointF(pixel), copy, mime, left, none))
    assert "batchnorm_1" in window.document.graph
    watch.next_drawn(qtbot, first)
    assert window.scene.node_item("batchnorm_1").thumbnail is not None
    assert "mean" in window.scene.node_item("batchnorm_1").toolTip()


def test_a_network_over_the_limit_turns_the_preview_off(qtbot, window, watch) -> None:
    watch.newest_drawn(qtbot)
    window.document.push(SetParams("fc1", {"out_features": 4000}))  # 400 x 4000 weights
    qtbot.waitUntil(lambda: not toggle(window).isChecked())
    assert window.document.node_images == {}
    assert "off by default above 1 M parameters" in toggle(window).toolTip()
    click_toggle(qtbot, window)  # the user asks for it anyway
    assert toggle(window).isChecked()
    last = watch.drawn[-1]
    watch.next_drawn(qtbot, last)
    assert "fc1" in window.document.node_images


def test_without_data_there_are_no_thumbnails_and_the_toggle_says_why(
    qtbot, window, watch, tmp_path
) -> None:
    watch.newest_drawn(qtbot)
    missing = tmp_path / "no-such-folder"
    window.document.set_section("dataset", {"source": "folder", "path": str(missing)}, "Data")
    qtbot.waitUntil(lambda: toggle(window).toolTip().startswith("No preview"), timeout=WAIT_MS)
    assert "no-such-folder" in toggle(window).toolTip()
    assert window.document.node_images == {}
    assert toggle(window).isChecked()  # still on: it shows pictures once there are data


def test_closing_the_window_leaves_no_thread(qtbot, window, watch, still_running_qthreads):
    window.document.push(SetParams("conv1", {"out_channels": 5}))
    qtbot.waitUntil(lambda: bool(watch.requested), timeout=WAIT_MS)
    window.document.undo_stack.setClean()
    window.close()
    assert still_running_qthreads(0) == []


def test_a_window_closed_before_its_preview_started_loads_nothing(
    qtbot, monkeypatch, still_running_qthreads
) -> None:
    monkeypatch.setattr(live, "PARAMS_LIMIT", LIMIT)
    monkeypatch.setattr(settings, "_MEMORY", {})
    w = MainWindow()
    w.show()
    w.close()  # before the preview's delayed start
    qtbot.wait(live.START_DELAY_MS + 200)
    assert w.preview.loader.loading is None
    assert still_running_qthreads(0) == []
    w.deleteLater()


def test_a_new_project_gets_none_of_the_old_pictures(qtbot, window, watch) -> None:
    first = watch.newest_drawn(qtbot)
    window.document.push(SetParams("conv1", {"out_channels": 3}))
    window.preview.refresh()  # its computation is under way when the project is replaced
    assert watch.requested[-1] > first
    window.document.undo_stack.setClean()
    assert window.new_project("blank")
    qtbot.waitUntil(lambda: not window.preview.engine.busy, timeout=WAIT_MS)
    assert watch.drawn[-1] == first
    assert window.document.node_images == {}
    assert toggle(window).toolTip() == "No preview: the network needs one valid Input node"
