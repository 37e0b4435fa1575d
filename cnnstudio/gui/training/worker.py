"""The Qt side of one training run: a QObject, moved to a QThread, that runs the Qt-free Trainer.

Every trainer report goes out through the one ``report`` signal, carrying the report itself
(frozen dataclasses of numpy and plain Python values, see ``cnnstudio.train.callbacks``), so it
crosses to the GUI thread as a queued call and the worker never waits for the GUI. Control
(pause, resume, stop, capture) goes straight to the Trainer, which is safe to call from any
thread.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal, Slot

from cnnstudio.core.project import Project
from cnnstudio.train.callbacks import ReportSink, TrainingResult
from cnnstudio.train.trainer import Trainer


class TrainingWorker(QObject):
    report = Signal(object)  # any report of cnnstudio.train.callbacks (REPORT_EVENTS)

    def __init__(self, project: Project, **options: Any) -> None:
        """``options`` are the Trainer's keyword arguments (dataset, capture, overrides...)."""
        super().__init__()
        self.trainer = Trainer(project, ReportSink(self.report.emit), **options)
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
