"""Group nodes in the editor's views: expanded or collapsed as saved, and their output in the
live preview (thumbnail and statistics) like any block's.

The preview runs for real: the grouped Small ResNet on a small RGB shapes dataset, torch included.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QApplication

from cnnstudio.core.project import EXTENSION, load_project
from cnnstudio.gui import settings
from cnnstudio.gui.editor.group_item import GroupItem
from cnnstudio.gui.main_window import MainWindow
from cnnstudio.gui.preview import live
from cnnstudio.gui.templates import examples_dir
from cnnstudio.train.callbacks import Features

LIMIT = live.PARAMS_LIMIT  # read before the GUI tests' fixture turns the preview off
WAIT_MS = 30_000  # the first preview imports torch and generates the data

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


def _open(tmp_path: Path, name: str = "resnet_small") -> Path:
    project = load_project(examples_dir() / f"{name}{EXTENSION}")
    project.dataset = {"source": "shapes-rgb", "num_samples": 120}
    path = tmp_path / f"{name}{EXTENSION}"
    project.save(path)
    return path


@pytest.fixture
def window(qtbot: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[MainWindow]:
    """The grouped Small ResNet with a small RGB shapes dataset, opened from tmp_path, shown."""
    monkeypatch.setattr(live, "PARAMS_LIMIT", LIMIT)
    monkeypatch.setattr(settings, "_MEMORY", {})
    w = MainWindow(str(_open(tmp_path)))
    w.resize(1400, 950)
    qtbot.addWidget(w, before_close_func=lambda w: w.document.undo_stack.setClean())
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def _group(window: MainWindow, node_id: str) -> GroupItem:
    assert window.scene is not None
    item = window.scene.node_item(node_id)
    assert isinstance(item, GroupItem)
    return item


def test_a_group_expanded_on_the_canvas_is_expanded_when_reopened(qtbot, window, mouse_on) -> None:
    path = window.document.path
    item = _group(window, "block2")
    assert not item.expanded
    window.view.resetTransform()
    window.view.centerOn(item)
    mouse_on(window.view).click(item.mapToScene(item.toggle_rect().center()))
    assert item.expanded
    assert window.document.graph.node("block2").expanded  # in the model, like a position
    assert window.save_project(path)
    saved = json.loads(path.read_text())
    nodes = {n["id"]: n for n in saved["graph"]["nodes"]}
    assert nodes["block2"]["expanded"] is True
    assert "expanded" not in nodes["block1"]  # written only when true

    assert window.open_project(path)
    assert _group(window, "block2").expanded
    assert _group(window, "block2").frame.isVisible()
    assert not _group(window, "block1").expanded

    window.scene.set_expanded(["block2"], False)
    assert window.save_project(path)
    nodes = {n["id"]: n for n in json.loads(path.read_text())["graph"]["nodes"]}
    assert "expanded" not in nodes["block2"]


def test_the_preview_draws_a_group_nodes_output_with_its_statistics(qtbot, window) -> None:
    preview = window.preview
    qtbot.waitUntil(lambda: "block2" in window.document.node_images, timeout=WAIT_MS)
    image = window.document.node_images["block2"]
    assert (image.width(), image.height()) == (16, 16)  # its 32×16×16 output's strongest map
    item = _group(window, "block2")
    qtbot.waitUntil(lambda: item.thumbnail is not None, timeout=WAIT_MS)
    assert "Sample 0" in item.toolTip()
    assert "zeros" in item.toolTip()
    assert "receptive field 13×13 of the 32×32 input" in item.toolTip()
    assert preview.enabled


def test_filters_and_grad_cam_offer_convolutions_inside_groups(qtbot, window) -> None:
    dashboard = window.dashboard
    filters = dashboard.filters.node_box
    offered = [filters.itemData(i) for i in range(filters.count())]
    assert offered[:3] == ["stem", "block1/conv1", "block1/conv2"]  # network order
    assert "block3/proj" in offered
    assert "block2/conv1  (32 @ 3x3, s2)" in [filters.itemText(i) for i in range(filters.count())]
    layers = dashboard.feature_maps.attribution.layer
    cams = [layers.itemData(i) for i in range(layers.count())]
    assert cams == offered  # the same convolutions, all in the model
    assert layers.currentData() == cams[-1]  # the last one by default

    # A block selected inside a group is the one the Filters view shows.
    window.document.enter("block2")
    assert window.scene is not None
    window.scene.select_nodes(["conv2"])
    assert dashboard.filters.node == "block2/conv2"
    assert dashboard.controller.capture.weights == ("block2/conv2",)


def test_training_thumbnails_draw_a_group_nodes_output(qtbot, window) -> None:
    maps = np.zeros((32, 16, 16), np.float32)
    maps[3, 2:6, 2:6] = 1.0  # the strongest map has a bright square
    features = Features(1, 1, 1, 0, 0, {"block2": maps}, {}, np.full(10, 0.1, np.float32))
    window.dashboard.thumbnails.update(features)
    image = window.document.node_images["block2"]
    assert (image.width(), image.height()) == (16, 16)
    assert _group(window, "block2").thumbnail is not None
