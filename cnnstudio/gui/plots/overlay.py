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

from cnnstudio.gui.plots.path_items import EpochCurve, PathCurve, PathLayer, cosmetic_pen
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

    def __init__(self, loss: PathLayer, accuracy: PathLayer, colour: str) -> None:
        self.train_loss = loss.add(PathCurve("mean", 1.0))
        self.val_loss = loss.add(_ValCurve(self.train_loss))
        self.train_accuracy = accuracy.add(PathCurve("mean", 1.0))
        self.val_accuracy = accuracy.add(_ValCurve(self.train_accuracy))
        self.run: RunCurves | None = None
        # 1 px lines (width 0): a wider pen costs ~3 ms more per repaint of 40 lines.
        solid = cosmetic_pen(colour)
        dashed = cosmetic_pen(QColor(colour))
        dashed.setStyle(Qt.PenStyle.DashLine)
        for train, val in (
            (self.train_loss, self.val_loss),
            (self.train_accuracy, self.val_accuracy),
        ):
            train.set_pen(dashed)
            val.set_pen(solid)

    def lines(self) -> tuple[PathCurve, ...]:
        return (self.train_loss, self.val_loss, self.train_accuracy, self.val_accuracy)

    def show(self, run: RunCurves | None) -> None:
        self.run = run
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
    """The compared runs in the loss and accuracy plots, named in ``legend`` after the entries
    it already has. A run keeps its colour while it stays selected."""

    def __init__(self, loss: PathLayer, accuracy: PathLayer, legend: pg.LegendItem) -> None:
        self.loss, self.accuracy, self.legend = loss, accuracy, legend
        self.slots: list[_Slot] = []
        self.runs: tuple[RunCurves, ...] = ()
        self.names: list[str] = []  # the legend's run entries, in order (the live run's last)
        self._base = len(legend.items)  # the entries of the live run's own curves
        self._live = _LiveEntry()

    def set_runs(
        self, runs: Sequence[RunCurves], live_label: str | None, live_item: EpochCurve
    ) -> None:
        """Draw ``runs`` and name them in the legend, the live run (``live_item``) last as
        ``live_label`` when it is compared too."""
        self.runs = tuple(runs)
        wanted = {r.path: r for r in self.runs}
        free = []
        for slot in self.slots:  # a run still selected keeps its slot, and so its colour
            run = wanted.pop(slot.run.path, None) if slot.run is not None else None
            if run is None:
                free.append(slot)
            slot.show(run)
        for run in wanted.values():
            if not free:
                colour = RUN_COLOURS[len(self.slots) % len(RUN_COLOURS)]
                free.append(_Slot(self.loss, self.accuracy, colour))
                self.slots.append(free[-1])
            free.pop(0).show(run)
        self._name(live_label, live_item)

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

    def _name(self, live_label: str | None, live_item: EpochCurve) -> None:
        """The legend's run entries in the order the runs were given; renamed in place, and
        laid out anew only when their number changes (an entry added costs a layout)."""
        by_path = {s.run.path: s for s in self.slots if s.run is not None}
        entries: list[tuple[PathCurve, str]] = [
            (by_path[r.path].val_loss, r.name) for r in self.runs
        ]
        if live_label is not None:
            self._live.follow(live_item)
            entries.append((self._live, live_label))
        names = [name for _, name in entries]
        if names == self.names:
            return
        shown = self.legend.items[self._base :]
        if len(shown) == len(entries):  # as many entries: point them at other runs, in place
            for (sample, label), (item, name) in zip(shown, entries, strict=True):
                if sample.item is not item:
                    sample.item = item
                    sample.update()
                if label.text != name:
                    label.setText(name)
            self.names = names
            return
        for sample, _ in shown:
            self.legend.removeItem(sample.item)
        for item, name in entries:
            self.legend.addItem(item, name)
        self.names = names


class _LiveEntry(EpochCurve):
    """The live run's legend sample when it is compared: its validation curve's look, and a
    click on it hides that curve (the curve itself already has its "val" entry)."""

    def __init__(self) -> None:
        super().__init__("s")
        self.item: EpochCurve | None = None

    def follow(self, item: EpochCurve) -> None:
        self.item = item
        self.set_pen(item.pen())
        self.set_brush(item.markers.brush().color())

    def setVisible(self, visible: bool) -> None:
        super().setVisible(visible)
        if self.item is not None:
            self.item.setVisible(visible)
