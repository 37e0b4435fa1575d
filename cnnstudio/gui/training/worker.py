"""The Qt side of one training run: a QObject, moved to a QThread, that runs the Qt-free Trainer.

Each trainer report becomes a signal carrying the report itself (frozen dataclasses of numpy and
plain Python values), so it crosses to the GUI thread as a queued call and the worker never waits
for the GUI. Control (pause, resume, stop, capture) goes straight to the Trainer, which is safe to
call from any thread.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal, Slot

from cnnstudio.core.project import Project
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
from cnnstudio.train.trainer import Trainer


class TrainingWorker(QObject):
    run_started = Signal(object)  # RunInfo
    download = Signal(object)  # DownloadProgress
    batches = Signal(object)  # BatchProgress
    epoch_ended = Signal(object)  # EpochMetrics
    features = Signal(object)  # Features
    predictions = Signal(object)  # ValPredictions
    failed = Signal(object)  # TrainingFailure
    run_ended = Signal(object)  # TrainingResult

    def __init__(self, project: Project, **options: Any) -> None:
        """``options`` are the Trainer's keyword arguments (dataset, capture, overrides...)."""
        super().__init__()
        self.trainer = Trainer(project, self, **options)
        self.result: TrainingResult | None = None

    @Slot()
    def run(self) -> None:
        """Train, then give this object back to the GUI thread (where it is deleted) and end
        the thread: nothing after the run depends on the GUI thread's event loop."""
        thread = QThread.currentThread()
        try:
            self.result = self.trainer.run()
        finally:
            app = QCoreApplication.instance()
            if app is not None:
                self.moveToThread(app.thread())
            thread.quit()

    # -- trainer callbacks, called in the worker thread ---------------------------------------
    def on_start(self, info: RunInfo) -> None:
        self.run_started.emit(info)

    def on_download(self, progress: DownloadProgress) -> None:
        self.download.emit(progress)

    def on_batches(self, progress: BatchProgress) -> None:
        self.batches.emit(progress)

    def on_epoch(self, metrics: EpochMetrics) -> None:
        self.epoch_ended.emit(metrics)

    def on_features(self, features: Features) -> None:
        self.features.emit(features)

    def on_predictions(self, predictions: ValPredictions) -> None:
        self.predictions.emit(predictions)

    def on_error(self, failure: TrainingFailure) -> None:
        self.failed.emit(failure)

    def on_end(self, result: TrainingResult) -> None:
        self.run_ended.emit(result)
