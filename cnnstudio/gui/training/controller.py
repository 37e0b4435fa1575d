"""Starts, controls and cleanly ends training runs in a worker thread.

One run at a time. The thread has no event loop of its own to speak of: the worker's ``run`` slot
trains and then quits the thread, so ending never depends on the GUI thread (``stop_and_wait`` can
block the GUI thread without deadlock). Reports reach the GUI thread as queued signals, all of
them before ``run_ended``, which is emitted only once the thread has finished.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QThread, Signal

from cnnstudio.core.project import Project
from cnnstudio.gui.gc_guard import gui_thread_collector
from cnnstudio.gui.raster_threads import RasterThreadLimit
from cnnstudio.gui.training.worker import TrainingWorker
from cnnstudio.train.callbacks import (
    BatchProgress,
    DownloadProgress,
    EpochMetrics,
    Features,
    RunInfo,
    TrainingFailure,
    TrainingResult,
    ValPredictions,
)
from cnnstudio.train.capture import CaptureSettings
from cnnstudio.train.data.dataset import Dataset
from cnnstudio.train.run_state import RunState
from cnnstudio.train.trainer import Trainer

# The controller signal that carries each report type (they are typed by it below).
REPORT_SIGNALS: dict[type, str] = {
    RunInfo: "run_started",
    DownloadProgress: "download",
    BatchProgress: "batches",
    EpochMetrics: "epoch_ended",
    Features: "features",
    ValPredictions: "predictions",
    TrainingFailure: "failed",
}


class TrainingController(QObject):
    state_changed = Signal(RunState)
    run_started = Signal(RunInfo)
    download = Signal(DownloadProgress)
    batches = Signal(BatchProgress)
    epoch_ended = Signal(EpochMetrics)
    features = Signal(Features)
    predictions = Signal(ValPredictions)
    failed = Signal(TrainingFailure)
    run_ended = Signal(TrainingResult)  # once the thread has finished (not the trainer's report)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.capture = CaptureSettings()
        self._state = RunState.IDLE
        self._thread: QThread | None = None
        self._worker: TrainingWorker | None = None
        self._raster_threads = RasterThreadLimit()
        self.last_result: TrainingResult | None = None

    @property
    def state(self) -> RunState:
        return self._state

    @property
    def busy(self) -> bool:
        return self._state != RunState.IDLE

    @property
    def trainer(self) -> Trainer | None:
        return self._worker.trainer if self._worker is not None else None

    def _set_state(self, state: RunState) -> None:
        if state != self._state:
            self._state = state
            self.state_changed.emit(state)

    def start(
        self,
        project: Project,
        dataset: Dataset | None,
        *,
        run_dir: Path | None = None,
        resume_from: Path | None = None,
        **overrides: Any,
    ) -> None:
        """Train ``project`` (the caller's private copy: the thread reads it) in a new thread."""
        if self._thread is not None:
            raise RuntimeError("a run is already going; stop it first")
        worker = TrainingWorker(
            project,
            run_dir=run_dir,
            resume_from=resume_from,
            dataset=dataset,
            capture=self.capture,
            **overrides,
        )
        thread = QThread()
        thread.setObjectName("trainingThread")
        worker.moveToThread(thread)
        worker.report.connect(self._forward)
        thread.started.connect(worker.run)
        thread.finished.connect(self._thread_finished)
        self._thread, self._worker = thread, worker
        self._set_state(RunState.RUNNING)
        gui_thread_collector().hold()
        self._raster_threads.hold()
        thread.start()

    def _forward(self, report: object) -> None:
        """A report from the worker, out through the signal of its type; the run's end waits
        for the thread (``run_ended``)."""
        name = REPORT_SIGNALS.get(type(report))
        if name is not None:
            getattr(self, name).emit(report)

    # -- control ----------------------------------------------------------------------------
    def pause(self) -> None:
        if self._worker is not None and self._state == RunState.RUNNING:
            self._worker.trainer.pause()
            self._set_state(RunState.PAUSED)

    def resume(self) -> None:
        if self._worker is not None and self._state == RunState.PAUSED:
            self._worker.trainer.resume()
            self._set_state(RunState.RUNNING)

    def stop(self) -> None:
        """Ask the run to end after the current batch (it saves a checkpoint first)."""
        if self._worker is not None and self._state in (RunState.RUNNING, RunState.PAUSED):
            self._worker.trainer.stop()
            self._set_state(RunState.STOPPING)

    def request_capture(self) -> None:
        """Probe the (possibly changed) capture settings now, even while paused."""
        if self._worker is not None:
            self._worker.trainer.request_capture()

    def stop_and_wait(self, timeout_ms: int = 2000) -> bool:
        """Stop and block until the thread has ended (True) or ``timeout_ms`` passed (False).

        Reports already sent are delivered before this returns, then ``run_ended``.
        """
        thread = self._thread
        if thread is None:
            return True
        self.stop()
        if not thread.wait(timeout_ms):
            return False
        QCoreApplication.sendPostedEvents(self, QEvent.Type.MetaCall)
        self._thread_finished()
        return True

    # -- the end ----------------------------------------------------------------------------
    def _thread_finished(self) -> None:
        thread, worker = self._thread, self._worker
        if thread is None or worker is None:
            return  # already handled by stop_and_wait
        thread.wait()
        self._thread = self._worker = None
        result = worker.result or TrainingResult("failed", None, 0, None, None, ())
        self.last_result = result
        worker.deleteLater()
        thread.deleteLater()
        gui_thread_collector().release()
        self._raster_threads.release()
        self._set_state(RunState.IDLE)
        self.run_ended.emit(result)
