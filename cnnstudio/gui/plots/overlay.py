"""Other runs' epoch curves drawn over the live ones, for comparing runs: one colour per run.

Each compared run has a solid validation and a dashed training line in the loss and accuracy
plots, and one legend entry (its run name) in the loss plot's legend. Items are kept in a pool
and reused: selecting other runs only hands new arrays to path items (Qt draws them in C++) and
renames legend entries, so a redraw of ten runs stays within a frame.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from cnnstudio.gui.plots.path_items import PathCurve, PathLayer, cosmetic_pen
from cnnstudio.gui.plots.style import RUN_COLOURS
from cnnstudio.train.run_curves import RunCurves

_EMPTY = np.zeros(0)


class _ValCurve(PathCurve):
    """A run's validation line; hiding it from the legend hides its training line too."""

    def __init__(self, partner: PathCurve) -> None:
        super().__init__("mean", 1.0)
        self.partner = partner

    def setVisible(self, visible: bool) -> None:  # called by the legend's click on the sample
        super().setVisible(visible)
        self.partner.setVisible(visible)


class _Slot:
    """The four lines of one compared run (loss and accuracy, train and validation)."""

    def __init__(self, loss: PathLayer, accuracy: PathLayer) -> None:
        self.train_loss = loss.add(PathCurve("mean", 1.0))
        self.val_loss = loss.add(_ValCurve(self.train_loss))
        self.train_accuracy = accuracy.add(PathCurve("mean", 1.0))
        self.val_accuracy = accuracy.add(_ValCurve(self.train_accuracy))
        self.name: str | None = None  # the legend entry's text, None: not in the legend

    def lines(self) -> tuple[PathCurve, ...]:
        return (self.train_loss, self.val_loss, self.train_accuracy, self.val_accuracy)

    def colour(self, colour: str) -> None:
        solid = cosmetic_pen(colour, 2)
        dashed = cosmetic_pen(QColor(colour), 1)
        dashed.setStyle(Qt.PenStyle.DashLine)
        for item, pen in (
            (self.train_loss, dashed),
            (self.val_loss, solid),
            (self.train_accuracy, dashed),
            (self.val_accuracy, solid),
        ):
            item.set_pen(pen)

    def show(self, run: RunCurves | None) -> None:
        if run is None:
            for item in self.lines():
                item.set_data(_EMPTY, _EMPTY)
                item.setVisible(False)
            return
        x = run.epoch
        self.train_loss.set_data(x, run.train_loss)
        self.val_loss.set_data(x, run.val_loss)
        self.train_accuracy.set_data(x, 100.0 * run.train_accuracy)
        self.val_accuracy.set_data(x, 100.0 * run.val_accuracy)
        self.val_loss.setVisible(True)  # shows its training partner too
        self.val_accuracy.setVisible(True)


class RunsOverlay:
    """The compared runs in the loss and accuracy plots, named in ``legend``."""

    def __init__(self, loss: PathLayer, accuracy: PathLayer, legend: pg.LegendItem) -> None:
        self.loss, self.accuracy, self.legend = loss, accuracy, legend
        self.slots: list[_Slot] = []
        self.runs: tuple[RunCurves, ...] = ()
        self.live_label: str | None = None  # the legend entry of the live run, when compared

    @property
    def names(self) -> list[str]:
        """The legend's run entries, in order (the live run's last)."""
        names = [s.name for s in self.slots if s.name is not None]
        return names + ([self.live_label] if self.live_label else [])

    def set_runs(
        self, runs: Sequence[RunCurves], live_label: str | None, live_item: PathCurve
    ) -> None:
        """Draw ``runs`` and name them in the legend, the live run (``live_item``) last as
        ``live_label`` when it is compared too."""
        self.runs = tuple(runs)
        while len(self.slots) < len(self.runs):
            slot = _Slot(self.loss, self.accuracy)
            slot.colour(RUN_COLOURS[len(self.slots) % len(RUN_COLOURS)])
            self.slots.append(slot)
        for i, slot in enumerate(self.slots):
            slot.show(self.runs[i] if i < len(self.runs) else None)
        names = [r.name for r in self.runs]
        named = [s for s in self.slots if s.name is not None]
        if len(named) == len(names) and live_label == self.live_label:
            for slot, name in zip(named, names, strict=True):  # the same entries, renamed
                self._label(slot.val_loss).setText(name)
                slot.name = name
            return
        for slot in named:  # entries come and go: lay the legend out again, in order
            self.legend.removeItem(slot.val_loss)
            slot.name = None
        if self.live_label is not None:
            self.legend.removeItem(self.live_label)  # by its text: the item also reads "val"
        for slot, name in zip(self.slots, names, strict=False):
            self.legend.addItem(slot.val_loss, name)
            slot.name = name
        self.live_label = live_label
        if live_label is not None:
            self.legend.addItem(live_item, live_label)

    def x_end(self) -> float:
        """The last epoch of the longest compared run (0 without runs)."""
        ends = [float(r.epoch[-1]) for r in self.runs if len(r)]
        return max(ends, default=0.0)

    def loss_high(self) -> float | None:
        """The highest loss of the compared runs, for the loss plot's range."""
        values = [
            float(np.nanmax(a))
            for r in self.runs
            for a in (r.train_loss, r.val_loss)
            if np.isfinite(a).any()
        ]
        return max(values, default=None)

    def _label(self, item: PathCurve) -> pg.LabelItem:
        return next(label for sample, label in self.legend.items if sample.item is item)
