"""Other runs' epoch curves drawn over the live ones, for comparing runs: one colour per run.

Each compared run has a solid validation and a dashed training line in the loss and accuracy
plots, and is named in a key above the plots (run names are long: inside a plot a legend of
several would hide the curves); a click on a run's name there hides its lines, another shows
them again. Items are kept in a pool and reused: selecting other runs only
hands new arrays to path items (Qt draws them in C++), so a redraw of ten runs stays within a
frame.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QResizeEvent
from PySide6.QtWidgets import QLabel

from cnnstudio.gui.plots.path_items import PathCurve, PathLayer, cosmetic_pen
from cnnstudio.gui.plots.style import RUN_COLOURS
from cnnstudio.train.run_curves import RunCurves

_EMPTY = np.zeros(0)


class _Slot:
    """The four lines of one compared run (loss and accuracy, train and validation)."""

    def __init__(self, loss: PathLayer, accuracy: PathLayer, colour: str) -> None:
        self.train_loss = loss.add(PathCurve("mean", 1.0))
        self.val_loss = loss.add(PathCurve("mean", 1.0))
        self.train_accuracy = accuracy.add(PathCurve("mean", 1.0))
        self.val_accuracy = accuracy.add(PathCurve("mean", 1.0))
        self.run: RunCurves | None = None
        self.colour = colour
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

    def show(self, run: RunCurves | None, visible: bool = True) -> None:
        self.run = run
        if run is None or not visible:
            for item in self.lines():
                item.set_data(_EMPTY, _EMPTY)
                item.setVisible(False)
            return
        x = run.epoch
        self.train_loss.set_data(x, run.train_loss)
        self.val_loss.set_data(x, run.val_loss)
        self.train_accuracy.set_data(x, 100.0 * run.train_accuracy)
        self.val_accuracy.set_data(x, 100.0 * run.val_accuracy)
        for item in self.lines():
            item.setVisible(True)


class RunsKey(QLabel):
    """Names the compared runs in their colours (hidden while none is compared). A compared
    run's name is a link: ``toggled(index)`` asks to hide or show that run's lines."""

    toggled = Signal(int)

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("runsKey")
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.LinksAccessibleByMouse)
        self.setToolTip(
            "Compared runs: validation solid, training dashed. Click a run to hide or show it."
        )
        self.linkActivated.connect(lambda link: self.toggled.emit(int(link)))
        self.names: list[str] = []
        self.hide()

    def set_entries(
        self, entries: Sequence[tuple[str, str]], hidden: Sequence[bool] = (), live: int = 0
    ) -> None:
        """``(colour, run name)`` pairs, in order, the last ``live`` of them plain text (the
        live run: not a compared run to hide), a ``hidden`` one struck through; the same again
        changes nothing (no layout)."""
        links = len(entries) - live
        parts = []
        for i, (colour, name) in enumerate(entries):
            line = f'<span style="color:{colour}">&#9473;&#9473;</span>&nbsp;{html.escape(name)}'
            if i < len(hidden) and hidden[i]:
                line = f"<s>{line}</s>"
            if i < links:
                line = f'<a href="{i}" style="text-decoration:none;color:inherit">{line}</a>'
            parts.append(line)
        text = "&nbsp;&nbsp; ".join(parts)
        if text == self.text() and self.isHidden() != bool(entries):
            return
        self.names = [name for _, name in entries]
        self.setText(text)
        self.setVisible(bool(entries))
        self._fit_height()

    def hasHeightForWidth(self) -> bool:
        """No: inside the dashboard's scroll area a height-for-width child makes the whole
        curves view as tall as the plots would like, and scroll. The height follows the width
        in ``resizeEvent`` instead."""
        return False

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_height()

    def _fit_height(self) -> None:
        fixed = self.minimumHeight()
        self.setMinimumHeight(0)  # QLabel's height for a width never goes below its minimum
        height = self.heightForWidth(max(self.width(), 1))
        self.setFixedHeight(height if height > 0 else fixed)


class RunsOverlay:
    """The compared runs in the loss and accuracy plots, named in ``key``. A run keeps its
    colour, and stays hidden once hidden from the key, while it stays selected."""

    def __init__(self, loss: PathLayer, accuracy: PathLayer, key: RunsKey) -> None:
        self.loss, self.accuracy, self.key = loss, accuracy, key
        self.slots: list[_Slot] = []
        self.runs: tuple[RunCurves, ...] = ()
        self.hidden: set[Path] = set()
        self._live: tuple[str, str] | None = None
        key.toggled.connect(self.toggle)

    def set_runs(self, runs: Sequence[RunCurves], live: tuple[str, str] | None = None) -> None:
        """Draw ``runs`` and name them, then the live run's ``(colour, label)`` when it is one
        of the compared runs (its own curves are drawn already)."""
        self.runs = tuple(runs)
        self._live = live
        wanted = {r.path: r for r in self.runs}
        self.hidden &= wanted.keys()
        free = []
        for slot in self.slots:  # a run still selected keeps its slot, and so its colour
            run = wanted.pop(slot.run.path, None) if slot.run is not None else None
            if run is None:
                free.append(slot)
            slot.show(run, run is not None and run.path not in self.hidden)
        for run in wanted.values():
            if not free:
                colour = RUN_COLOURS[len(self.slots) % len(RUN_COLOURS)]
                free.append(_Slot(self.loss, self.accuracy, colour))
                self.slots.append(free[-1])
            free.pop(0).show(run, run.path not in self.hidden)
        self._name_runs()

    def toggle(self, index: int) -> None:
        """Hide the ``index``-th compared run's lines, or show them again."""
        if not 0 <= index < len(self.runs):
            return
        run = self.runs[index]
        self.hidden ^= {run.path}
        for slot in self.slots:
            if slot.run is not None and slot.run.path == run.path:
                slot.show(run, run.path not in self.hidden)
        self._name_runs()

    def _name_runs(self) -> None:
        by_path = {s.run.path: s for s in self.slots if s.run is not None}
        entries = [(by_path[r.path].colour, r.name) for r in self.runs]
        hidden = [r.path in self.hidden for r in self.runs]
        live = [self._live] if self._live is not None else []
        self.key.set_entries(entries + live, hidden, len(live))

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
