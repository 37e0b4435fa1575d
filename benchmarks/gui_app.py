"""Shared by the ``gui_*`` benchmarks: the editor as a user sees it, training the LeNet-5 example.

``App`` opens the main window (1600x1000, offscreen unless a display is set) on the LeNet-5
example with every live view on: the Live tab (curves, feature maps or filters, confusion
matrix) and the feature-map thumbnails inside the canvas's nodes. ``run_for`` keeps the event
loop going; ``flip_views`` switches the middle panel between feature maps and filters the way a
user looking around would, so both are drawn during a measurement.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("CNNSTUDIO_NO_SETTINGS", "1")

from PySide6.QtCore import QEventLoop, QObject, Qt, QTimer
from PySide6.QtWidgets import QApplication

from cnnstudio.gui.main_window import MainWindow
from cnnstudio.gui.training.dashboard import TrainingDashboard

WINDOW = (1600, 1000)
FLIP_S = 1.0


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(int(q * len(ordered)), len(ordered) - 1)]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


class App:
    def __init__(
        self,
        training: dict[str, Any],
        dataset: dict[str, Any] | None = None,
        project: str | None = None,
    ) -> None:
        self.app = QApplication.instance() or QApplication(sys.argv[:1])
        self.window = MainWindow(project)  # None: the LeNet-5 example, as the app opens
        self.dashboard: TrainingDashboard = self.window.dashboard
        self.runs = tempfile.TemporaryDirectory(prefix="cnnstudio-bench-")
        self.dashboard.run_base = Path(self.runs.name)
        document = self.window.document
        if dataset is not None:
            document.set_section("dataset", dataset, "benchmark data")
        document.set_section("training", {**(document.project.training or {}), **training}, "bench")
        self.window.resize(*WINDOW)
        self.window.show()
        self.dashboard.tabs.setCurrentIndex(0)  # Live
        self.dashboard.thumbnails.set_enabled(True)
        self._flipper = QTimer()
        self._flipper.setInterval(int(FLIP_S * 1000))
        self._flipper.timeout.connect(self._flip)
        self.run_for(0.5)

    def _flip(self) -> None:
        tabs = self.dashboard.view_tabs
        tabs.setCurrentIndex(1 - tabs.currentIndex())

    def flip_views(self, on: bool) -> None:
        if on:
            self._flipper.start()
        else:
            self._flipper.stop()

    def run_for(self, seconds: float) -> None:
        loop = QEventLoop()
        QTimer.singleShot(int(seconds * 1000), loop.quit)
        loop.exec()

    def run_until(self, done: Callable[[], bool], timeout_s: float) -> bool:
        deadline = time.perf_counter() + timeout_s
        while not done():
            if time.perf_counter() > deadline:
                return False
            self.run_for(0.02)
        return True

    def train(self, mode: str = "restart") -> None:
        """Start a run and return once its first batch has been reported (data loaded)."""
        batches: list[object] = []
        self.dashboard.controller.batches.connect(batches.append)
        self.dashboard.train(mode)
        if not self.run_until(lambda: bool(batches), 300):
            raise SystemExit("training did not start within 5 minutes")
        self.dashboard.controller.batches.disconnect(batches.append)

    def stop(self) -> None:
        if not self.dashboard.controller.stop_and_wait(5000):
            raise SystemExit("training did not stop within 5 s")

    def close(self) -> None:
        self.flip_views(False)
        self.dashboard.shutdown()
        self.window.document.undo_stack.setClean()
        self.window.close()
        self.runs.cleanup()


class Lateness(QObject):
    """A 10 ms GUI-thread timer that records how late each tick is (ms)."""

    def __init__(self, interval_ms: int = 10) -> None:
        super().__init__()
        self.interval = interval_ms / 1000
        self.late: list[float] = []
        self._last: float | None = None
        self.timer = QTimer(self)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._tick)

    def start(self) -> None:
        self.late = []
        self._last = time.perf_counter()
        self.timer.start()

    def stop(self) -> list[float]:
        self.timer.stop()
        return self.late

    def _tick(self) -> None:
        now = time.perf_counter()
        if self._last is not None:
            self.late.append(max(now - self._last - self.interval, 0.0) * 1000)
        self._last = now
