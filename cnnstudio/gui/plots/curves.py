"""Loss, accuracy and learning-rate curves of the current run.

Drawing cost is kept flat for long runs: one path item per series fed whole arrays, downsampled
to the visible range (``path_items``: Qt draws them in C++, so a repaint runs no Python), and no
pyqtgraph auto-range (measured: at 100k points auto-range is most of a ~14 ms update). Ranges
are set here instead, only when the data outgrows them, and not at all once the user has zoomed
or panned ("Fit" follows again).
"""

from __future__ import annotations

import csv
import math
import os
import time
from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QMenu,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from cnnstudio.gui.plots.history import RunHistory
from cnnstudio.gui.plots.hover import HoverReadout, Series
from cnnstudio.gui.plots.overlay import RunsKey, RunsOverlay
from cnnstudio.gui.plots.path_items import EpochCurve, PathCurve, PathLayer, cosmetic_pen
from cnnstudio.gui.plots.style import LiveText, plot_colours, style_plot, style_widget
from cnnstudio.gui.plots.views import PlotWidget
from cnnstudio.train.run_curves import RunCurves

_HEADROOM = 1.12  # y range above the highest value, so the curve does not touch the frame
_SHRINK = 0.6  # re-range y when the data uses less than this much of it
MIN_INTERVAL_S = 0.08
LR_INTERVAL_S = 1.0  # the learning rate moves slowly; its plot need not repaint with the loss
SUMMARY_INTERVAL_S = 0.5  # figures changing 10 times a second cannot be read; twice can
LEGEND_ALPHA = 210  # of 255: the legends' backdrop, the plot's own background colour
# Peak downsampling keeps each bin's min and max, so ~1.5 bins per pixel looks the same as
# every point and halves the segments drawn (pyqtgraph's default starts at 5 per pixel).
PEAKS_PER_PIXEL = 1.5
# The smoothed loss has no detail finer than a few batches: one averaged point per 3 pixels
# draws it just the same. (It is 1 px wide like the raw one: a 2 px line cost ~1.5 ms more
# per repaint in the raster engine; colour, not width, sets it apart.)
SMOOTH_PER_PIXEL = 1 / 3


class _RangeKeeper:
    """Sets a plot's y range when the data outgrows it (or shrinks well inside it)."""

    def __init__(self, plot: pg.PlotItem) -> None:
        self.plot = plot
        self.y: tuple[float, float] | None = None

    def fit_y(self, low: float, high: float, force: bool = False) -> None:
        if not (math.isfinite(low) and math.isfinite(high)):
            return
        if high <= low:
            high = low + 1.0
        span = high - low
        if not force and self.y is not None:
            y_low, y_high = self.y
            inside = low >= y_low and high <= y_high
            if inside and span >= _SHRINK * (y_high - y_low):
                return
        self.y = (low - 0.02 * span, low + span * _HEADROOM)
        self.plot.setYRange(*self.y, padding=0)


class CurvesView(QWidget):
    """Three plots (x in epochs): loss above accuracy, x-linked, learning rate beside them; log
    scale and export."""

    export_failed = Signal(str)

    def __init__(self, history: RunHistory, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("curvesView")
        self.setAutoFillBackground(True)  # opaque: a redraw stops here, not at the tabs
        self.history = history
        self.following = True
        self._drawn = self._lr_drawn = self._summarised = -1  # history versions shown
        self._drawn_at = self._lr_drawn_at = self._summary_at = 0.0
        self._batches_drawn = self._epochs_drawn = -1
        self._x_start, self._x_end = 0.0, 1.0

        self.log_box = QCheckBox("Log scale")
        self.log_box.setObjectName("logScaleBox")
        self.log_box.setToolTip("Show loss and learning rate on a logarithmic axis")
        self.log_box.toggled.connect(self.set_log_scale)
        self.fit_button = QToolButton()
        self.fit_button.setObjectName("fitCurvesButton")
        self.fit_button.setText("Fit")
        self.fit_button.setToolTip("Show the whole run again and follow it as it grows")
        self.fit_button.clicked.connect(self.follow)
        self.export_button = QToolButton()
        self.export_button.setObjectName("exportCurvesButton")
        self.export_button.setText("Export")
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.export_button)
        menu.addAction("Plots as PNG…", self._ask_png)
        menu.addAction("Epoch metrics as CSV…", self._ask_epoch_csv)
        menu.addAction("Batch losses as CSV…", self._ask_batch_csv)
        self.export_button.setMenu(menu)
        self.summary = LiveText()
        self.summary.setObjectName("curvesSummary")
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(self.summary, 1)
        bar.addWidget(self.log_box)
        bar.addWidget(self.fit_button)
        bar.addWidget(self.export_button)

        self.loss_plot = self._plot("lossPlot", "Loss")
        self.accuracy_plot = self._plot("accuracyPlot", "Accuracy (%)")
        self.lr_plot = self._plot("lrPlot", "lr")
        lp, ap, rp = (w.getPlotItem() for w in (self.loss_plot, self.accuracy_plot, self.lr_plot))
        self.legends = (  # coloured, like the curves, by retheme()
            lp.addLegend(offset=(-8, 8), colCount=2),
            ap.addLegend(offset=(-8, -8), colCount=2),
        )
        c = plot_colours()  # the curves are coloured by retheme(), below
        self.layers = tuple(PathLayer(p, c.muted, c.grid_alpha) for p in (lp, ap, rp))
        loss_layer, accuracy_layer, lr_layer = self.layers
        self.raw_loss = loss_layer.add(PathCurve("peak", PEAKS_PER_PIXEL))
        self.smooth_loss = loss_layer.add(PathCurve("mean", SMOOTH_PER_PIXEL))
        self.train_loss = loss_layer.add(EpochCurve("o"))
        self.val_loss = loss_layer.add(EpochCurve("s"))
        self.train_accuracy = accuracy_layer.add(EpochCurve("o"))
        self.val_accuracy = accuracy_layer.add(EpochCurve("s"))
        self.lr_curve = lr_layer.add(PathCurve("mean", SMOOTH_PER_PIXEL))
        for legend, entries in (
            (self.legends[0], ((self.raw_loss, "batch"), (self.smooth_loss, "smoothed"))),
            (self.legends[0], ((self.train_loss, "train"), (self.val_loss, "val"))),
            (self.legends[1], ((self.train_accuracy, "train"), (self.val_accuracy, "val"))),
        ):
            for item, name in entries:
                legend.addItem(item, name)
        self.runs_key = RunsKey()
        self._live_label: str | None = None
        self.overlay = RunsOverlay(loss_layer, accuracy_layer, self.runs_key)
        self.retheme()
        ap.setYRange(0, 100, padding=0.02)
        # Loss above accuracy at the same width and axis width: linked, the epochs line up. Each
        # labels its epochs, which also keeps the loss's 0 clear of the accuracy's 100.
        ap.setXLink(lp)
        ap.setLabel("bottom", "epoch")
        rp.setLabel("bottom", "epoch")
        rp.getAxis("left").setWidth(None)  # alone in its column: as wide as "lr" and 0.00025 need
        self._loss_range = _RangeKeeper(lp)
        self._lr_range = _RangeKeeper(rp)
        h = history
        self.loss_hover = HoverReadout(lp, lambda: self._loss_series())
        self.accuracy_hover = HoverReadout(
            ap,
            lambda: (
                ("train", h.epoch_x.values, h.train_accuracy.values, ".2f"),
                ("validation", h.epoch_x.values, h.val_accuracy.values, ".2f"),
            ),
        )
        self.lr_hover = HoverReadout(rp, lambda: (("lr", h.lr_x.values, h.lr.values, ".3g"),))

        self.plots = QWidget()
        column = QVBoxLayout()
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.loss_plot, 3)
        column.addWidget(self.accuracy_plot, 2)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addLayout(column, 3)
        row.addWidget(self.lr_plot, 2)
        self.plots.setLayout(row)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.addLayout(bar)
        layout.addWidget(self.runs_key)
        layout.addWidget(self.plots, 1)

    def retheme(self) -> None:
        """Colour the curves and legends in the current theme (also at a light/dark switch)."""
        c = plot_colours()
        self.raw_loss.set_pen(cosmetic_pen(c.raw))
        self.smooth_loss.set_pen(cosmetic_pen(c.smooth))
        self.lr_curve.set_pen(cosmetic_pen(c.lr, 1.5))
        # One point per epoch, joined: few points, so markers show each epoch.
        for item, colour in (
            (self.train_loss, c.train),
            (self.val_loss, c.val),
            (self.train_accuracy, c.train),
            (self.val_accuracy, c.val),
        ):
            item.set_pen(cosmetic_pen(colour, 2))
            item.set_brush(colour)
        for layer in self.layers:
            layer.grid.set_colour(c.muted, c.grid_alpha)
        if self._live_label is not None:  # the key shows the live run in its curves' colour
            self.overlay.set_runs(self.overlay.runs, (c.val, self._live_label))
        backdrop = QColor(c.background)
        backdrop.setAlpha(LEGEND_ALPHA)  # the names stay legible over curves that run under them
        for legend in self.legends:
            legend.setBrush(backdrop)
            legend.setLabelTextColor(c.foreground)
            for _, label in legend.items:  # setLabelTextColor keeps the old colour on screen
                label.setText(label.text)

    def _plot(self, name: str, label: str) -> pg.PlotWidget:
        widget = PlotWidget()
        widget.setObjectName(name)
        # Plain decimals (0.003), not "3" with a "(x0.001)" prefix in the label.
        widget.getPlotItem().getAxis("left").enableAutoSIPrefix(False)
        widget.setMinimumHeight(60)
        style_widget(widget)
        plot = widget.getPlotItem()
        style_plot(plot)
        plot.setLabel("left", label)
        plot.getAxis("left").setWidth(52)
        plot.hideButtons()
        plot.disableAutoRange()
        plot.setMenuEnabled(False)
        plot.getViewBox().sigRangeChangedManually.connect(self._user_moved)
        return widget

    def _loss_series(self) -> Sequence[Series]:
        h = self.history
        return (
            ("batch", h.batch_x.values, h.batch_loss.values, ".4f"),
            ("smoothed", h.batch_x.values, h.smoothed.values, ".4f"),
            ("train", h.epoch_x.values, h.train_loss.values, ".4f"),
            ("validation", h.epoch_x.values, h.val_loss.values, ".4f"),
        )

    # ---- drawing ---------------------------------------------------------------------------
    def set_run_length(self, first_epoch: int, epochs: int) -> None:
        """The x extent of the run (known at its start), so the curves fill it left to right."""
        self._x_end = float(max(epochs, 1))
        self._x_start = float(max(first_epoch - 1, 0))
        if self.following:
            self._apply_x()

    def compare(self, runs: Sequence[RunCurves], live_label: str | None) -> None:
        """Overlay other runs' epoch curves (none: stop comparing); ``live_label`` names the
        run drawn live when it is one of the compared runs."""
        self._live_label = live_label
        live = (plot_colours().val, live_label) if live_label is not None else None
        self.overlay.set_runs(runs, live)
        if self.following:
            self._apply_x()
            self._fit_y(force=True)

    def _apply_x(self) -> None:
        """The same epochs on every plot. Loss and accuracy are also x-linked (one above the
        other); the lr plot is not: setXLink aligns by screen position, which would shift a plot
        of another width."""
        start = min(self._x_start, self._first_x())
        end = max(self._x_end, self.overlay.x_end())
        for widget in (self.loss_plot, self.accuracy_plot, self.lr_plot):
            widget.getPlotItem().setXRange(start, end, padding=0.01)

    def _first_x(self) -> float:
        xs = self.history.batch_x.values
        return float(max(math.floor(xs[0]), 0)) if len(xs) else 0.0

    def clear(self) -> None:
        self._drawn = self._batches_drawn = self._epochs_drawn = -1
        self._lr_drawn = self._summarised = -1
        self.follow()
        self.refresh(force=True)  # blank at once, not at the next run's first report

    def refresh(self, force: bool = False) -> None:
        """Redraw what changed since the last call, at most every ``MIN_INTERVAL_S`` (the
        batch curves change with every report; redrawing them faster shows nothing more). The
        lr curve and the summary change slower; they catch up once due, even when no new data
        comes (a paused run)."""
        h = self.history
        now = time.monotonic()
        if not force and now - self._drawn_at < MIN_INTERVAL_S:
            return
        new_epoch = False
        if h.version != self._drawn:
            self._drawn, self._drawn_at = h.version, now
            if len(h.batch_x) != self._batches_drawn or len(h.batch_x) == 0:
                self._batches_drawn = len(h.batch_x)
                self.raw_loss.set_data(h.batch_x.values, h.batch_loss.values)
                self.smooth_loss.set_data(h.batch_x.values, h.smoothed.values)
            if len(h.epoch_x) != self._epochs_drawn or len(h.epoch_x) == 0:
                new_epoch = True
                self._epochs_drawn = len(h.epoch_x)
                self.train_loss.set_data(h.epoch_x.values, h.train_loss.values)
                self.val_loss.set_data(h.epoch_x.values, h.val_loss.values)
                self.train_accuracy.set_data(h.epoch_x.values, h.train_accuracy.values)
                self.val_accuracy.set_data(h.epoch_x.values, h.val_accuracy.values)
            if self.following:
                self._fit_y()
        if self._lr_drawn != h.version and (force or now - self._lr_drawn_at >= LR_INTERVAL_S):
            self._lr_drawn, self._lr_drawn_at = h.version, now
            self.lr_curve.set_data(h.lr_x.values, h.lr.values)
        if self._summarised != h.version and (
            force or new_epoch or now - self._summary_at >= SUMMARY_INTERVAL_S
        ):
            self._summarised, self._summary_at = h.version, now
            self._update_summary()

    def _update_summary(self) -> None:
        h = self.history
        parts = []
        if len(h.smoothed):
            parts.append(f"loss {h.smoothed.values[-1]:.4f}")
        elif len(h.val_loss):  # epochs read back from a run folder have no batch losses
            parts.append(f"val loss {h.val_loss.values[-1]:.4f}")
        if len(h.val_accuracy):
            best = int(np.argmax(h.val_accuracy.values))
            parts.append(f"val {h.val_accuracy.values[-1]:.2f} %")
            parts.append(
                f"best {h.val_accuracy.values[best]:.2f} % (ep. {h.epoch_x.values[best]:.0f})"
            )
        self.summary.setText(" · ".join(parts))

    def _fit_y(self, force: bool = False) -> None:
        h = self.history
        log = self.log_box.isChecked()
        tops = [a.values for a in (h.smoothed, h.train_loss, h.val_loss) if len(a)]
        compared = self.overlay.loss_high()
        if compared is not None:
            tops.append(np.array([compared]))
        if tops:
            if log:
                raw = h.batch_loss.values
                positive = raw[raw > 0]
                low = float(positive.min()) if positive.size else 1e-3
                high = max(float(np.max(raw, initial=0.0)), max(float(t.max()) for t in tops))
                self._loss_range.fit_y(math.log10(low), math.log10(max(high, low * 1.01)), force)
            else:
                high = max(float(t.max()) for t in tops)
                self._loss_range.fit_y(0.0, high, force)
        if len(h.lr):
            lr = h.lr.values
            if log:
                positive = lr[lr > 0]
                if positive.size:
                    self._lr_range.fit_y(
                        math.log10(positive.min()), math.log10(positive.max() * 1.01), force
                    )
            else:
                self._lr_range.fit_y(0.0, float(lr.max()), force)

    # ---- interaction -----------------------------------------------------------------------
    def _user_moved(self, *_: object) -> None:
        self.following = False

    def follow(self) -> None:
        """Show the whole run and keep doing so as it grows."""
        self.following = True
        self._apply_x()
        self.accuracy_plot.getPlotItem().setYRange(0, 100, padding=0.02)
        self._fit_y(force=True)

    def set_log_scale(self, on: bool) -> None:
        for widget in (self.loss_plot, self.lr_plot):
            widget.getPlotItem().setLogMode(y=on)
        self._fit_y(force=True)

    # ---- export ----------------------------------------------------------------------------
    def export_png(self, path: str | os.PathLike[str]) -> None:
        if not self.plots.grab().save(os.fspath(path), "PNG"):
            raise OSError(f"{path}: cannot write the image")

    def export_epoch_csv(self, path: str | os.PathLike[str]) -> None:
        rows = self.history.rows
        columns = list(rows[0]) if rows else ["epoch"]
        with open(path, "w", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=columns)
            writer.writeheader()
            writer.writerows(rows)

    def export_batch_csv(self, path: str | os.PathLike[str]) -> None:
        h = self.history
        with open(path, "w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["epoch_position", "loss", "smoothed_loss"])
            for x, loss, smooth in zip(
                h.batch_x.values, h.batch_loss.values, h.smoothed.values, strict=True
            ):
                writer.writerow([f"{x:.6f}", f"{loss:.6g}", f"{smooth:.6g}"])

    def _ask(self, title: str, name: str, kind: str, write: object) -> None:
        path, _ = QFileDialog.getSaveFileName(self, title, name, kind)
        if not path:
            return
        try:
            write(path)  # type: ignore[operator]
        except OSError as exc:
            self.export_failed.emit(f"Cannot export to {path}: {exc.strerror or exc}")

    def _ask_png(self) -> None:
        self._ask("Export Plots", "training-curves.png", "PNG images (*.png)", self.export_png)

    def _ask_epoch_csv(self) -> None:
        self._ask("Export Epoch Metrics", "epochs.csv", "CSV files (*.csv)", self.export_epoch_csv)

    def _ask_batch_csv(self) -> None:
        self._ask(
            "Export Batch Losses", "batch-losses.csv", "CSV files (*.csv)", self.export_batch_csv
        )
