"""The Settings tab's learning-rate finder: the range test run off the GUI thread, plotted live.

``find_lr`` (``train/lr_find.py``, the CLI's ``lr-find``) trains a throw-away copy of the
freshly initialised network, so the project, its weights and any optimizer state stay as they
were. It runs in a QThread, not in the training process: it is one short sweep that writes
nothing, and torch is imported only once the user asks for it, so the editor starts without it.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, QThread, QTimer, Signal
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cnnstudio.core.errors import CnnStudioError
from cnnstudio.core.project import Project
from cnnstudio.gui.gc_guard import gui_thread_collector
from cnnstudio.gui.plots.style import plot_colours, style_plot, style_widget
from cnnstudio.gui.plots.views import PlotWidget
from cnnstudio.gui.threads import back_to_gui_thread
from cnnstudio.train.data.errors import DatasetError

REDRAW_MS = 100  # the curve is redrawn from the buffers at 10 Hz, not once per step
PROGRESS_STEPS = 1000
CLIP_ABOVE_START = 1.5


class LrSearch(QObject):
    """Runs ``find_lr`` on a project snapshot in a worker thread; ``cancelled`` stops it at the
    next step."""

    sweep = Signal(float, float)  # the lr the sweep starts and would end at
    point = Signal(float, float)  # lr, smoothed loss after that step
    done = Signal(object, str)  # the suggested lr (None: none) and what to tell the user

    def __init__(self, project: Project) -> None:
        super().__init__()
        self.project = project
        self.cancelled = False

    def run(self) -> None:
        try:
            self._run()
        finally:  # back to the GUI thread, where deleteLater can reach it once this one ends
            back_to_gui_thread(self)

    def _run(self) -> None:
        try:
            from cnnstudio.train import lr_find  # torch comes with it: only when asked

            self.sweep.emit(lr_find.START_LR, lr_find.END_LR)
            finding = lr_find.find_lr(
                self.project, progress=self.point.emit, cancel=lambda: self.cancelled
            )
        except (CnnStudioError, DatasetError) as exc:
            self.done.emit(None, f"Cannot run the range test: {exc}")
            return
        except Exception as exc:  # a fault of the network or the data: say it, keep the editor
            self.done.emit(None, f"The range test failed: {type(exc).__name__}: {exc}")
            return
        steps = len(finding.lrs)
        if self.cancelled:
            self.done.emit(None, f"Cancelled after {steps} steps")
        elif finding.suggested_lr is None:
            self.done.emit(None, f"No suggestion: the loss did not fall steadily ({steps} steps)")
        else:
            self.done.emit(
                finding.suggested_lr,
                f"Suggested lr {finding.suggested_lr:.3g}: where the smoothed loss falls "
                f"fastest ({steps} steps)",
            )


class LrFinderDialog(QDialog):
    """Plots the sweep of ``project`` as it runs; ``use_lr(lr)`` when the user takes the
    suggestion. Closing it cancels the sweep and waits for its thread."""

    use_lr = Signal(float)

    def __init__(self, project: Project, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lrFinder")
        self.setWindowTitle("Find learning rate")
        self.lrs: list[float] = []
        self.losses: list[float] = []
        self.suggested: float | None = None
        self._span = (1e-7, 10.0)
        self._drawn = 0
        colours = plot_colours()
        self.plot = PlotWidget()
        self.plot.setObjectName("lrFinderPlot")
        style_widget(self.plot, colours)
        item = self.plot.getPlotItem()
        style_plot(item, colours)
        item.setLogMode(x=True, y=False)
        item.setLabel("bottom", "learning rate")
        item.setLabel("left", "smoothed training loss")
        self.curve = item.plot(pen=pg.mkPen(colours.smooth, width=2))
        self.marker = pg.InfiniteLine(angle=90, pen=pg.mkPen(colours.good, width=2))
        self.marker.hide()
        item.addItem(self.marker)
        self.progress = QProgressBar()
        self.progress.setObjectName("lrFinderProgress")
        self.progress.setRange(0, PROGRESS_STEPS)
        self.status = QLabel("Loading the data…")
        self.status.setObjectName("lrFinderStatus")
        self.status.setWordWrap(True)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("lrFinderCancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.use_button = QPushButton("Use it")
        self.use_button.setObjectName("lrFinderUse")
        self.use_button.setToolTip("Set the training learning rate to the suggestion (undoable)")
        self.use_button.setEnabled(False)
        self.use_button.clicked.connect(self._use)
        close = QPushButton("Close")
        close.setObjectName("lrFinderClose")
        close.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.progress, 1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.use_button)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        self.resize(640, 420)
        self.timer = QTimer(self)
        self.timer.setInterval(REDRAW_MS)
        self.timer.timeout.connect(self._redraw)

        self.search = LrSearch(project)
        self.worker_thread = QThread(self)
        self.search.moveToThread(self.worker_thread)
        self.worker_thread.started.connect(self.search.run)
        self.search.sweep.connect(self._sweep)
        self.search.point.connect(self._point)
        self.search.done.connect(self._done)
        self.search.done.connect(self.worker_thread.quit)
        self.worker_thread.finished.connect(self._ended)
        gui_thread_collector().hold()  # the sweep allocates; see gui.gc_guard
        self._held = True
        self.worker_thread.start()
        self.timer.start()

    @property
    def running(self) -> bool:
        return self._held

    def _sweep(self, start: float, end: float) -> None:
        self._span = (start, end)
        self.status.setText("Training a throw-away copy while the lr grows…")

    def _point(self, lr: float, loss: float) -> None:
        self.lrs.append(lr)
        self.losses.append(loss)
        start, end = self._span
        self.progress.setValue(round(PROGRESS_STEPS * math.log(lr / start) / math.log(end / start)))

    def _redraw(self) -> None:
        if len(self.lrs) != self._drawn:
            self._drawn = len(self.lrs)
            self.curve.setData(np.asarray(self.lrs), np.asarray(self.losses))
            # the blow-up at the end would flatten the part that matters: show up to 1.5 times
            # the starting loss (the mouse can still zoom out)
            low, high = min(self.losses), max(self.losses)
            top = min(high, CLIP_ABOVE_START * self.losses[0])
            self.plot.getPlotItem().setYRange(low, max(top, low + 1e-6), padding=0.05)

    def _done(self, suggested: float | None, message: str) -> None:
        self._redraw()
        self.timer.stop()
        self.status.setText(message)
        self.suggested = suggested
        if suggested is not None:
            self.marker.setPos(math.log10(suggested))
            self.marker.show()
            self.use_button.setText(f"Use lr {suggested:.3g}")
            self.use_button.setEnabled(True)

    def _ended(self) -> None:
        if not self._held:
            return
        self._held = False
        gui_thread_collector().release()
        self.search.deleteLater()
        self.cancel_button.setEnabled(False)
        if self.suggested is not None:
            self.progress.setValue(PROGRESS_STEPS)

    def cancel(self) -> None:
        self.search.cancelled = True
        self.cancel_button.setEnabled(False)
        self.status.setText("Cancelling…")

    def stop(self) -> None:
        """Cancel the sweep and wait for its thread (the dialog or the panel is going away)."""
        if self._held:
            self.search.cancelled = True
            self.worker_thread.quit()  # once the sweep returns
            self.worker_thread.wait()
            self._ended()

    def _use(self) -> None:
        if self.suggested is not None:
            self.use_lr.emit(self.suggested)

    def reject(self) -> None:
        """Esc, Close or the window's close button: the sweep stops with the dialog."""
        self.stop()
        super().reject()
