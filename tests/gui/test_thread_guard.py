"""The GUI tests' guard sees a QThread that is still running, and only while it runs."""

from __future__ import annotations

import threading

from PySide6.QtCore import QThread


class _Waiting(QThread):
    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()

    def run(self) -> None:
        self.release.wait(10)


def test_guard_tracks_running_qthreads(still_running_qthreads):
    thread = _Waiting()
    thread.setObjectName("waiting")
    thread.start()
    try:
        assert still_running_qthreads(20) == [thread]
    finally:
        thread.release.set()
        assert thread.wait(5000)
    assert still_running_qthreads(20) == []
