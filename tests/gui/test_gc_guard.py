"""While a worker thread runs, only the GUI thread collects, and old objects are left alone."""

from __future__ import annotations

import gc

from cnnstudio.gui.gc_guard import GuiThreadCollector


class Cycle:
    def __init__(self) -> None:
        self.me = self


def test_hold_freezes_and_collects_in_the_gui_thread_until_release(qapp) -> None:
    assert gc.isenabled()
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
