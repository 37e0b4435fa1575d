"""Worker objects that run in a QThread go back to the GUI thread when their work is done."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QObject


def back_to_gui_thread(job: QObject) -> None:
    """Call last in the worker thread: ``job`` then lives in the GUI thread again, where
    ``deleteLater`` reaches it once its own thread has ended."""
    app = QCoreApplication.instance()
    if app is not None:
        job.moveToThread(app.thread())
