"""Starts, controls and cleanly ends training runs, each in its own training process.

One run at a time. A QThread drives the run (``RunDriver``): it sends the job to a training
process started beforehand (``prewarm``), turns the process's messages into reports and ends
with the run's result — also when the process was killed or crashed. Reports reach the GUI
thread as queued signals, all before ``run_ended``, which is emitted once the thread has ended.
Pause, resume, stop, capture and attribution requests are messages to the process.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QThread, Signal

from cnnstudio.core.project import Project
from cnnstudio.gui.gc_guard import gui_thread_collector
from cnnstudio.gui.training.worker_process import RunDriver, TrainingProcess
from cnnstudio.train.callbacks import (
    AttributionMap,
    BatchProgress,
    Diagnostics,
    DownloadProgress,
    EpochMetrics,
    Features,
    RunInfo,
    TrainingFailure,
    TrainingResult,
    ValPredictions,
)
from cnnstudio.train.capture_settings import CaptureSettings
from cnnstudio.train.run_state import RunState

# The controller signal that carries each report type (they are typed by it below).
REPORT_SIGNALS: dict[type, str] = {
    RunInfo: "run_started",
    DownloadProgress: "download",
    BatchProgress: "batches",
    EpochMetrics: "epoch_ended",
    Features: "features",
    ValPredictions: "predictions",
    AttributionMap: "attribution",
    Diagnostics: "diagnostics",
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
    attribution = Signal(AttributionMap)
    diagnostics = Signal(Diagnostics)
    failed = Signal(TrainingFailure)
    run_ended = Signal(TrainingResult)  # once the thread has finished (not the trainer's report)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.capture = CaptureSettings()
        self._state = RunState.IDLE
        self._thread: QThread | None = None
        self._driver: RunDriver | None = None
        self._spare: TrainingProcess | None = None  # started before Train, waiting for a job
        self.last_result: TrainingResult | None = None

    @property
    def state(self) -> RunState:
        return self._state

    @property
    def busy(self) -> bool:
        return self._state != RunState.IDLE

    @property
    def process(self) -> TrainingProcess | None:
        """The process training now, if any."""
        return self._driver.process if self._driver is not None else None

    def prewarm(self) -> None:
        """Start a training process now, so that Train finds torch already imported."""
        if self._spare is None or not self._spare.alive:
            self._spare = self._watched(TrainingProcess())

    @staticmethod
    def _watched(process: TrainingProcess) -> TrainingProcess:
        """The collector stays in the GUI thread while ``process``'s helper threads run."""
        gui_thread_collector().hold_while(lambda: process.helping)
        return process

    @property
    def prewarmed(self) -> bool:
        """A training process is waiting, ready, for the next Train."""
        return self._spare is not None and self._spare.ready

    def drop_prewarmed(self) -> None:
        """End the waiting training process (the next Train starts its own)."""
        if self._spare is not None:
            self._spare.close()
            self._spare = None

    def _set_state(self, state: RunState) -> None:
        if state != self._state:
            self._state = state
            self.state_changed.emit(state)

    def _take_spare(self) -> TrainingProcess:
        self.prewarm()
        process, self._spare = self._spare, None
        assert process is not None
        return process

    def start(
        self,
        project: Project,
        *,
        run_dir: Path | None = None,
        resume_from: Path | None = None,
        processes: int = 1,
        **overrides: Any,
    ) -> None:
        """Train ``project`` in a training process (``processes`` > 1: under torchrun)."""
        if self._thread is not None:
            raise RuntimeError("a run is already going; stop it first")
        job = {
            "project": project.to_dict(),
            "path": str(project.path) if project.path is not None else None,
            "run_dir": str(run_dir) if run_dir is not None else None,
            "resume_from": str(resume_from) if resume_from is not None else None,
            "overrides": overrides,
            "capture": dataclasses.asdict(self.capture),
        }
        if processes > 1:
            process = self._watched(TrainingProcess(processes, job))
        else:
            process = self._take_spare()
        driver = RunDriver(process, job)
        thread = QThread()
        thread.setObjectName("trainingThread")
        driver.moveToThread(thread)
        driver.report.connect(self._forward)
        thread.started.connect(driver.run)
        thread.finished.connect(self._thread_finished)
        self._thread, self._driver = thread, driver
        self._set_state(RunState.RUNNING)
        gui_thread_collector().hold()  # the driver thread allocates; see gui.gc_guard
        thread.start()

    def _forward(self, report: object) -> None:
        """A report from the worker, out through the signal of its type; the run's end waits
        for the thread (``run_ended``)."""
        name = REPORT_SIGNALS.get(type(report))
        if name is not None:
            getattr(self, name).emit(report)

    # -- control ----------------------------------------------------------------------------
    def pause(self) -> None:
        if self._driver is not None and self._state == RunState.RUNNING:
            self._driver.process.send("pause")
            self._set_state(RunState.PAUSED)

    def resume(self) -> None:
        if self._driver is not None and self._state == RunState.PAUSED:
            self._driver.process.send("resume")
            self._set_state(RunState.RUNNING)

    def stop(self) -> None:
        """Ask the run to end after the current batch (it saves a checkpoint first)."""
        if self._driver is not None and self._state in (RunState.RUNNING, RunState.PAUSED):
            self._driver.process.send("stop")
            self._set_state(RunState.STOPPING)

    def request_capture(self) -> None:
        """Probe the (possibly changed) capture settings now, even while paused."""
        if self._driver is not None:
            self._driver.process.send("capture", **dataclasses.asdict(self.capture))

    def request_attribution(self, **request: object) -> None:
        """Ask the run for an attribution map (answered through ``attribution``)."""
        if self._driver is not None:
            self._driver.process.send("attribute", **request)

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
        thread, driver = self._thread, self._driver
        if thread is None or driver is None:
            return  # already handled by stop_and_wait
        thread.wait()
        self._thread = self._driver = None
        driver.process.close(wait=False)
        self._watched(driver.process)  # until its end thread is done
        gui_thread_collector().release()
        result = driver.result or TrainingResult("failed", None, 0, None, None, ())
        self.last_result = result
        driver.deleteLater()
        thread.deleteLater()
        self._set_state(RunState.IDLE)
        self.run_ended.emit(result)
        self.prewarm()  # the next Train finds its process ready

    def shutdown(self, timeout_ms: int = 2000) -> bool:
        """Stop a run and end every training process (the window is closing)."""
        stopped = self.stop_and_wait(timeout_ms)
        self.drop_prewarmed()
        return stopped
