"""Runs preview computations in one background thread; the newest request wins.

The GUI posts a job into a mailbox and wakes the thread. A job replaced in the mailbox before
the thread took it is cancelled unseen; one running when a newer job arrives gives up at its
next step; a result that still arrives after a newer request is dropped. So only the newest
edit's pictures are ever drawn. torch is imported in the thread, when the first job runs.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal, Slot
from PySide6.QtGui import QImage

from cnnstudio.gui.gc_guard import gui_thread_collector
from cnnstudio.gui.plots.images import qimage, to_display
from cnnstudio.gui.plots.mosaic import colour, scale_unit, strongest_map
from cnnstudio.gui.plots.style import ACTIVATION_MAP, lookup_table
from cnnstudio.gui.threads import back_to_gui_thread

if TYPE_CHECKING:
    from cnnstudio.train.preview import PreviewComputer, PreviewJob, PreviewResult

VECTOR_COLUMNS = 32  # a vector (Linear, Flatten) is drawn as rows of this many cells


@dataclass(frozen=True)
class PreviewPictures:
    """A result made ready to draw (QImages may be made off the GUI thread, unlike pixmaps)."""

    result: PreviewResult
    images: dict[str, QImage]


@dataclass(frozen=True)
class _Outcome:
    generation: int
    pictures: PreviewPictures | None = None
    error: str | None = None  # None and no pictures: superseded while it ran


def picture(activation: np.ndarray, table: np.ndarray, is_input: bool) -> np.ndarray:
    """An activation as a small picture: the sample itself for the Input, a map's strongest
    channel like the training thumbnails, a vector as rows of cells."""
    if is_input and activation.ndim == 3:
        return to_display(activation)
    if activation.ndim == 3:
        data = strongest_map(activation)
    elif activation.ndim == 2:
        data = activation
    else:
        flat = activation.reshape(-1)
        cols = min(len(flat), VECTOR_COLUMNS)
        rows = -(-len(flat) // cols)
        data = np.full(rows * cols, flat.min(), dtype=np.float32)  # the padding reads as lowest
        data[: len(flat)] = flat
        data = data.reshape(rows, cols)
    return colour(scale_unit(data[None], shared=False)[0], table)


class _Mailbox:
    """The newest job and generation, shared by the GUI thread and the preview thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._job: PreviewJob | None = None
        self.latest = 0

    def post(self, job: PreviewJob) -> PreviewJob | None:
        """Leave ``job`` for the thread; the job it replaces (never started), if any."""
        with self._lock:
            replaced, self._job, self.latest = self._job, job, job.generation
        return replaced

    def withdraw(self) -> PreviewJob | None:
        """No job is wanted any more (the one waiting, if any, is returned)."""
        with self._lock:
            replaced, self._job = self._job, None
            self.latest += 1
        return replaced

    def take(self) -> PreviewJob | None:
        with self._lock:
            job, self._job = self._job, None
        return job


class _Worker(QObject):
    finished = Signal(object)  # _Outcome, or None when the mailbox was empty

    def __init__(self, mailbox: _Mailbox) -> None:
        super().__init__()
        self.mailbox = mailbox
        self._computer: PreviewComputer | None = None

    @Slot()
    def work(self) -> None:
        job = self.mailbox.take()
        if job is None:
            self.finished.emit(None)
            return
        import torch

        from cnnstudio.train.preview import PreviewComputer, Superseded  # torch, in this thread

        if self._computer is None:
            # One sample is too little work to share: waking torch's second thread made the
            # LeNet-5 preview 3x slower on a busy 2-core machine (59 vs 19 ms median). With
            # OpenMP (the CPU builds) the setting holds for this thread alone.
            torch.set_num_threads(1)
            self._computer = PreviewComputer()
        try:
            result = self._computer.compute(job, lambda: self.mailbox.latest != job.generation)
            table = lookup_table(ACTIVATION_MAP)
            graph = job.graph
            images = {
                node_id: qimage(picture(a, table, graph.node(node_id).type == "Input"))
                for node_id, a in result.activations.items()
            }
            self.finished.emit(_Outcome(job.generation, PreviewPictures(result, images)))
        except Superseded:
            self.finished.emit(_Outcome(job.generation))
        except (RuntimeError, ValueError, TypeError, IndexError, MemoryError) as exc:
            # torch reports a sample that does not fit a layer as a RuntimeError
            self.finished.emit(_Outcome(job.generation, error=f"{type(exc).__name__}: {exc}"))

    @Slot()
    def retire(self) -> None:
        """The last call in the thread: back to the GUI thread, where it is deleted."""
        back_to_gui_thread(self)
        QThread.currentThread().quit()


class PreviewEngine(QObject):
    """``request(job)``; ``ready(PreviewPictures)`` for the newest job only, ``cancelled(gen)``
    for each job superseded, ``failed(gen, message)`` when the computation raised."""

    ready = Signal(object)
    cancelled = Signal(int)
    failed = Signal(int, str)
    _wake = Signal()
    _stop = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._mailbox = _Mailbox()
        self._thread: QThread | None = None
        self._worker: _Worker | None = None
        self._wakes = 0  # work() calls not yet reported back: the collector is held for each

    @property
    def busy(self) -> bool:
        return self._wakes > 0

    def request(self, job: PreviewJob) -> None:
        if self._thread is None:
            self._start()
        replaced = self._mailbox.post(job)
        if replaced is not None:
            self.cancelled.emit(replaced.generation)
        self._wakes += 1
        gui_thread_collector().hold()  # Python runs in the thread until it reports back
        self._wake.emit()

    def cancel(self) -> None:
        """Whatever is waiting or running now is not wanted (its result is never drawn)."""
        replaced = self._mailbox.withdraw()
        if replaced is not None:
            self.cancelled.emit(replaced.generation)

    def _start(self) -> None:
        thread = QThread()
        thread.setObjectName("previewThread")
        worker = _Worker(self._mailbox)
        worker.moveToThread(thread)
        self._wake.connect(worker.work)
        self._stop.connect(worker.retire)
        worker.finished.connect(self._finished)
        self._thread, self._worker = thread, worker
        thread.start()

    def _finished(self, outcome: _Outcome | None) -> None:
        if self._wakes == 0:
            return  # shut down meanwhile
        self._wakes -= 1
        gui_thread_collector().release()
        if outcome is None:
            return
        if outcome.generation != self._mailbox.latest:
            self.cancelled.emit(outcome.generation)  # a newer job came while it ran
        elif outcome.error is not None:
            self.failed.emit(outcome.generation, outcome.error)
        else:
            assert outcome.pictures is not None  # only a superseded job comes back without
            self.ready.emit(outcome.pictures)

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """Cancel and stop the thread; False if a computation still runs after the timeout."""
        self.cancel()
        thread, worker = self._thread, self._worker
        if thread is None or worker is None:
            return True
        self._stop.emit()
        if not thread.wait(timeout_ms):
            return False
        QCoreApplication.sendPostedEvents(self)  # the thread's last reports release the collector
        for _ in range(self._wakes):
            gui_thread_collector().release()
        self._wakes = 0
        self._wake.disconnect(worker.work)
        self._stop.disconnect(worker.retire)
        worker.finished.disconnect(self._finished)
        self._thread = self._worker = None
        worker.deleteLater()
        thread.deleteLater()
        return True
