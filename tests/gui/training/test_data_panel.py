"""The Data tab: choosing data, its preview, and fixing an Input node that does not fit."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtWidgets import QFileDialog

from cnnstudio.gui.training.dashboard import TrainingDashboard

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")
LOAD_MS = 30_000


def _open_data_tab(qtbot, dashboard: TrainingDashboard) -> None:
    with qtbot.waitSignal(dashboard.loader.loaded, timeout=LOAD_MS):
        dashboard.tabs.setCurrentWidget(dashboard.data_panel)


def _choose_source(dashboard: TrainingDashboard, source: str | None) -> None:
    box = dashboard.data_panel.source_box
    index = box.findData(source)
    box.setCurrentIndex(index)
    box.activated.emit(index)


def test_data_tab_previews_samples_by_class_and_counts(qtbot, dashboard) -> None:
    _open_data_tab(qtbot, dashboard)
    panel = dashboard.data_panel
    assert panel.dataset is not None
    assert panel.dataset.num_classes == 10
    preview = panel.preview.pixmap()
    assert not preview.isNull()
    assert preview.height() >= 10 * 36  # one row of samples per class
    train_bars = panel.counts.train.opts["width"]
    assert list(train_bars) == panel.dataset.class_counts("train")
    assert "250 training and 50 validation images" in panel.status.text()
    assert not panel.mismatch_box.isVisible()


def test_mismatched_data_is_explained_and_the_input_fixed_in_one_undo_step(
    qtbot, window, dashboard
) -> None:
    _open_data_tab(qtbot, dashboard)
    with qtbot.waitSignal(dashboard.loader.loaded, timeout=LOAD_MS):
        _choose_source(dashboard, "shapes-rgb")
    panel = dashboard.data_panel
    assert panel.mismatch_box.isVisible()
    assert "expects 1x28x28 but the images are 3x28x28" in panel.mismatch.text()
    assert panel.fix_button.text() == "Set Input to 3x28x28"

    steps = window.document.undo_stack.count()
    panel.fix_button.click()
    assert window.document.graph.node("input").params["shape"] == [3, 28, 28]
    assert window.document.undo_stack.count() == steps + 1
    qtbot.waitUntil(lambda: not panel.mismatch_box.isVisible(), timeout=LOAD_MS)
    window.document.undo_stack.undo()
    assert window.document.graph.node("input").params["shape"] == [1, 28, 28]


def test_data_choice_is_saved_in_the_project_as_an_undo_step(qtbot, window, dashboard) -> None:
    _open_data_tab(qtbot, dashboard)
    before = dict(window.document.project.dataset)
    panel = dashboard.data_panel
    panel.samples_spin.setValue(600)
    assert window.document.project.dataset == {**before, "num_samples": 600}
    assert window.isWindowModified()
    assert window.document.undo_stack.undoText() == "Set dataset num samples"
    window.document.undo_stack.undo()
    assert window.document.project.dataset == before
    assert panel.samples_spin.value() == 300  # the form follows the undo
    assert not window.isWindowModified()


def test_numpy_archive_is_loaded_from_the_chosen_file(
    qtbot, window, dashboard, tmp_path, monkeypatch
) -> None:
    rng = np.random.default_rng(0)
    archive = tmp_path / "digits.npz"
    np.savez(
        archive,
        x=rng.integers(0, 255, (40, 1, 28, 28), dtype=np.uint8),
        y=np.arange(40) % 4,
        x_val=rng.integers(0, 255, (8, 1, 28, 28), dtype=np.uint8),
        y_val=np.arange(8) % 4,
    )
    _open_data_tab(qtbot, dashboard)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(archive), ""))
    with qtbot.waitSignal(dashboard.loader.loaded, timeout=LOAD_MS):
        _choose_source(dashboard, "npz")
    assert window.document.project.dataset["source"] == "npz"
    assert window.document.project.dataset["path"] == str(archive)
    panel = dashboard.data_panel
    assert panel.dataset.num_classes == 4
    assert "40 training and 8 validation images" in panel.status.text()
    assert "ends in 10 values but the data has 4 classes" in panel.mismatch.text()
    assert not panel.fix_button.isVisible()  # that fix is the user's to make
    # Only the loaded file could tell the class count; now the Issues list names the fix too.
    issues = [(i.node, i.message) for i in window.document.analysis.analysis.errors]
    assert issues == [
        (
            "fc3",
            "fc3 (Linear): 10 outputs but dataset 'digits.npz' has 4 classes — set out_features to 4",
        )
    ]


def test_missing_data_says_what_is_missing(qtbot, window, dashboard, tmp_path) -> None:
    _open_data_tab(qtbot, dashboard)
    section = {"source": "mnist", "path": str(tmp_path / "nowhere")}
    with qtbot.waitSignal(dashboard.loader.failed, timeout=LOAD_MS) as failed:
        dashboard.document.set_section("dataset", section, "Use MNIST")
    assert "nowhere" in failed.args[1]
    assert "Download when missing" in failed.args[1]
    assert dashboard.data_panel.status.text() == failed.args[1]
    assert dashboard.data_panel.preview.pixmap().isNull()  # no earlier dataset's preview
    assert dashboard.data_panel.dataset is None
    assert len(dashboard.data_panel.counts.train.opts["width"]) == 0
    assert dashboard.data_panel.download_box.isVisibleTo(dashboard.data_panel)


def test_train_on_missing_data_says_why_and_the_progress_bar_stops(
    qtbot, window, dashboard, tmp_path, click
) -> None:
    section = {"source": "mnist", "path": str(tmp_path / "nowhere")}
    dashboard.document.set_section("dataset", section, "Use MNIST")
    with qtbot.waitSignal(dashboard.loader.failed, timeout=LOAD_MS):
        click("trainButton")
    qtbot.waitUntil(lambda: not dashboard.busy)
    banner = dashboard.control.banner
    assert banner.isVisible()
    assert "Cannot train:" in banner.text.text()
    assert "nowhere" in banner.text.text()
    progress = dashboard.control.progress
    assert progress.maximum() > 0  # no busy indicator left running
    assert progress.value() == 0
    assert progress.format() == "Not started: the data could not be loaded"
    assert dashboard.control.train_button.isEnabled()
