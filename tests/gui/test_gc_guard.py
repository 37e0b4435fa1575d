"""While a worker thread runs, only the GUI thread collects, and old objects are left alone."""

from __future__ import annotations

import gc
import threading

from PySide6.QtCore import QThread

from cnnstudio.gui.gc_guard import GuiThreadCollector


class Cycle:
    def __init__(self) -> None:
        self.me = self


def test_hold_freezes_and_collects_in_the_gui_thread_until_release(qtbot) -> None:
    # a training process an earlier test started may still hold the app's own collector
    qtbot.waitUntil(gc.isenabled, timeout=10_000)
    collector = GuiThreadCollector()
    collector.hold()
    collector.hold()
    try:
        assert not gc.isenabled()
        assert gc.get_freeze_count() > 0  # what existed before is out of every collection
        assert collector.timer.isActive()
        for _ in range(2 * gc.get_threshold()[0]):
            Cycle()
        assert gc.get_count()[0] > gc.get_threshold()[0]
        collector.collect()  # what the timer does: the young generation, as CPython would
        assert gc.get_count()[0] < gc.get_threshold()[0]
        collector.release()
        assert not gc.isenabled()  # one worker still runs
    finally:
        collector.release()
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0
    assert not collector.timer.isActive()


def test_a_hold_while_a_thread_runs_ends_with_the_thread(qtbot) -> None:
    qtbot.waitUntil(gc.isenabled, timeout=10_000)
    collector = GuiThreadCollector()
    done = threading.Event()
    worker = threading.Thread(target=done.wait)
    worker.start()
    collector.hold_while(worker.is_alive)
    assert not gc.isenabled()
    done.set()
    worker.join()
    qtbot.waitUntil(gc.isenabled, timeout=5_000)  # seen at the collector's next tick
    assert gc.get_freeze_count() == 0


def test_a_hold_until_a_qthread_finished_ends_in_the_gui_thread(qtbot) -> None:
    qtbot.waitUntil(gc.isenabled, timeout=10_000)
    collector = GuiThreadCollector()
    done = threading.Event()
    thread = QThread()
    thread.run = done.wait  # type: ignore[method-assign]
    collector.hold_until_finished(thread)
    thread.start()
    assert not gc.isenabled()
    done.set()
    thread.wait()
    qtbot.waitUntil(gc.isenabled, timeout=5_000)  # the queued finished, in this thread
    assert gc.get_freeze_count() == 0
