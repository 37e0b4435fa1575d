"""Looking inside a trained network from the dashboard: images dropped on the Predict tab are
classified with the trained weights (top-5 and a Grad-CAM overlay per image), and the feature
maps panel and the confusion-matrix gallery show an attribution map over their sample."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageDraw
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QComboBox, QFileDialog, QListWidget

from cnnstudio.core.commands import SetParams
from cnnstudio.gui.main_window import MainWindow
from cnnstudio.gui.training.dashboard import TrainingDashboard
from cnnstudio.gui.training.predict_panel import NO_WEIGHTS, PredictPanel
from cnnstudio.train.callbacks import AttributionMap
from cnnstudio.train.data.shapes import SHAPE_CLASSES

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")
RUN_MS = 120_000


def draw(path: Path, size: int = 48) -> Path:
    image = Image.new("RGB", (size, size))
    ImageDraw.Draw(image).rectangle((size // 4, size // 4, size * 3 // 4, size * 3 // 4), "white")
    image.save(path)
    return path


def drop(panel: PredictPanel, paths: list[Path]) -> None:
    """What a file manager does: a drag enters, then the files are dropped."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    where = panel.rect().center()
    enter = QDragEnterEvent(
        where,
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(panel, enter)
    assert enter.isAccepted()
    dropped = QDropEvent(
        QPointF(where),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(panel, dropped)
    assert dropped.isAccepted()


def train_once(qtbot: Any, dashboard: TrainingDashboard) -> None:
    with qtbot.waitSignal(dashboard.controller.run_ended, timeout=RUN_MS) as ended:
        dashboard.train()
    assert ended.args[0].ok


def test_dropped_images_are_classified_with_the_trained_weights(
    qtbot: Any, window: MainWindow, dashboard: TrainingDashboard, tmp_path: Path
) -> None:
    train_once(qtbot, dashboard)
    dashboard.tabs.setCurrentWidget(dashboard.predict_panel)
    panel = dashboard.findChild(PredictPanel, "predictTab")
    assert panel is dashboard.predict_panel
    folder = tmp_path / "more"
    folder.mkdir()
    draw(folder / "c.bmp", 28)
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a picture")
    drop(panel, [draw(tmp_path / "a.png"), draw(tmp_path / "b.jpg", 100), folder, broken])
    qtbot.waitUntil(lambda: not panel.busy, timeout=30_000)

    assert [r.path.name for r in panel.results] == ["a.png", "b.jpg", "c.bmp"]
    for result in panel.results:
        assert result.class_names == SHAPE_CLASSES
        assert result.probabilities.sum() == pytest.approx(1.0, abs=1e-5)
        assert result.pixels.shape == (1, 28, 28)
        assert result.heat is not None
        assert result.heat.shape == (28, 28)
    listed = panel.findChild(QListWidget, "predictResults")
    assert listed.count() == 3
    first = panel.results[0]
    best = SHAPE_CLASSES[int(np.argmax(first.probabilities))]
    text = listed.item(0).text().splitlines()
    assert text[0].startswith(f"a.png: {best} (")
    assert len(text) == 1 + 5  # the headline and the top five classes
    assert not listed.item(0).icon().isNull()
    assert panel.message.text().startswith("3 images classified. 1 could not be read:")
    assert str(broken) in panel.message.text()


def test_without_trained_weights_the_tab_says_so(
    qtbot: Any, dashboard: TrainingDashboard, tmp_path: Path
) -> None:
    panel = dashboard.predict_panel
    drop(panel, [draw(tmp_path / "a.png")])
    assert not panel.busy
    assert panel.message.text() == NO_WEIGHTS
    assert panel.list.count() == 0


def test_file_menu_predict_on_images_opens_the_tab(
    qtbot: Any,
    window: MainWindow,
    dashboard: TrainingDashboard,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    train_once(qtbot, dashboard)
    image = draw(tmp_path / "mine.png")
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a, **k: ([str(image)], "Images"))
    action = next(a for a in window.menuBar().actions() if a.text() == "&File").menu()
    predict = next(a for a in action.actions() if a.objectName() == "actionPredictImages")
    predict.trigger()
    assert dashboard.tabs.currentWidget() is dashboard.predict_panel
    qtbot.waitUntil(lambda: not dashboard.predict_panel.busy, timeout=30_000)
    assert [r.path for r in dashboard.predict_panel.results] == [image]


def test_feature_maps_and_gallery_show_where_the_network_looked(
    qtbot: Any, dashboard: TrainingDashboard
) -> None:
    from_run: list[AttributionMap] = []
    dashboard.controller.attribution.connect(from_run.append)
    train_once(qtbot, dashboard)
    assert from_run, "the training process answered while it trained"
    assert from_run[0].heat.shape == (28, 28)
    panel = dashboard.feature_maps.attribution
    qtbot.waitUntil(lambda: panel.map is not None, timeout=30_000)
    assert panel.map.method == "gradcam"
    assert panel.map.node == "conv2"  # the last convolution by default
    assert panel.map.heat.shape == (28, 28)
    assert not panel.picture.pixmap().isNull()

    # After the run: a background thread with the trained weights answers.
    dashboard.feature_maps.samples.setCurrentRow(3)
    qtbot.waitUntil(lambda: panel.map is not None and panel.map.sample == 3, timeout=30_000)
    method = panel.findChild(QComboBox, "attributionMethod")
    method.setCurrentIndex(method.findData("integrated_gradients"))
    method.activated.emit(method.currentIndex())
    qtbot.waitUntil(
        lambda: panel.map is not None and panel.map.method == "integrated_gradients",
        timeout=30_000,
    )
    assert not panel.layer.isEnabled()  # only Grad-CAM looks at a layer
    target = panel.findChild(QComboBox, "attributionTarget")
    target.setCurrentIndex(target.findData(2))
    target.activated.emit(target.currentIndex())
    qtbot.waitUntil(lambda: panel.map is not None and panel.map.target == 2, timeout=30_000)
    assert panel.caption.text().startswith(f"Integrated gradients for “{SHAPE_CLASSES[2]}”")
    before = panel.picture.pixmap().toImage()
    panel.opacity.setValue(0)
    assert panel.picture.pixmap().toImage() != before  # the blend follows the slider at once

    predictions = dashboard.predictions
    assert predictions is not None
    true = int(predictions.targets[0])
    predicted = int(predictions.predictions[0])
    dashboard.open_gallery(true, predicted)
    gallery = dashboard.gallery.attribution
    qtbot.waitUntil(lambda: gallery.map is not None, timeout=30_000)
    assert gallery.sample == dashboard.gallery.indices[0]
    assert gallery.map.sample == gallery.sample
    dashboard.gallery.hide()
    qtbot.waitUntil(lambda: not dashboard.attributions.working, timeout=10_000)


def test_weights_that_no_longer_fit_are_named_not_drawn(
    qtbot: Any, dashboard: TrainingDashboard, tmp_path: Path
) -> None:
    train_once(qtbot, dashboard)
    panel = dashboard.feature_maps.attribution
    qtbot.waitUntil(lambda: panel.map is not None, timeout=30_000)
    assert dashboard.document.push(SetParams("fc1", {"out_features": 64})) is None
    method = panel.findChild(QComboBox, "attributionMethod")
    method.setCurrentIndex(method.findData("saliency"))
    method.activated.emit(method.currentIndex())  # asks the background thread again
    qtbot.waitUntil(
        lambda: panel.map is not None and panel.map.method == "saliency", timeout=30_000
    )
    assert panel.map.error
    assert panel.caption.text().startswith("Cannot attribute: ")
    assert "do not fit the graph" in panel.caption.text()
    dashboard.feature_maps.samples.setCurrentRow(2)  # the features cannot be shown either
    assert panel.caption.text().startswith("Cannot attribute: ")
    assert "do not fit the graph" in panel.caption.text()
    assert dashboard.feature_maps.caption.text().startswith("Cannot show features: ")
    drop(dashboard.predict_panel, [draw(tmp_path / "a.png")])
    qtbot.waitUntil(lambda: not dashboard.predict_panel.busy, timeout=30_000)
    assert dashboard.predict_panel.results == []
    assert dashboard.predict_panel.message.text().startswith("Cannot classify: ")
    assert "do not fit the graph" in dashboard.predict_panel.message.text()
