"""The live views on their own: mosaics, curve buffers, hover, log scale, export, confusion."""

from __future__ import annotations

import csv
from types import SimpleNamespace

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QImage

from cnnstudio.gui.plots import curves as curves_module
from cnnstudio.gui.plots.confusion import ConfusionView
from cnnstudio.gui.plots.curves import CurvesView
from cnnstudio.gui.plots.history import RunHistory
from cnnstudio.gui.plots.mosaic import (
    MAX_TILES,
    feature_mosaic,
    grid_shape,
    kernel_mosaic,
    scale_unit,
    strongest_map,
)
from cnnstudio.gui.plots.style import ACTIVATION_MAP, diverging_table, lookup_table

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")
GAP = (1, 2, 3)


def _batches(epoch: int, batch: int, losses: list[float], per_epoch: int = 10) -> SimpleNamespace:
    return SimpleNamespace(
        epoch=epoch, batch=batch, batches_per_epoch=per_epoch, losses=np.array(losses), lr=0.01
    )


def _epoch(epoch: int, val_accuracy: float) -> SimpleNamespace:
    row = {"epoch": epoch, "val_accuracy": val_accuracy}
    return SimpleNamespace(
        epoch=epoch,
        train_loss=1.0 / epoch,
        val_loss=1.2 / epoch,
        train_accuracy=0.5,
        val_accuracy=val_accuracy,
        lr=0.01,
        row=lambda: row,
    )


# ---- mosaics ---------------------------------------------------------------------------------
def test_feature_mosaic_places_each_map_in_its_tile() -> None:
    maps = np.stack([np.full((4, 5), float(i)) for i in range(6)])
    maps[:, 0, 0] = -1.0  # every map spans [-1, i] so per-map scaling differs from shared
    m = feature_mosaic(maps, lookup_table(ACTIVATION_MAP), shared=False, background=GAP)
    assert m.count == 6
    assert m.tile == (4, 5)
    assert m.image.shape == (m.rows * 5 - 1, m.cols * 6 - 1, 3)
    assert tuple(m.image[4, 0]) == GAP  # the gap under the first tile
    for i in range(6):
        r, c = divmod(i, m.cols)
        assert m.tile_at(c * 6 + 1, r * 5 + 1) == i
    assert m.tile_at(5, 0) is None  # on a gap


def test_per_map_and_shared_scaling() -> None:
    maps = np.stack([np.linspace(0, 1, 16).reshape(4, 4), np.linspace(0, 10, 16).reshape(4, 4)])
    own = scale_unit(maps, shared=False)
    assert own[0].max() == pytest.approx(1.0)
    assert own[1].max() == pytest.approx(1.0)
    shared = scale_unit(maps, shared=True)
    assert shared[0].max() == pytest.approx(0.1)
    assert shared[1].max() == pytest.approx(1.0)
    assert np.all(np.isfinite(scale_unit(np.zeros((2, 3, 3)), shared=False)))  # flat maps


def test_mosaic_is_capped_and_roughly_landscape() -> None:
    rows, cols = grid_shape(32, 8, 8)
    assert rows * cols >= 32
    assert cols >= rows
    assert grid_shape(16, 10, 10) == (4, 4)  # a full square beats 4 rows of 5 with a gap
    m = feature_mosaic(np.random.rand(600, 3, 3), lookup_table(ACTIVATION_MAP), True, GAP)
    assert m.count == MAX_TILES


def test_rgb_kernels_become_colour_tiles_and_others_a_grid() -> None:
    rgb = np.zeros((4, 3, 5, 5), np.float32)
    rgb[0, 0] = 1.0  # kernel 0 looks for red
    m = kernel_mosaic(rgb, diverging_table(), shared=False, background=GAP)
    assert m.count == 4
    red, green, blue = (int(v) for v in m.image[2, 2])
    assert red > 200
    assert green < 150
    assert blue < 150
    grey = kernel_mosaic(np.random.randn(16, 6, 5, 5), diverging_table(), False, GAP)
    assert (grey.rows, grey.cols) == (6, 16)  # a column per filter, a row per input channel


def test_diverged_activations_draw_without_overflow() -> None:
    """A diverging run sends maps at float32's limits; drawing them must not warn or fail."""
    huge = np.finfo(np.float32).max
    maps = np.array([[[huge, -huge], [np.inf, np.nan]], [[1.0, 2.0], [3.0, 4.0]]], np.float32)
    assert strongest_map(maps).shape == (2, 2)
    unit = scale_unit(maps, shared=True)
    assert np.isfinite(unit).all()
    assert unit.min() >= 0.0
    assert unit.max() <= 1.0


def test_strongest_map_is_the_most_active_channel() -> None:
    maps = np.zeros((3, 4, 4))
    maps[1] = 2.0
    assert strongest_map(maps) is not None
    assert strongest_map(maps).mean() == 2.0


# ---- curves ----------------------------------------------------------------------------------
def test_history_places_batches_in_epoch_units_and_smooths() -> None:
    h = RunHistory()
    h.add_batches(_batches(1, 5, [2.0] * 5))
    h.add_batches(_batches(2, 3, [1.0, 1.0, 1.0]))
    assert list(h.batch_x.values) == pytest.approx([0.1, 0.2, 0.3, 0.4, 0.5, 1.1, 1.2, 1.3])
    assert h.smoothed.values[0] == pytest.approx(2.0)  # debiased: no pull towards zero
    assert 1.0 < h.smoothed.values[-1] < 2.0
    version = h.version
    h.add_epoch(_epoch(1, 0.9))
    assert h.version > version
    assert list(h.val_accuracy.values) == [90.0]


def test_history_grows_past_its_first_buffer() -> None:
    h = RunHistory()
    for epoch in range(1, 6):
        h.add_batches(_batches(epoch, 1000, list(np.linspace(2, 1, 1000)), per_epoch=1000))
    assert len(h.batch_loss) == 5000
    assert np.all(np.diff(h.batch_x.values) > 0)


@pytest.fixture
def curves(qtbot) -> CurvesView:
    h = RunHistory()
    for epoch in (1, 2, 3):
        h.add_batches(_batches(epoch, 10, list(np.linspace(2.0, 1.0, 10) / epoch)))
        h.add_epoch(_epoch(epoch, 0.3 * epoch))
    view = CurvesView(h)
    view.resize(600, 420)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    view.set_run_length(1, 3)
    view.refresh()
    return view


def test_curves_draw_every_series(curves) -> None:
    x, _ = curves.raw_loss.get_data()
    assert len(x) == 30
    assert len(curves.val_accuracy.get_data()[0]) == 3
    assert "val 90.00 %" in curves.summary.text()
    (x0, x1), (y0, y1) = curves.loss_plot.getPlotItem().viewRange()
    assert x0 <= 0.1
    assert x1 >= 3.0
    assert y0 <= 0.3
    assert y1 >= 2.0


def test_summary_shows_a_new_epoch_at_once_and_a_paused_loss_later(monkeypatch, curves) -> None:
    clock = [curves_module.time.monotonic() + 10.0]
    monkeypatch.setattr(curves_module.time, "monotonic", lambda: clock[0])
    h = curves.history
    curves.refresh()
    h.add_epoch(_epoch(4, 0.95))
    clock[0] += 0.1
    curves.refresh()
    assert "val 95.00 %" in curves.summary.text()  # an epoch's result is not held back
    h.add_batches(_batches(5, 10, [0.0001] * 10))
    latest = f"loss {h.smoothed.values[-1]:.4f}"
    clock[0] += 0.1
    curves.refresh()
    assert latest not in curves.summary.text()  # the loss figure waits its turn...
    clock[0] += curves_module.SUMMARY_INTERVAL_S
    curves.refresh()  # ...and comes with no new data (a paused run)
    assert latest in curves.summary.text()


def test_hover_names_the_values_under_the_mouse(qtbot, curves) -> None:
    box = curves.loss_plot.getPlotItem().vb
    scene_pos = box.mapViewToScene(QPointF(2.0, 1.0))
    widget_pos = curves.loss_plot.mapFromScene(scene_pos)
    qtbot.mouseMove(curves.loss_plot.viewport(), widget_pos)
    qtbot.waitUntil(lambda: bool(curves.loss_hover.text), timeout=2000)
    assert "epoch 2.0" in curves.loss_hover.text
    assert "validation: 0.6000" in curves.loss_hover.text
    assert curves.loss_hover.label.isVisible()


def test_log_scale_and_zoom_keep_the_users_view(qtbot, curves) -> None:
    curves.log_box.setChecked(True)
    assert curves.loss_plot.getPlotItem().ctrl.logYCheck.isChecked()
    (_, _), (y0, y1) = curves.loss_plot.getPlotItem().viewRange()
    assert y0 < 0 < y1  # log10 of losses around 0.1..2
    box = curves.loss_plot.getPlotItem().vb
    box.scaleBy((0.5, 0.5))
    box.sigRangeChangedManually.emit((True, True))
    assert not curves.following
    qtbot.mouseClick(curves.fit_button, Qt.MouseButton.LeftButton)
    assert curves.following


def test_curves_export_png_and_csv(curves, tmp_path) -> None:
    curves.export_png(tmp_path / "curves.png")
    image = QImage(str(tmp_path / "curves.png"))
    assert not image.isNull()
    assert image.width() > 100
    curves.export_epoch_csv(tmp_path / "epochs.csv")
    with open(tmp_path / "epochs.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [r["epoch"] for r in rows] == ["1", "2", "3"]
    curves.export_batch_csv(tmp_path / "batches.csv")
    with open(tmp_path / "batches.csv", encoding="utf-8") as f:
        lines = list(csv.reader(f))
    assert lines[0] == ["epoch_position", "loss", "smoothed_loss"]
    assert len(lines) == 31


# ---- confusion matrix ------------------------------------------------------------------------
def test_confusion_cells_show_counts_and_report_clicks(qtbot) -> None:
    view = ConfusionView()
    view.resize(420, 420)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    assert not view.widget.isVisible()  # no empty axes with meaningless numbers before epoch 1
    matrix = np.array([[5, 1, 0], [2, 3, 0], [0, 0, 4]])
    view.set_result(matrix, np.array([5 / 6, 3 / 5, 1.0]), ("a", "b", "c"), epoch=2)
    view.refresh()
    assert view.widget.isVisible()
    assert view.counts.texts[:3] == ["5", "1", ""]
    assert "12 of 15 validation images right" in view.caption.text()
    scene_pos = view.plot.vb.mapViewToScene(QPointF(0.5, 1.5))  # true b, predicted a
    with qtbot.waitSignal(view.cell_clicked) as clicked:
        qtbot.mouseClick(
            view.widget.viewport(),
            Qt.MouseButton.LeftButton,
            pos=view.widget.mapFromScene(scene_pos),
        )
    assert clicked.args == [1, 0]
    view.clear()
    assert not view.widget.isVisible()
