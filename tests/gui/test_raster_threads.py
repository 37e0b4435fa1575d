"""Qt's raster helper threads are held to one while a run trains, and given back after."""

from __future__ import annotations

import sys

import pytest

from cnnstudio.gui.raster_threads import WHILE_TRAINING, RasterThreadLimit, raster_pool


@pytest.mark.skipif(sys.platform == "win32", reason="the pool is found by an Itanium ABI name")
def test_the_pool_is_found_and_held_to_one_thread_until_released(qapp) -> None:
    pool = raster_pool()
    assert pool is not None
    before = pool.maxThreadCount()
    limit = RasterThreadLimit()
    limit.hold()
    limit.hold()  # a second hold keeps the first one's saved count
    assert pool.maxThreadCount() == WHILE_TRAINING
    limit.release()
    assert pool.maxThreadCount() == before
    limit.release()  # nothing held: nothing changes
    assert pool.maxThreadCount() == before
