"""Python's cycle collector must not run in a worker thread while Qt objects are garbage.

CPython collects cycles in whichever thread happens to allocate past a threshold. When that is
the training or data-loading thread and the garbage holds Qt widgets (a closed window whose
Python wrappers form a cycle), their C++ destructors run in that thread, and Qt corrupts its
heap (seen as "corrupted size vs. prev_size" aborts). So while any worker thread runs,
automatic collection is off and a GUI-thread timer collects instead, generation by
generation with CPython's own thresholds (pyqtgraph's ``GarbageCollector`` does the same).

The objects that exist when the first worker starts (the modules, the window, the model: some
340,000 in the editor) are frozen out of collection until the last one ends: a full collection
then takes well under a millisecond instead of ~150 ms, during which the GIL stopped training
and the window alike.
"""

from __future__ import annotations

import gc
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QObject, QThread, QTimer

INTERVAL_MS = 500


class GuiThreadCollector(QObject):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._holds = 0
        self._while: list[Callable[[], bool]] = []  # holds that end when these turn false
        self._was_enabled = True
        self.timer = QTimer(self)
        self.timer.setInterval(INTERVAL_MS)
        self.timer.timeout.connect(self.collect)

    def hold(self) -> None:
        """A worker thread starts: from now on only the GUI thread collects."""
        self._holds += 1
        if self._holds == 1:
            self._was_enabled = gc.isenabled()
            gc.disable()
            gc.freeze()
            self.timer.start()

    def hold_while(self, running: Callable[[], bool]) -> None:
        """Hold until ``running()`` turns false (a plain Python thread's ``is_alive``), seen by
        this collector's own timer: the holder may be gone by then."""
        self.hold()
        self._while.append(running)

    def hold_until_finished(self, thread: QThread) -> None:
        """Hold from now until ``thread`` (about to start) has finished: its ``finished`` comes
        here queued, in the GUI thread, after its last Python line."""
        self.hold()
        thread.finished.connect(self.release)

    def release(self) -> None:
        """A worker thread has finished; automatic collection resumes after the last one."""
        if self._holds == 0:
            return
        self._holds -= 1
        if self._holds == 0:
            self.timer.stop()
            gc.unfreeze()
            self.collect()
            if self._was_enabled:
                gc.enable()

    def collect(self) -> None:
        """Collect the oldest generation whose count passed its threshold, as CPython would."""
        for running in [r for r in self._while if not r()]:
            self._while.remove(running)
            self.release()
        counts, thresholds = gc.get_count(), gc.get_threshold()
        for generation in (2, 1, 0):
            if counts[generation] > thresholds[generation]:
                gc.collect(generation)
                return


_collector: list[GuiThreadCollector] = []


def gui_thread_collector() -> GuiThreadCollector:
    """The process's collector (one per application; it lives as long as the application)."""
    if not _collector:
        _collector.append(GuiThreadCollector(QCoreApplication.instance()))
    return _collector[0]
